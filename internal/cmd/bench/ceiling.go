package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// The ceiling of an ingest figure is a minimal inbox on the same SQL store engine, driver and
// settings, driven over HTTP by the same client with the same traffic in the same run: the real
// adapters verify and parse each signed webhook, then a few statements keep its messages. It stores
// what an inbox cannot do without: the message, unique by (connection, provider id), so a repeated
// delivery changes nothing; the conversation's summary (last message time and text, unread count),
// upserted; one list index (workspace, last message time). It answers 200 only after the commit.
// It has no identities, contacts, routing, activity rows, events or jobs: dakenh / ceiling is what
// the rest of the engine and the store contract cost.

// ceilingMaxBody bounds a webhook body of the ceiling inbox, as the engine bounds its own.
const ceilingMaxBody = 1 << 20

// ceilingMsg is one customer message the minimal inbox keeps.
type ceilingMsg struct {
	conn, user, providerID, text string
	at                           time.Time
}

// conversation is the summary row's key.
func (m ceilingMsg) conversation() string { return m.conn + "/" + m.user }

// ceilingWriter keeps a batch of messages durably, each once.
type ceilingWriter interface {
	write(ctx context.Context, msgs []ceilingMsg) error
	close()
}

// ceilingHandler verifies and parses the webhook with the adapter of its path, then hands its
// messages to keep; it answers 200 once keep returned nil.
func ceilingHandler(channels []omnichannel.Channel, keep func(ctx context.Context, msgs []ceilingMsg) error) http.Handler {
	byKind := map[string]omnichannel.Channel{}
	for _, ch := range channels {
		byKind[string(ch.Kind())] = ch
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch := byKind[strings.TrimPrefix(r.URL.Path, "/webhooks/")]
		if ch == nil || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ceilingMaxBody))
		if err != nil {
			http.Error(w, "body", http.StatusRequestEntityTooLarge)
			return
		}
		if ch.VerifyWebhook(r.Header, body) != nil {
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		events, err := ch.ParseWebhook(r.Header, body)
		if err != nil {
			http.Error(w, "malformed", http.StatusBadRequest)
			return
		}
		var msgs []ceilingMsg
		for _, ev := range events {
			if ev.Type != omnichannel.InboundMessage || ev.Direction != omnichannel.DirectionIn {
				continue
			}
			msgs = append(msgs, ceilingMsg{conn: string(ch.Kind()) + ":" + ev.ExternalAccountID, user: ev.ExternalUserID,
				providerID: ev.ProviderMessageID, text: ev.Text, at: ev.Time})
		}
		if len(msgs) > 0 {
			if err := keep(r.Context(), msgs); err != nil {
				http.Error(w, "store", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

// groupCommit folds the messages of concurrent webhooks into batches: writers goroutines each take
// whatever is queued (up to maxBatch webhooks) and keep it with one write, then answer every webhook
// of the batch. With one writer this is SQLite's group commit; with a few on PostgreSQL, one batch
// is written while the next one queues.
type groupCommit struct {
	queue chan *ceilingRequest
	done  chan struct{}
}

type ceilingRequest struct {
	msgs []ceilingMsg
	err  chan error
}

func newGroupCommit(w ceilingWriter, writers, maxBatch int) *groupCommit {
	g := &groupCommit{queue: make(chan *ceilingRequest, 4096), done: make(chan struct{})}
	for range writers {
		go g.loop(w, maxBatch)
	}
	return g
}

func (g *groupCommit) loop(w ceilingWriter, maxBatch int) {
	for {
		var first *ceilingRequest
		select {
		case first = <-g.queue:
		case <-g.done:
			return
		}
		batch := []*ceilingRequest{first}
		msgs := append([]ceilingMsg(nil), first.msgs...)
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-g.queue:
				batch = append(batch, r)
				msgs = append(msgs, r.msgs...)
			default:
				break fill
			}
		}
		err := w.write(context.Background(), msgs)
		for _, r := range batch {
			r.err <- err
		}
	}
}

// keep queues msgs and waits for their batch's commit.
func (g *groupCommit) keep(ctx context.Context, msgs []ceilingMsg) error {
	r := &ceilingRequest{msgs: msgs, err: make(chan error, 1)}
	select {
	case g.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *groupCommit) stop() { close(g.done) }

// ceilingVariant is one minimal inbox of a store: how its writes are issued.
type ceilingVariant struct {
	name string
	// open returns the writer over a fresh schema or file, and its cleanup.
	open func(ctx context.Context) (ceilingWriter, error)
	// writers and maxBatch configure the group commit; writers 0 writes each webhook on its own
	// from the request's goroutine.
	writers, maxBatch int
}

// ceilingVariants are the minimal inboxes measured for a store kind.
func ceilingVariants(o Options, kind string) []ceilingVariant {
	switch kind {
	case storeSQLite:
		open := func(ctx context.Context) (ceilingWriter, error) { return asWriter(openSQLiteCeiling(ctx, o)) }
		return []ceilingVariant{{name: "minimal, group commit", writers: 1, maxBatch: 256, open: open}}
	case storePostgres:
		open := func(ctx context.Context) (ceilingWriter, error) { return asWriter(openPostgresCeiling(ctx, o)) }
		return []ceilingVariant{
			{name: "minimal, one statement per webhook", open: open},
			{name: "minimal, batched multi-row statements", writers: 2, maxBatch: 64, open: open},
		}
	}
	return nil
}

// asWriter returns w as a ceilingWriter, or nil with err (never a typed nil).
func asWriter[W ceilingWriter](w W, err error) (ceilingWriter, error) {
	if err != nil {
		return nil, err
	}
	return w, nil
}

// runIngestCeiling measures one minimal inbox with the ingest scenario's client, traffic and
// concurrency and returns its closed-loop msgs/s; it checks that every acknowledged message was
// kept once.
func runIngestCeiling(ctx context.Context, o Options, kind string, v ceilingVariant, rep *Report) (float64, error) {
	p, err := newProviders()
	if err != nil {
		return 0, err
	}
	defer p.Close()
	w, err := v.open(ctx)
	if err != nil {
		return 0, err
	}
	defer w.close()
	keep := w.write
	if v.writers > 0 {
		g := newGroupCommit(w, v.writers, v.maxBatch)
		defer g.stop()
		keep = g.keep
	}
	base, stop, err := serveHTTP(ceilingHandler(p.channels, keep))
	if err != nil {
		return 0, err
	}
	defer stop()
	client := newClient()
	label := "ceiling (" + kind + "): " + v.name
	if err := deliverAll(ctx, client, base, regularsTraffic(p, o.Regulars), 16); err != nil {
		return 0, fmt.Errorf("%s: %w", label, err)
	}
	traffic := &ingestTraffic{p: p, prefix: "c", regulars: o.Regulars}
	closed := closedLoop(ctx, client, base, o.Senders, o.Duration, o.DuplicateRate, traffic.next)
	open := openLoop(ctx, client, base, o.OfferedRate, o.Duration, o.DuplicateRate, traffic.next)
	msgs := float64(closed.distinct()) / closed.Elapsed.Seconds()
	rep.add(Figure{Scenario: scenarioIngest, Store: label, Name: "msgs/s (64 senders, closed loop)", Value: msgs, Unit: "msgs/s"})
	rep.latency(scenarioIngest, label, fmt.Sprintf("ack @ %d/s offered (open loop)", o.OfferedRate), "", open.Latencies)
	var all loadResult
	all.merge(closed)
	all.merge(open)
	counter, ok := w.(interface {
		count(ctx context.Context) (int64, error)
	})
	if !ok {
		return msgs, errors.New(label + ": the writer cannot count its messages")
	}
	stored, err := counter.count(ctx)
	if err != nil {
		return msgs, err
	}
	want := int64(2*o.Regulars + all.distinct())
	rep.check(Check{Scenario: scenarioIngest, Store: label, Name: "stored = acknowledged − duplicates",
		OK: stored == want && all.Failed == 0, Detail: fmt.Sprintf("acknowledged %d, distinct %d, failed %d; stored %d (want %d)",
			all.Acked, all.distinct(), all.Failed, stored, want)})
	return msgs, nil
}
