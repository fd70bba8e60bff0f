package storebench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// Environment of BenchmarkBigInbox, read by BigInboxSpec.
const (
	// BigInboxSizeEnv sets the number of conversations (default 20,000); the figure is
	// 1000000.
	BigInboxSizeEnv = "DAKENH_BIGBOX_CONVERSATIONS"
	// BigInboxDeepEnv sets how many pages of 50 the deep-page cases skip (default 20).
	BigInboxDeepEnv = "DAKENH_BIGBOX_DEEP_PAGES"
)

const (
	bigInboxDefaultSize = 20_000
	bigInboxAgent       = "agent-007"
	bigInboxDeepPages   = 20
)

// BigInboxSpec returns the big-inbox workspace "big" sized by BigInboxSizeEnv, and the deep-page
// depth from BigInboxDeepEnv.
func BigInboxSpec(tb testing.TB) (spec bigbox.Spec, deepPages int) {
	tb.Helper()
	size := EnvInt(tb, BigInboxSizeEnv, bigInboxDefaultSize)
	return bigbox.Spec{WorkspaceID: "big", Conversations: size}, EnvInt(tb, BigInboxDeepEnv, bigInboxDeepPages)
}

// EnvInt reads a positive number from the environment variable name, def when it is not set.
func EnvInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// SeedBigInbox stores spec's workspace in st (through BulkLoad when st has it) unless its last
// conversation is already there, logging the seeding rate. It reports whether it seeded.
func SeedBigInbox(tb testing.TB, st omnichannel.Store, spec bigbox.Spec) bool {
	tb.Helper()
	ctx := context.Background()
	last := bigbox.ConversationID(spec.Conversations - 1)
	err := st.View(ctx, func(tx omnichannel.Tx) error {
		_, err := tx.GetConversation(spec.WorkspaceID, last)
		return err
	})
	switch {
	case err == nil:
		return false
	case !errors.Is(err, omnichannel.ErrNotFound):
		tb.Fatal(err)
	}
	start := time.Now()
	tot, err := bigbox.Load(ctx, st, spec, 0)
	if err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	rows := 3*tot.Conversations + tot.Messages + tot.ReadStates
	tb.Logf("seeded %d conversations, %d messages, %d read states (%d rows) in %v: %.0f rows/s",
		tot.Conversations, tot.Messages, tot.ReadStates, rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	return true
}

// NewBenchEngine is an Engine over st for benchmarks and tests that only read and act through the
// engine; its channel (the fake one) is there because an Engine needs one.
func NewBenchEngine(tb testing.TB, st omnichannel.Store) *omnichannel.Engine {
	tb.Helper()
	ch, err := fakechannel.New(fakechannel.Config{Secret: "bench", BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		tb.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := omnichannel.New(omnichannel.Config{Store: st, Channels: []omnichannel.Channel{ch}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: tb.TempDir()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// BenchmarkBigInbox measures what agents feel on a big workspace (issue #7, scenario 2) over st,
// which holds spec's workspace (see SeedBigInbox): every case runs through a real
// omnichannel.Engine (visibility scoping, the unread badge of every row) and reports the p50 and p99
// latency of one call in µs. List cases run as an agent (whose queries carry the visible
// connections) unless named "Boss" (the supervisor); deep pages start after deepPages pages of 50.
func BenchmarkBigInbox(b *testing.B, st omnichannel.Store, spec bigbox.Spec, deepPages int) {
	eng := NewBenchEngine(b, st)
	ctx := context.Background()
	ws := spec.WorkspaceID
	for _, c := range bigInboxListCases(spec) {
		q := c.q
		q.WorkspaceID = ws
		b.Run("List/"+c.name+"/First", func(b *testing.B) {
			measure(b, func() error { _, err := eng.ListConversations(ctx, c.viewer, q); return err })
		})
		deep := q
		deep.After = engineDeepCursor(b, eng, c.viewer, q, deepPages)
		b.Run("List/"+c.name+"/Deep", func(b *testing.B) {
			measure(b, func() error { _, err := eng.ListConversations(ctx, c.viewer, deep); return err })
		})
	}
	for _, viewer := range []string{bigInboxAgent, bigbox.SupervisorID} {
		b.Run("UnreadCount/"+viewer, func(b *testing.B) {
			q := omnichannel.ConversationQuery{WorkspaceID: ws}
			measure(b, func() error { _, err := eng.CountUnread(ctx, viewer, q); return err })
		})
	}
	b.Run("Messages50", func(b *testing.B) {
		measure(b, func() error {
			list, err := eng.Messages(ctx, ws, bigbox.SupervisorID, bigbox.LongThreadID(), 0, 50)
			if err == nil && len(list) != 50 {
				err = fmt.Errorf("listed %d messages, want 50", len(list))
			}
			return err
		})
	})
	for _, c := range bigInboxSearches(b, st, spec) {
		b.Run("Search/"+c.name, func(b *testing.B) {
			q := omnichannel.ConversationQuery{WorkspaceID: ws, Search: c.text}
			var found int
			measure(b, func() error {
				page, err := eng.ListConversations(ctx, bigInboxAgent, q)
				if err == nil {
					found = len(page.Conversations)
				}
				return err
			})
			if c.none && found != 0 || !c.none && found == 0 {
				b.Fatalf("search %q found %d conversations", c.text, found)
			}
		})
	}
}

// bigInboxCase is a list filter and who looks at it.
type bigInboxCase struct {
	name   string
	viewer string
	q      omnichannel.ConversationQuery
}

// bigInboxListCases are the filters alone, and three combined.
func bigInboxListCases(spec bigbox.Spec) []bigInboxCase {
	type cq = omnichannel.ConversationQuery
	open := []omnichannel.ConversationStatus{omnichannel.StatusOpen}
	return []bigInboxCase{
		{"All", bigInboxAgent, cq{}},
		{"All/Boss", bigbox.SupervisorID, cq{}},
		{"Channel", bigInboxAgent, cq{ChannelKinds: []omnichannel.Kind{bigbox.KindTikTok}}},
		{"Status", bigInboxAgent, cq{Statuses: open}},
		{"Unread", bigInboxAgent, cq{ReadState: omnichannel.ReadUnread}},
		{"Read", bigInboxAgent, cq{ReadState: omnichannel.ReadRead}},
		{"Unread/Boss", bigbox.SupervisorID, cq{ReadState: omnichannel.ReadUnread}},
		{"Read/Boss", bigbox.SupervisorID, cq{ReadState: omnichannel.ReadRead}},
		{"Assignee", bigInboxAgent, cq{AssigneeIDs: []string{bigInboxAgent}}},
		{"Unassigned", bigInboxAgent, cq{AssigneeIDs: []string{omnichannel.Unassigned}}},
		{"Team", bigInboxAgent, cq{TeamIDs: []string{bigbox.TeamID(2)}}},
		{"Category", bigInboxAgent, cq{CategoryIDs: []string{bigbox.CategoryID(1, -1, -1)}}},
		{"CategoryLeaf", bigInboxAgent, cq{CategoryIDs: []string{bigbox.CategoryID(1, 2, 0)}}},
		{"Classification", bigInboxAgent, cq{ClassificationIDs: []string{"vip"}}},
		{"Connection", bigInboxAgent, cq{ConnectionIDs: []string{bigbox.ConnectionID(spec.WorkspaceID, 1)}}},
		{"AwaitingClaim", bigInboxAgent, cq{AwaitingClaim: true}},
		{"OpenMineUnread", bigInboxAgent, cq{Statuses: open, AssigneeIDs: []string{bigInboxAgent},
			ReadState: omnichannel.ReadUnread}},
		{"OpenTikTokTeam", bigInboxAgent, cq{Statuses: open, ChannelKinds: []omnichannel.Kind{bigbox.KindTikTok},
			TeamIDs: []string{bigbox.TeamID(1)}}},
		{"CategoryClassChannel", bigbox.SupervisorID, cq{CategoryIDs: []string{bigbox.CategoryID(2, -1, -1)},
			ClassificationIDs: []string{"sale"}, ChannelKinds: []omnichannel.Kind{bigbox.KindZalo}}},
		// The bench tool's "done + category + classification" (README).
		{"DoneCategoryClass", bigInboxAgent, cq{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusDone},
			CategoryIDs: []string{bigbox.CategoryID(2, -1, -1)}, ClassificationIDs: []string{"sale"}}},
	}
}

// bigInboxSearch is a free-text search and whether it should find nothing.
type bigInboxSearch struct {
	name, text string
	none       bool
}

// bigInboxSearches are the searches of the issue: a common family name, a rare full name (each also
// typed without accents), a name nobody has, and a customer's phone number as typed (national
// form, digits only).
func bigInboxSearches(b *testing.B, st omnichannel.Store, spec bigbox.Spec) []bigInboxSearch {
	var phone string
	for i := spec.Conversations / 3; phone == "" && i < spec.Conversations; i++ {
		err := st.View(context.Background(), func(tx omnichannel.Tx) error {
			c, err := tx.GetConversation(spec.WorkspaceID, bigbox.ConversationID(i))
			if err == nil {
				phone = c.ContactPhone
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(phone) < 12 {
		b.Fatalf("no customer with a phone number (%q)", phone)
	}
	return []bigInboxSearch{
		{"CommonName", "Nguyễn", false},
		{"CommonName/Unaccented", "nguyen", false},
		{"FullName", bigbox.Name(spec, spec.Conversations/2), false},
		{"FullName/Unaccented", omnichannel.FoldSearch(bigbox.Name(spec, spec.Conversations/2)), false},
		{"NoMatch", "Zyx Qwerty", true},
		{"Phone", "0" + phone[3:], false},
		{"PhonePart", phone[len(phone)-7:], false},
	}
}

// measure runs fn b.N times and reports the p50 and p99 of one call.
func measure(b *testing.B, fn func() error) {
	b.Helper()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(p float64) float64 {
		return float64(took[min(int(p*float64(len(took))), len(took)-1)].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// engineDeepCursor walks pages of q for viewer and returns the cursor of the page after them (the
// last cursor when the list is shorter).
func engineDeepCursor(b *testing.B, eng *omnichannel.Engine, viewer string, q omnichannel.ConversationQuery, pages int) *omnichannel.Cursor {
	b.Helper()
	var after *omnichannel.Cursor
	for range pages {
		q.After = after
		page, err := eng.ListConversations(context.Background(), viewer, q)
		if err != nil {
			b.Fatal(err)
		}
		if page.Next == "" {
			return after
		}
		if after, err = omnichannel.ParseCursor(page.Next); err != nil {
			b.Fatal(err)
		}
	}
	return after
}
