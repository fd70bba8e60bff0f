package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// The ingest scenario's traffic.
const (
	// ingestNewEvery makes one fresh message in ingestNewEvery come from a new customer.
	ingestNewEvery = 4
	// ingestAgents is the size of the round-robin rule.
	ingestAgents = 8
	// ingestSampleChecks is how many acknowledged ids are looked up one by one after the run.
	ingestSampleChecks = 1000
)

// ingestTraffic makes the fresh deliveries of the ingest scenario: messages numbered 1, 2, … on
// alternating pairs of Zalo and TikTok deliveries; one in ingestNewEvery from a new customer, the
// others from the regulars.
type ingestTraffic struct {
	p        *providers
	prefix   string
	regulars int
	n        atomic.Int64
}

func (t *ingestTraffic) next() webhook {
	n := t.n.Add(1)
	user := "reg-" + strconv.FormatInt(n%int64(t.regulars), 10)
	if n%ingestNewEvery == 1 {
		user = t.prefix + "new-" + strconv.FormatInt(n, 10)
	}
	id := t.prefix + strconv.FormatInt(n, 10)
	return t.p.message((n/ingestNewEvery)%2 == 0, user, id, "Shop ơi, còn hàng không ạ? #"+id)
}

// regularsTraffic is the first message of every regular customer on each channel, delivered
// before the clock.
func regularsTraffic(p *providers, regulars int) []webhook {
	out := make([]webhook, 0, 2*regulars)
	for i := range regulars {
		user := "reg-" + strconv.Itoa(i)
		for _, zalo := range []bool{true, false} {
			out = append(out, p.message(zalo, user, "first-"+user, "Chào shop"))
		}
	}
	return out
}

// runIngestBaseline measures the bare handler with the same client, traffic and concurrency; it
// returns the closed-loop msgs/s and records the figures under the store name label.
func runIngestBaseline(ctx context.Context, o Options, label string, rep *Report) (float64, error) {
	p, err := newProviders()
	if err != nil {
		return 0, err
	}
	defer p.Close()
	base, stop, err := serveHTTP(baselineHandler())
	if err != nil {
		return 0, err
	}
	defer stop()
	client := newClient()
	traffic := &ingestTraffic{p: p, prefix: "b", regulars: o.Regulars}
	closed := closedLoop(ctx, client, base, o.Senders, o.Duration, o.DuplicateRate, traffic.next)
	open := openLoop(ctx, client, base, o.OfferedRate, o.Duration, o.DuplicateRate, traffic.next)
	msgs := float64(closed.distinct()) / closed.Elapsed.Seconds()
	rep.add(Figure{Scenario: scenarioIngest, Store: label, Name: "msgs/s (64 senders, closed loop)", Value: msgs, Unit: "msgs/s"})
	rep.add(Figure{Scenario: scenarioIngest, Store: label, Name: "achieved rate of the open loop",
		Value: float64(open.Acked) / open.Elapsed.Seconds(), Unit: "webhooks/s"})
	rep.latency(scenarioIngest, label, fmt.Sprintf("ack @ %d/s offered (open loop)", o.OfferedRate), "", open.Latencies)
	if closed.Failed+open.Failed > 0 {
		return msgs, fmt.Errorf("baseline: %d deliveries failed", closed.Failed+open.Failed)
	}
	return msgs, nil
}

// runIngest measures one store: closed-loop throughput with o.Senders senders, then open-loop
// latency at o.OfferedRate, then checks what was stored.
//
// ceilings are the store's minimal inboxes measured in the same run: the throughput figure states
// its ratio to each.
func runIngest(ctx context.Context, o Options, kind string, baseline float64, ceilings []Ceiling, rep *Report, logf func(string, ...any)) error {
	env, closeAll, err := openScenario(ctx, o, kind, "ingest")
	if err != nil {
		return err
	}
	defer closeAll()
	st, p, eng := env.st, env.p, env.eng
	ws, err := setupWorkspace(ctx, eng, p, "bench-ingest", ingestAgents, omnichannel.MethodRoundRobin, nil)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", eng.WebhookHandler()))
	base, stop, err := serveHTTP(mux)
	if err != nil {
		return err
	}
	defer stop()
	client := newClient()

	if err := deliverAll(ctx, client, base, regularsTraffic(p, o.Regulars), 16); err != nil {
		return err
	}
	if err := settle(ctx, st); err != nil {
		return err
	}
	traffic := &ingestTraffic{p: p, prefix: "e", regulars: o.Regulars}
	logf("ingest on %s: %d senders for %s", kind, o.Senders, o.Duration)
	closed := closedLoop(ctx, client, base, o.Senders, o.Duration, o.DuplicateRate, traffic.next)
	logf("ingest on %s: %d/s offered for %s", kind, o.OfferedRate, o.Duration)
	open := openLoop(ctx, client, base, o.OfferedRate, o.Duration, o.DuplicateRate, traffic.next)

	msgs := float64(closed.distinct()) / closed.Elapsed.Seconds()
	var vs []Ceiling
	for _, c := range ceilings {
		if c.Value > 0 {
			vs = append(vs, Ceiling{Name: c.Name, Value: c.Value, Ratio: msgs / c.Value})
		}
	}
	rep.addVsBaseline(Figure{Scenario: scenarioIngest, Store: kind, Name: "msgs/s (64 senders, closed loop)", Value: msgs,
		Unit: "msgs/s", Target: ingestTarget(kind), Ceilings: vs}, baseline)
	rep.add(Figure{Scenario: scenarioIngest, Store: kind, Name: "webhooks/s incl. duplicates",
		Value: float64(closed.Acked) / closed.Elapsed.Seconds(), Unit: "webhooks/s"})
	rep.latency(scenarioIngest, kind, "ack under the closed loop", "", closed.Latencies)
	rep.latency(scenarioIngest, kind, fmt.Sprintf("ack @ %d/s offered (open loop)", o.OfferedRate), "p99 ≤ 20 ms", open.Latencies)
	rep.add(Figure{Scenario: scenarioIngest, Store: kind, Name: "achieved rate of the open loop",
		Value: float64(open.Acked) / open.Elapsed.Seconds(), Unit: "webhooks/s"})

	if g, ok := st.(interface{ GroupStats() postgres.GroupStats }); ok {
		gs := g.GroupStats()
		logf("ingest on %s: grouped updates %+v", kind, gs)
		if gs.Groups > 0 {
			rep.add(Figure{Scenario: scenarioIngest, Store: kind, Name: "transactions grouped per commit",
				Value: float64(gs.Grouped) / float64(gs.Groups), Unit: "updates"})
		}
	}
	var all loadResult
	all.merge(closed)
	all.merge(open)
	return checkIngest(ctx, st, ws, all, 2*o.Regulars, kind, rep)
}

func ingestTarget(kind string) string {
	switch kind {
	case storeMemory:
		return "≥ 50% of baseline"
	case storeSQLite:
		return "≥ 10,000/s and ≥ 25%"
	case storePostgres:
		return "≥ 5,000/s"
	}
	return ""
}

// deliverAll posts every delivery with conc senders and fails unless all are acknowledged.
func deliverAll(ctx context.Context, c *http.Client, base string, ws []webhook, conc int) error {
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(ws)); i = next.Add(1) - 1 {
				if !post(ctx, c, base, ws[i]) {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d deliveries were not acknowledged", n, len(ws))
	}
	return nil
}

// checkIngest counts the customer messages of the workspace (the sum of its conversations'
// InboundCount, read page by page) and compares it with the regulars' first messages plus the
// acknowledged deliveries minus the duplicates; then it looks up a sample of acknowledged ids one
// by one.
func checkIngest(ctx context.Context, st omnichannel.Store, ws *workspace, all loadResult, before int, kind string, rep *Report) error {
	stored, convs, err := countInbound(ctx, st, ws.id)
	if err != nil {
		return err
	}
	distinct := all.distinct()
	want := int64(before + distinct)
	rep.check(Check{Scenario: scenarioIngest, Store: kind, Name: "stored = acknowledged − duplicates", OK: stored == want && all.Failed == 0,
		Detail: fmt.Sprintf("acknowledged %d, duplicates %d, failed %d; stored %d new messages (%d in %d conversations, %d regulars' firsts before the clock)",
			all.Acked, all.Acked-distinct, all.Failed, stored-int64(before), stored, convs, before)})

	ids := make([]string, 0, distinct)
	seen := map[string]bool{}
	for _, id := range all.AckedIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:min(len(ids), ingestSampleChecks)]
	missing := 0
	err = st.View(ctx, func(tx omnichannel.Tx) error {
		for _, id := range ids {
			conn, msgID := ws.providerID(id)
			_, err := tx.FindMessageByProviderID(ws.id, conn, msgID)
			switch {
			case errors.Is(err, omnichannel.ErrNotFound):
				missing++
			case err != nil:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.check(Check{Scenario: scenarioIngest, Store: kind, Name: "acknowledged ids found", OK: missing == 0,
		Detail: fmt.Sprintf("%d of a sample of %d acknowledged ids missing", missing, len(ids))})
	return nil
}

// countInbound sums InboundCount over every conversation of the workspace.
func countInbound(ctx context.Context, st omnichannel.Store, wsID string) (inbound int64, convs int, err error) {
	q := omnichannel.ConversationQuery{WorkspaceID: wsID, Limit: 500}
	for {
		var page []*omnichannel.Conversation
		if err := st.View(ctx, func(tx omnichannel.Tx) (err error) { page, err = tx.ListConversations(q); return err }); err != nil {
			return 0, 0, err
		}
		for _, c := range page {
			inbound += c.InboundCount
		}
		convs += len(page)
		if len(page) == 0 {
			return inbound, convs, nil
		}
		last := page[len(page)-1]
		q.After = &omnichannel.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
}
