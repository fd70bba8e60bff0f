package storebench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Benchmark measures a Store on the work an inbox does most: durable webhook ingest through a real
// Engine, the conversation list (first and deep pages, with the common filters) over a workspace of
// 10,000 conversations, the unread count, and a thread's newest 50 messages.
//
// newStore returns a new, empty store and registers its Close with tb.Cleanup. Benchmark calls it
// twice: once for Ingest and once for the seeded workspace the read benchmarks share (seeding is not
// timed). Run it with, for example:
//
//	go test -run '^$' -bench . ./store/sqlite/
//
// Ingest reports msgs/s: signed Zalo OA webhooks (real payloads, verified and parsed by the real
// adapter) handled by Engine.WebhookHandler, called directly (no network), from IngestSenders
// goroutines at once so that a store that groups concurrent commits can show it. Every 10th
// delivery repeats an acknowledged one (not counted in msgs/s); one new message in four comes from
// a new customer (a new contact, identity and conversation, routed by round-robin), the others go
// to existing conversations. It also reports webhooks/s and the p50 / p99 time to the answer under
// that load, and fails unless exactly the acknowledged messages were stored.
func Benchmark(b *testing.B, newStore func(tb testing.TB) omnichannel.Store) {
	b.Run("Ingest", func(b *testing.B) { benchIngest(b, newStore(b), 0) })

	s := newStore(b)
	ws := seedBenchWorkspace(b, s)
	for _, f := range benchFilters() {
		q := f.q
		q.WorkspaceID = ws.id
		b.Run("ListFirstPage/"+f.name, func(b *testing.B) {
			benchView(b, s, func(tx omnichannel.Tx) error {
				_, err := tx.ListConversations(q)
				return err
			})
		})
	}
	for _, f := range benchFilters() {
		q := f.q
		q.WorkspaceID = ws.id
		q.After = deepCursor(b, s, q)
		b.Run("ListDeepPage/"+f.name, func(b *testing.B) {
			benchView(b, s, func(tx omnichannel.Tx) error {
				_, err := tx.ListConversations(q)
				return err
			})
		})
	}
	b.Run("UnreadCount", func(b *testing.B) {
		q := omnichannel.ConversationQuery{WorkspaceID: ws.id, ViewerID: benchViewer}
		benchView(b, s, func(tx omnichannel.Tx) error {
			_, err := tx.CountUnread(q)
			return err
		})
	})
	b.Run("Messages50", func(b *testing.B) {
		benchView(b, s, func(tx omnichannel.Tx) error {
			list, err := tx.ListMessages(ws.id, ws.longThread, 0, 50)
			if err == nil && len(list) != 50 {
				err = fmt.Errorf("listed %d messages, want 50", len(list))
			}
			return err
		})
	})
}

// benchView runs fn in a View b.N times.
func benchView(b *testing.B, s omnichannel.Store, fn func(tx omnichannel.Tx) error) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		if err := s.View(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
}

const (
	benchViewer = "agent-00"
	// benchConversations is the size of the seeded workspace.
	benchConversations = 10_000
	// benchThreadLength is the number of messages of the long thread.
	benchThreadLength = 1_000
)

// statusWriter is the smallest http.ResponseWriter: it keeps the status and drops the body.
type statusWriter struct {
	header http.Header
	status int
}

func (w *statusWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// benchWorkspace is the seeded workspace of the read benchmarks.
type benchWorkspace struct {
	id         string
	longThread string
}

type benchFilter struct {
	name string
	q    omnichannel.ConversationQuery
}

// benchFilters are the common list filters of the inbox.
func benchFilters() []benchFilter {
	return []benchFilter{
		{"NoFilter", omnichannel.ConversationQuery{}},
		{"StatusChannel", omnichannel.ConversationQuery{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen},
			ChannelKinds: []omnichannel.Kind{"zalooa"}}},
		{"Assignee", omnichannel.ConversationQuery{AssigneeIDs: []string{"agent-03"}}},
		{"UnreadForUser", omnichannel.ConversationQuery{ViewerID: benchViewer, ReadState: omnichannel.ReadUnread}},
		{"Search", omnichannel.ConversationQuery{Search: "trần", SearchDigits: "8490"}},
	}
}

var benchFamilyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"}

// seedBenchWorkspace stores 10,000 conversations (with their contacts and identities) spread over
// two connections, statuses, 20 agents, 4 teams, a category tree and 3 classifications, read states
// of the viewer for a third of them, and one thread of 1,000 messages.
func seedBenchWorkspace(b *testing.B, s omnichannel.Store) benchWorkspace {
	b.Helper()
	ctx := context.Background()
	ws := benchWorkspace{id: "bench-list", longThread: "conv-00000"}
	rng := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
	conns := []*omnichannel.Connection{
		{WorkspaceID: ws.id, ID: "bench-zalo", Kind: "zalooa", ExternalID: "oa-1", Status: omnichannel.ConnectionConnected},
		{WorkspaceID: ws.id, ID: "bench-tiktok", Kind: "tiktok", ExternalID: "tt-1", Status: omnichannel.ConnectionConnected},
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.Update(ctx, func(tx omnichannel.Tx) error {
		for _, c := range conns {
			if err := tx.PutConnection(c); err != nil {
				return err
			}
		}
		return nil
	}))
	const chunk = 500
	for start := 0; start < benchConversations; start += chunk {
		must(s.Update(ctx, func(tx omnichannel.Tx) error {
			for i := start; i < min(start+chunk, benchConversations); i++ {
				if err := seedBenchConversation(tx, ws.id, conns[i%2], i, rng, base); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	must(s.Update(ctx, func(tx omnichannel.Tx) error {
		for seq := int64(1); seq <= benchThreadLength; seq++ {
			m := &omnichannel.Message{WorkspaceID: ws.id, ID: fmt.Sprintf("msg-%05d", seq), ConversationID: ws.longThread,
				ConnectionID: conns[0].ID, Seq: seq, Direction: omnichannel.DirectionIn, Type: omnichannel.MessageText,
				Text: fmt.Sprintf("tin nhắn số %d", seq), Status: omnichannel.MessageReceived,
				ProviderMessageID: fmt.Sprintf("pm-%05d", seq),
				CreatedAt:         base.Add(time.Duration(seq) * time.Second), UpdatedAt: base.Add(time.Duration(seq) * time.Second)}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	}))
	return ws
}

func seedBenchConversation(tx omnichannel.Tx, ws string, conn *omnichannel.Connection, i int, rng *rand.Rand, base time.Time) error {
	id := fmt.Sprintf("%05d", i)
	name := fmt.Sprintf("%s Văn %s", benchFamilyNames[rng.IntN(len(benchFamilyNames))], id)
	phone := fmt.Sprintf("+849%08d", rng.IntN(100_000_000))
	created := base.Add(time.Duration(i) * time.Minute)
	if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: ws, ID: "ct-" + id, Name: name, Phone: phone,
		CreatedAt: created, UpdatedAt: created}); err != nil {
		return err
	}
	if err := tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: ws, ID: "idn-" + id, ContactID: "ct-" + id,
		ConnectionID: conn.ID, ChannelKind: conn.Kind, ExternalUserID: "user-" + id, DisplayName: name,
		CreatedAt: created, UpdatedAt: created}); err != nil {
		return err
	}
	c := &omnichannel.Conversation{WorkspaceID: ws, ID: "conv-" + id, ConnectionID: conn.ID, ChannelKind: conn.Kind,
		ContactID: "ct-" + id, IdentityID: "idn-" + id, ContactName: name, ContactPhone: phone,
		Status: omnichannel.StatusOpen, LastMessageText: "Cho mình hỏi giá ạ", LastMessageDirection: omnichannel.DirectionIn,
		InboundCount: int64(1 + rng.IntN(5)), LastSeq: 10, CreatedAt: created, UpdatedAt: created,
		// Activity is spread over a month, not in id order.
		LastMessageAt: base.Add(time.Duration(rng.IntN(30*24*3600)) * time.Second)}
	c.LastInboundAt = c.LastMessageAt
	if rng.IntN(10) < 3 {
		c.Status = omnichannel.StatusDone
	}
	if rng.IntN(10) > 0 {
		c.AssigneeID = fmt.Sprintf("agent-%02d", rng.IntN(20))
	}
	c.TeamID = fmt.Sprintf("team-%d", rng.IntN(4))
	if rng.IntN(2) == 0 {
		top := fmt.Sprintf("cat-%d", rng.IntN(5))
		c.CategoryPath = []string{top, fmt.Sprintf("%s-%d", top, rng.IntN(3))}
		c.CategoryID = c.CategoryPath[1]
	}
	c.ClassificationID = []string{"", "cskh", "sale", "spam"}[rng.IntN(4)]
	if err := tx.InsertConversation(c); err != nil {
		return err
	}
	if i%3 == 0 { // the viewer has read a third of them, some only in part
		read := c.InboundCount - int64(rng.IntN(2))
		return tx.PutReadState(&omnichannel.ReadState{WorkspaceID: ws, UserID: benchViewer, ConversationID: c.ID,
			InboundCount: read, Seq: c.LastSeq, ReadAt: c.LastMessageAt})
	}
	return nil
}

// deepCursor returns the cursor after row 5,000 of q's list, or after its middle row when the list
// is shorter.
func deepCursor(b *testing.B, s omnichannel.Store, q omnichannel.ConversationQuery) *omnichannel.Cursor {
	b.Helper()
	var all []*omnichannel.Conversation
	q.Limit = 500
	for {
		var page []*omnichannel.Conversation
		if err := s.View(context.Background(), func(tx omnichannel.Tx) (err error) {
			page, err = tx.ListConversations(q)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < q.Limit || len(all) >= benchConversations/2 {
			break
		}
		last := page[len(page)-1]
		q.After = &omnichannel.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
	if len(all) == 0 {
		b.Fatalf("filter %+v matches nothing", q)
	}
	at := min(benchConversations/2, len(all)/2)
	return &omnichannel.Cursor{LastMessageAt: all[at].LastMessageAt, ConversationID: all[at].ID}
}
