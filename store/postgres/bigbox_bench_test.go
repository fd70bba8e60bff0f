package postgres_test

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

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/postgres"
)

// Environment of BenchmarkBigInbox.
const (
	// bigInboxSizeEnv sets the number of conversations (default bigInboxDefaultSize); the issue's
	// figure is 1000000.
	bigInboxSizeEnv = "DAKENH_BIGBOX_CONVERSATIONS"
	// bigInboxSchemaEnv names a schema to seed once and keep across runs (default: a new schema,
	// dropped at the end). A schema holding the workspace's last conversation is not seeded again.
	bigInboxSchemaEnv = "DAKENH_BIGBOX_SCHEMA"
	// bigInboxDeepEnv sets how many pages of 50 the deep-page cases skip (default
	// bigInboxDeepPages).
	bigInboxDeepEnv = "DAKENH_BIGBOX_DEEP_PAGES"
)

const (
	bigInboxDefaultSize = 20_000
	bigInboxWorkspace   = "big"
	bigInboxAgent       = "agent-007"
	bigInboxDeepPages   = 20
)

// BenchmarkBigInbox measures what agents feel on a big workspace (issue #7, scenario 2), with the
// cases of store/sqlite's BenchmarkBigInbox: the workspace of internal/bigbox is seeded through
// BulkLoad (COPY) and analyzed, then every case runs through a real omnichannel.Engine (visibility
// scoping, the unread badge of every row) and reports the p50 and p99 latency of one call in µs.
// List cases run as an agent (whose queries carry the visible connections) unless named "Boss"
// (the supervisor). Run the full size with, for example:
//
//	DAKENH_BIGBOX_CONVERSATIONS=1000000 DAKENH_BIGBOX_SCHEMA=bigbox_1m \
//	  go test -run '^$' -bench BigInbox -benchtime 200x -timeout 3h ./store/postgres/
func BenchmarkBigInbox(b *testing.B) {
	size := envInt(b, bigInboxSizeEnv, bigInboxDefaultSize)
	depth := envInt(b, bigInboxDeepEnv, bigInboxDeepPages)
	spec := bigbox.Spec{WorkspaceID: bigInboxWorkspace, Conversations: size}
	st := openBigInbox(b, spec)
	eng := bigInboxEngine(b, st)
	ctx := context.Background()

	for _, c := range bigInboxListCases() {
		q := c.q
		q.WorkspaceID = bigInboxWorkspace
		b.Run("List/"+c.name+"/First", func(b *testing.B) {
			measure(b, func() error { _, err := eng.ListConversations(ctx, c.viewer, q); return err })
		})
		deep := q
		deep.After = deepCursor(b, eng, c.viewer, q, depth)
		b.Run("List/"+c.name+"/Deep", func(b *testing.B) {
			measure(b, func() error { _, err := eng.ListConversations(ctx, c.viewer, deep); return err })
		})
	}
	for _, viewer := range []string{bigInboxAgent, bigbox.SupervisorID} {
		b.Run("UnreadCount/"+viewer, func(b *testing.B) {
			q := omnichannel.ConversationQuery{WorkspaceID: bigInboxWorkspace}
			measure(b, func() error { _, err := eng.CountUnread(ctx, viewer, q); return err })
		})
	}
	b.Run("Messages50", func(b *testing.B) {
		measure(b, func() error {
			list, err := eng.Messages(ctx, bigInboxWorkspace, bigbox.SupervisorID, bigbox.LongThreadID(), 0, 50)
			if err == nil && len(list) != 50 {
				err = fmt.Errorf("listed %d messages, want 50", len(list))
			}
			return err
		})
	})
	for _, c := range bigInboxSearches(b, st, spec) {
		b.Run("Search/"+c.name, func(b *testing.B) {
			q := omnichannel.ConversationQuery{WorkspaceID: bigInboxWorkspace, Search: c.text}
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

// bigInboxListCases are the SPEC A1 filters alone, and three combined.
func bigInboxListCases() []bigInboxCase {
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
		{"Connection", bigInboxAgent, cq{ConnectionIDs: []string{bigbox.ConnectionID(bigInboxWorkspace, 1)}}},
		{"AwaitingClaim", bigInboxAgent, cq{AwaitingClaim: true}},
		{"OpenMineUnread", bigInboxAgent, cq{Statuses: open, AssigneeIDs: []string{bigInboxAgent},
			ReadState: omnichannel.ReadUnread}},
		{"OpenTikTokTeam", bigInboxAgent, cq{Statuses: open, ChannelKinds: []omnichannel.Kind{bigbox.KindTikTok},
			TeamIDs: []string{bigbox.TeamID(1)}}},
		{"CategoryClassChannel", bigbox.SupervisorID, cq{CategoryIDs: []string{bigbox.CategoryID(2, -1, -1)},
			ClassificationIDs: []string{"sale"}, ChannelKinds: []omnichannel.Kind{bigbox.KindZalo}}},
	}
}

// bigInboxSearch is a free-text search and whether it should find nothing.
type bigInboxSearch struct {
	name, text string
	none       bool
}

// bigInboxSearches are the searches of the issue: a common family name, a rare full name, a name
// nobody has, and a customer's phone number as typed (national form, digits only).
func bigInboxSearches(b *testing.B, st *postgres.Store, spec bigbox.Spec) []bigInboxSearch {
	var phone string
	for i := spec.Conversations / 3; phone == "" && i < spec.Conversations; i++ {
		err := st.View(context.Background(), func(tx omnichannel.Tx) error {
			c, err := tx.GetConversation(bigInboxWorkspace, bigbox.ConversationID(i))
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
		{"FullName", bigbox.Name(spec, spec.Conversations/2), false},
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

// envInt reads a positive number from the environment variable name, def when it is not set.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// deepCursor walks pages of q for viewer and returns the cursor of the page after them (the
// last cursor when the list is shorter).
func deepCursor(b *testing.B, eng *omnichannel.Engine, viewer string, q omnichannel.ConversationQuery, pages int) *omnichannel.Cursor {
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

// openBigInbox opens the benchmark's schema and seeds spec's workspace unless it is there.
func openBigInbox(b *testing.B, spec bigbox.Spec) *postgres.Store {
	b.Helper()
	schema := os.Getenv(bigInboxSchemaEnv)
	if schema == "" {
		schema = newSchema(b)
	}
	st := openStore(b, schema, func(c *postgres.Config) { c.MaxConns = 4 })
	ctx := context.Background()
	last := bigbox.ConversationID(spec.Conversations - 1)
	err := st.View(ctx, func(tx omnichannel.Tx) error {
		_, err := tx.GetConversation(spec.WorkspaceID, last)
		return err
	})
	switch {
	case err == nil:
		return st
	case !errors.Is(err, omnichannel.ErrNotFound):
		b.Fatal(err)
	}
	start := time.Now()
	tot, err := bigbox.Load(ctx, st, spec, 0)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	rows := 3*tot.Conversations + tot.Messages + tot.ReadStates
	b.Logf("seeded %d conversations, %d messages, %d read states (%d rows) in %v: %.0f rows/s",
		tot.Conversations, tot.Messages, tot.ReadStates, rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	start = time.Now()
	conn, err := pgx.Connect(ctx, databaseURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{schema}.Sanitize()+".conversations"); err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"messages", "read_states", "identities", "contacts", "unread_counters"} {
		if _, err := conn.Exec(ctx, "ANALYZE "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("vacuum analyze: %v", time.Since(start).Round(time.Millisecond))
	return st
}

// bigInboxEngine is an Engine over st; the channel is only there because an Engine needs one.
func bigInboxEngine(b testing.TB, st omnichannel.Store) *omnichannel.Engine {
	b.Helper()
	ch, err := fakechannel.New(fakechannel.Config{Secret: "bench", BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		b.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := omnichannel.New(omnichannel.Config{Store: st, Channels: []omnichannel.Channel{ch}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: b.TempDir()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}
