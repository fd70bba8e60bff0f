package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
)

// bigboxViewer is the agent whose lists are measured (a real agent of the seeded workspace).
var bigboxViewer = bigbox.AgentID(7)

// listCase is one list filter of the inbox (or a combination), measured as the viewer sees it.
type listCase struct {
	name string
	q    omnichannel.ConversationQuery
}

// listCases are the filters of the big-inbox scenario: each A1 filter alone, then three combined.
func listCases(ws string) []listCase {
	open := []omnichannel.ConversationStatus{omnichannel.StatusOpen}
	done := []omnichannel.ConversationStatus{omnichannel.StatusDone}
	return []listCase{
		{"no filter", omnichannel.ConversationQuery{}},
		{"channel tiktok", omnichannel.ConversationQuery{ChannelKinds: []omnichannel.Kind{bigbox.KindTikTok}}},
		{"status open", omnichannel.ConversationQuery{Statuses: open}},
		{"unread (viewer)", omnichannel.ConversationQuery{ReadState: omnichannel.ReadUnread}},
		{"read (viewer)", omnichannel.ConversationQuery{ReadState: omnichannel.ReadRead}},
		{"assignee = viewer", omnichannel.ConversationQuery{AssigneeIDs: []string{bigboxViewer}}},
		{"unassigned", omnichannel.ConversationQuery{AssigneeIDs: []string{omnichannel.Unassigned}}},
		// A team's list: its own conversations and those its members got from the rule.
		{"team", omnichannel.ConversationQuery{TeamIDs: []string{bigbox.TeamID(2)}}},
		{"category (any level)", omnichannel.ConversationQuery{CategoryIDs: []string{bigbox.CategoryID(1, -1, -1)}}},
		{"classification", omnichannel.ConversationQuery{ClassificationIDs: []string{"vip"}}},
		{"connection", omnichannel.ConversationQuery{ConnectionIDs: []string{bigbox.ConnectionID(ws, 1)}}},
		{"open + unread + team", omnichannel.ConversationQuery{Statuses: open, ReadState: omnichannel.ReadUnread,
			TeamIDs: []string{bigbox.TeamID(bigboxViewerTeam())}}},
		{"open + tiktok + assignee = viewer", omnichannel.ConversationQuery{Statuses: open,
			ChannelKinds: []omnichannel.Kind{bigbox.KindTikTok}, AssigneeIDs: []string{bigboxViewer}}},
		{"done + category + classification", omnichannel.ConversationQuery{Statuses: done,
			CategoryIDs: []string{bigbox.CategoryID(2, -1, -1)}, ClassificationIDs: []string{"sale"}}},
	}
}

// bigboxViewerTeam is the team of bigboxViewer (agent i is in team i mod Teams).
func bigboxViewerTeam() int { return 7 % bigbox.Teams }

// runBigbox seeds (or reuses) the big inbox on one store and measures the queries through an
// Engine.
func runBigbox(ctx context.Context, o Options, kind string, rep *Report, logf func(string, ...any)) error {
	size := o.Size
	if kind == storeMemory {
		size = o.MemorySize
	}
	spec := bigboxSpec(size)
	st, info, closeStore, err := openSeeded(ctx, o, kind, spec, logf)
	if err != nil {
		return err
	}
	defer closeStore()
	// The planner statistics of a just-loaded inbox (BulkLoad's documented next step); without them
	// the first queries race autovacuum's own ANALYZE of ten million rows.
	start := time.Now()
	if err := settle(ctx, st); err != nil {
		return err
	}
	logf("big inbox on %s: statistics refreshed in %v", kind, time.Since(start).Round(time.Millisecond))
	seedName := "seed: conversations + messages (bulk load)"
	switch {
	case info.Reused:
		seedName = "seed (reused; time of the run that seeded it)"
	case !info.Bulk:
		seedName = "seed: conversations + messages (Tx calls: no BulkLoad)"
	}
	rep.add(Figure{Scenario: scenarioBigbox, Store: kind, Name: seedName, Value: info.Seconds, Unit: "s"})
	rep.add(Figure{Scenario: scenarioBigbox, Store: kind, Name: "conversations", Value: float64(info.Totals.Conversations), Unit: "rows"})
	rep.add(Figure{Scenario: scenarioBigbox, Store: kind, Name: "messages", Value: float64(info.Totals.Messages), Unit: "rows"})

	p, err := newProviders()
	if err != nil {
		return err
	}
	defer p.Close()
	blobs, rmBlobs, err := tempBlobDir()
	if err != nil {
		return err
	}
	defer rmBlobs()
	eng, err := newEngine(st, p, blobs)
	if err != nil {
		return err
	}
	ws := spec.WorkspaceID
	m := &sampler{o: o, rep: rep, store: kind}
	logf("big inbox on %s: list queries", kind)
	for _, c := range listCases(ws) {
		q := c.q
		q.WorkspaceID, q.Limit = ws, 50
		if err := m.measure("list first page: "+c.name, "p99 ≤ 10 ms", func() error {
			_, err := eng.ListConversations(ctx, bigboxViewer, q)
			return err
		}); err != nil {
			return err
		}
		after, err := deepCursor(ctx, st, q, ws, o.DeepRow)
		if err != nil {
			return err
		}
		q.After = after
		if err := m.measure("list deep page: "+c.name, "p99 ≤ 10 ms", func() error {
			_, err := eng.ListConversations(ctx, bigboxViewer, q)
			return err
		}); err != nil {
			return err
		}
	}
	logf("big inbox on %s: unread counts, messages, search", kind)
	for _, u := range []struct{ name, id string }{{"unread count: agent", bigboxViewer}, {"unread count: supervisor", bigbox.SupervisorID}} {
		if err := m.measure(u.name, "p99 ≤ 1 ms", func() error {
			_, err := eng.CountUnread(ctx, u.id, omnichannel.ConversationQuery{WorkspaceID: ws})
			return err
		}); err != nil {
			return err
		}
	}
	thread, want := threadToOpen(spec)
	if err := m.measure("last 50 messages (a long thread)", "", func() error {
		list, err := eng.Messages(ctx, ws, bigboxViewer, thread, 0, 50)
		if err == nil && len(list) < want {
			err = fmt.Errorf("conversation %s gave %d messages, want %d", thread, len(list), want)
		}
		return err
	}); err != nil {
		return err
	}
	phone, err := somePhone(ctx, eng, ws)
	if err != nil {
		return err
	}
	searches := []struct{ name, text string }{
		{"search name: common (\"Nguyễn\")", "Nguyễn"},
		{"search name: common unaccented (\"nguyen\")", "nguyen"},
		{"search name: rare (a full name)", bigbox.Name(spec, 4242)},
		{"search name: rare unaccented (" + omnichannel.FoldSearch(bigbox.Name(spec, 4242)) + ")",
			omnichannel.FoldSearch(bigbox.Name(spec, 4242))},
		{"search name: no match", "Khôngcó Aitên"},
		{"search phone: full number", phone},
		{"search phone: 6 digits", phone[:6]},
	}
	for _, s := range searches {
		q := omnichannel.ConversationQuery{WorkspaceID: ws, Search: s.text, Limit: 50}
		if err := m.measure(s.name, "p99 ≤ 50 ms", func() error {
			_, err := eng.ListConversations(ctx, bigboxViewer, q)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// threadToOpen is the conversation whose last 50 messages are measured: a long thread when the
// workspace has one (more than 1,000 conversations), else the first conversation. want is how many
// messages it must give.
func threadToOpen(spec bigbox.Spec) (id string, want int) {
	if spec.Conversations > 1000 {
		return bigbox.LongThreadID(), 50
	}
	return bigbox.ConversationID(0), 1
}

// somePhone returns the phone of a conversation of the first page, written as a customer types it
// ("09…").
func somePhone(ctx context.Context, eng *omnichannel.Engine, ws string) (string, error) {
	page, err := eng.ListConversations(ctx, bigbox.SupervisorID, omnichannel.ConversationQuery{WorkspaceID: ws, Limit: 200})
	if err != nil {
		return "", err
	}
	for _, c := range page.Conversations {
		if strings.HasPrefix(c.ContactPhone, "+84") && len(c.ContactPhone) > 8 {
			return "0" + c.ContactPhone[3:], nil
		}
	}
	return "", fmt.Errorf("no conversation with a phone on the first page")
}

// deepCursor returns the cursor after row deepRow of q's list (after its middle row when the list
// is shorter), read through the store with the viewer's scope applied as the Engine does.
func deepCursor(ctx context.Context, st omnichannel.Store, q omnichannel.ConversationQuery, ws string, deepRow int) (*omnichannel.Cursor, error) {
	q.ViewerID, q.Limit, q.After = bigboxViewer, 500, nil
	if len(q.ConnectionIDs) == 0 {
		for i := range bigbox.Connections {
			q.ConnectionIDs = append(q.ConnectionIDs, bigbox.ConnectionID(ws, i))
		}
	}
	var rows []*omnichannel.Conversation
	for len(rows) < deepRow+1 {
		var page []*omnichannel.Conversation
		if err := st.View(ctx, func(tx omnichannel.Tx) (err error) { page, err = tx.ListConversations(q); return err }); err != nil {
			return nil, err
		}
		rows = append(rows, page...)
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		q.After = &omnichannel.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	at := min(deepRow, len(rows)/2)
	return &omnichannel.Cursor{LastMessageAt: rows[at].LastMessageAt, ConversationID: rows[at].ID}, nil
}

// sampler measures a query o.Samples times or until o.QueryBudget is spent (at least 3 times) and
// records its p50 and p99.
type sampler struct {
	o     Options
	rep   *Report
	store string
}

func (s *sampler) measure(name, target string, fn func() error) error {
	if err := fn(); err != nil { // warm-up, and the error check
		return fmt.Errorf("%s: %w", name, err)
	}
	var d []time.Duration
	start := time.Now()
	for len(d) < s.o.Samples && (len(d) < 3 || time.Since(start) < s.o.QueryBudget) {
		t0 := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d = append(d, time.Since(t0))
	}
	s.rep.latency(scenarioBigbox, s.store, name, target, d)
	return nil
}
