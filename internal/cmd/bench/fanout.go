package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
)

// fanoutUserHeader names the user of an agent API request in the fan-out scenario: the
// scenario's Authenticator trusts it, as a host's session layer would trust its cookie.
const fanoutUserHeader = "X-Bench-User"

// fanoutStall ends the wait for late events: no client read anything new for this long.
const fanoutStall = 15 * time.Second

// fanoutRuleAgents is the size of the round-robin rule of the fan-out workspace.
const fanoutRuleAgents = 10

// sseClient is one agent's event stream and what it received.
type sseClient struct {
	user string
	mu   sync.Mutex
	// got maps a message's bench id to when its message.created event was read.
	got     map[string]time.Time
	resyncs int
	err     error
}

// runFanout connects o.FanoutClients agents to GET /api/events, then posts webhooks at
// o.FanoutRate for o.Duration and measures, for every client and every acknowledged message, the
// delay from the webhook's 200 to the client reading the message.created event.
func runFanout(ctx context.Context, o Options, kind string, rep *Report, logf func(string, ...any)) error {
	env, closeAll, err := openScenario(ctx, o, kind, "fanout")
	if err != nil {
		return err
	}
	defer closeAll()
	st, p, eng := env.st, env.p, env.eng
	ws, err := setupWorkspace(ctx, eng, p, "bench-fanout", o.FanoutClients, omnichannel.MethodRoundRobin, nil)
	if err != nil {
		return err
	}
	// Routing stays on, over a few agents; every agent sees every conversation (shared connections).
	if _, err := eng.SaveRule(ctx, benchSupervisor, omnichannel.Rule{WorkspaceID: ws.id, ID: ws.ruleID, Name: "Bench fan-out",
		SourceIDs: []string{ws.zaloConn.ID, ws.ttConn.ID}, UserIDs: ws.agents[:min(fanoutRuleAgents, len(ws.agents))],
		Method: omnichannel.MethodRoundRobin}); err != nil {
		return err
	}
	api, err := inboxapi.New(inboxapi.Config{Engine: eng, Logger: discardLogger, Auth: headerAuth(st, ws.id)})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", eng.WebhookHandler()))
	base, stop, err := serveHTTP(mux)
	if err != nil {
		return err
	}
	defer stop()
	hooks := newClient()
	if err := deliverAll(ctx, hooks, base, regularsTraffic(p, o.Regulars), 16); err != nil {
		return err
	}
	if err := settle(ctx, st); err != nil {
		return err
	}

	logf("fan-out on %s: connecting %d SSE clients", kind, len(ws.agents))
	streamCtx, endStreams := context.WithCancel(ctx)
	defer endStreams()
	streams := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	clients := make([]*sseClient, len(ws.agents))
	connected := make(chan error, len(ws.agents))
	var wg sync.WaitGroup
	for i, agent := range ws.agents {
		c := &sseClient{user: agent, got: map[string]time.Time{}}
		clients[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stream(streamCtx, streams, base, connected)
		}()
	}
	defer wg.Wait()
	defer endStreams()
	for range clients {
		select {
		case err := <-connected:
			if err != nil {
				return fmt.Errorf("an SSE client could not connect: %w", err)
			}
		case <-time.After(2 * time.Minute):
			return errors.New("the SSE clients did not all connect within 2 minutes")
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	logf("fan-out on %s: %d webhooks/s for %s to %d clients", kind, o.FanoutRate, o.Duration, len(clients))
	traffic := &ingestTraffic{p: p, prefix: "f", regulars: o.Regulars}
	sent := openLoop(ctx, hooks, base, o.FanoutRate, o.Duration, 1<<30, traffic.next)
	acked := map[string]time.Time{}
	prefixes := map[string]string{} // bench id → the webhook id's channel prefix
	for id, at := range sent.AckTimes {
		acked[id[2:]] = at
		prefixes[id[2:]] = id[:2]
	}
	// Wait for the stragglers while they keep arriving: stop when every client has every message,
	// or when nothing arrived for fanoutStall.
	for last, lastAt := -1, time.Now(); ctx.Err() == nil; time.Sleep(20 * time.Millisecond) {
		n := received(clients, acked)
		if n == len(clients)*len(acked) || time.Since(lastAt) > fanoutStall {
			break
		}
		if n != last {
			last, lastAt = n, time.Now()
		}
	}
	endStreams()
	wg.Wait()

	var delays, fromSend []time.Duration
	missing, early, resyncs, broken := 0, 0, 0, 0
	for _, c := range clients {
		c.mu.Lock()
		for id, ackAt := range acked {
			at, ok := c.got[id]
			if ok {
				fromSend = append(fromSend, at.Sub(sent.SendTimes[prefixes[id]+id]))
			}
			switch {
			case !ok:
				missing++
			case at.Before(ackAt):
				early++ // the event was read before the sender read its 200
				delays = append(delays, 0)
			default:
				delays = append(delays, at.Sub(ackAt))
			}
		}
		resyncs += c.resyncs
		if c.err != nil {
			broken++
		}
		c.mu.Unlock()
	}
	rep.add(Figure{Scenario: scenarioFanout, Store: kind, Name: "SSE clients", Value: float64(len(clients)), Unit: "clients"})
	rep.add(Figure{Scenario: scenarioFanout, Store: kind, Name: "webhooks acknowledged", Value: float64(len(acked)), Unit: "messages",
		Target: fmt.Sprintf("%d/s for %s", o.FanoutRate, o.Duration)})
	rep.latency(scenarioFanout, kind, "webhook 200 → event read by the client", "p99 ≤ 100 ms", delays)
	rep.latency(scenarioFanout, kind, "webhook sent → event read by the client", "", fromSend)
	rep.check(Check{Scenario: scenarioFanout, Store: kind, Name: "every client got every event",
		OK: missing == 0 && resyncs == 0 && broken == 0 && sent.Failed == 0,
		Detail: fmt.Sprintf("%d clients × %d messages: %d missing, %d resyncs, %d streams broken, %d webhooks failed, %d events read before the sender read its 200 (counted as 0 ms)",
			len(clients), len(acked), missing, resyncs, broken, sent.Failed, early)})
	return nil
}

// headerAuth authenticates a request by fanoutUserHeader: the user of the workspace with that id.
func headerAuth(st omnichannel.Store, wsID string) inboxapi.Authenticator {
	return inboxapi.AuthenticatorFunc(func(r *http.Request) (*omnichannel.User, error) {
		id := r.Header.Get(fanoutUserHeader)
		if id == "" {
			return nil, errors.New("no user")
		}
		var u *omnichannel.User
		err := st.View(r.Context(), func(tx omnichannel.Tx) (err error) {
			u, err = tx.GetUser(wsID, id)
			return err
		})
		return u, err
	})
}

// stream reads the client's event stream until ctx ends; it sends one value on connected: nil when
// the stream is open, or the error that kept it from opening.
func (c *sseClient) stream(ctx context.Context, hc *http.Client, base string, connected chan<- error) {
	fail := func(err error) {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events", nil)
	if err != nil {
		connected <- err
		return
	}
	req.Header.Set(fanoutUserHeader, c.user)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		connected <- err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		connected <- fmt.Errorf("GET /api/events answered %d", resp.StatusCode)
		return
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	opened := false
	event := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if !opened {
				connected <- err
			} else if ctx.Err() == nil {
				fail(err)
			}
			return
		}
		now := time.Now()
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == ": connected" && !opened:
			opened = true
			connected <- nil
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: ") && event == "resync":
			c.mu.Lock()
			c.resyncs++
			c.mu.Unlock()
		case strings.HasPrefix(line, "data: ") && event == string(omnichannel.EventMessageCreated):
			// Only the message text is decoded (the field names of inboxapi.Event and Message): a
			// full decode of every event by 1,000 clients costs the server's 2 cores a fifth of
			// their time, which is not what the scenario measures.
			var ev struct {
				Message *struct {
					Text string `json:"text"`
				} `json:"message"`
			}
			if json.Unmarshal([]byte(line[len("data: "):]), &ev) != nil || ev.Message == nil {
				continue
			}
			if i := strings.LastIndexByte(ev.Message.Text, '#'); i >= 0 {
				c.mu.Lock()
				if _, dup := c.got[ev.Message.Text[i+1:]]; !dup {
					c.got[ev.Message.Text[i+1:]] = now
				}
				c.mu.Unlock()
			}
		case line == "":
			event = ""
		}
	}
}

// received counts the (client, acknowledged message) pairs read so far.
func received(clients []*sseClient, acked map[string]time.Time) int {
	n := 0
	for _, c := range clients {
		c.mu.Lock()
		for id := range acked {
			if _, ok := c.got[id]; ok {
				n++
			}
		}
		c.mu.Unlock()
	}
	return n
}
