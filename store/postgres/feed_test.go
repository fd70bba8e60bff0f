package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
)

// readFeed reads the engine's feed of engineWS after the cursor, to its end.
func readFeed(t *testing.T, ctx context.Context, eng *omnichannel.Engine, after int64) []omnichannel.FeedEntry {
	t.Helper()
	var out []omnichannel.FeedEntry
	for en, err := range eng.Events(ctx, engineWS, after) {
		require.NoError(t, err)
		out = append(out, en)
	}
	return out
}

// twoEngines starts two engine processes over one new schema, with a supervisor "sup" and the fake
// provider's account connected through the first.
func twoEngines(t *testing.T) (ctx context.Context, a, b *process, prov *fakechannel.Provider, schema string) {
	t.Helper()
	schema = newSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	prov = fakechannel.NewProvider("feed-secret")
	t.Cleanup(prov.Close)
	a = startProcess(t, ctx, &wg, "A", schema, prov)
	b = startProcess(t, ctx, &wg, "B", schema, prov)
	require.NoError(t, a.store.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: engineWS, ID: "sup", Name: "Sup", Role: omnichannel.RoleSupervisor, Active: true})
	}))
	c := prov.Connection()
	c.WorkspaceID = engineWS
	_, err := a.engine.AddConnection(ctx, "sup", *c)
	require.NoError(t, err)
	return ctx, a, b, prov, schema
}

// postMessage delivers a customer's message to the process's webhook endpoint.
func postMessage(t *testing.T, ctx context.Context, p *process, prov *fakechannel.Provider, user, msgID string) {
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{{
		Type: "message", Direction: "in", UserID: user, UserName: "Khách", MessageID: msgID, Text: "tin " + msgID,
	}}}.JSON()
	resp, err := http.DefaultClient.Do(prov.SignedWebhook(p.hook.URL+"/"+string(fakechannel.Kind), body).WithContext(ctx))
	if !assert.NoError(t, err) {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestFeedTwoEnginesOneOrder has two engine processes over one schema ingest webhooks at once
// while a consumer follows the feed through one of them, and checks one ordered feed: every
// stored message has exactly one message.created entry (no gaps, no duplicates), both engines
// read the same feed, positions increase, each conversation's messages appear in their order, and
// the consumer following the feed as it grew saw exactly the final feed.
func TestFeedTwoEnginesOneOrder(t *testing.T) {
	const webhooks, customers, feeders = 400, 40, 8
	ctx, a, b, prov, schema := twoEngines(t)
	procs := []*process{a, b}

	// A consumer follows the feed through engine A while the webhooks arrive.
	var followed []omnichannel.FeedEntry
	stop := make(chan struct{})
	following := make(chan struct{})
	go func() {
		defer close(following)
		var cursor int64
		for {
			select {
			case <-stop:
				followed = append(followed, readFeed(t, ctx, a.engine, cursor)...)
				return
			default:
			}
			page := readFeed(t, ctx, a.engine, cursor)
			if len(page) > 0 {
				cursor = page[len(page)-1].Position
			}
			followed = append(followed, page...)
			time.Sleep(5 * time.Millisecond)
		}
	}()

	var feed sync.WaitGroup
	for f := range feeders {
		feed.Add(1)
		go func() {
			defer feed.Done()
			for i := f; i < webhooks; i += feeders {
				postMessage(t, ctx, procs[i%2], prov, fmt.Sprintf("cust-%03d", i%customers), fmt.Sprintf("pm-%04d", i))
			}
		}()
	}
	feed.Wait()
	close(stop)
	<-following

	fromA, fromB := readFeed(t, ctx, a.engine, 0), readFeed(t, ctx, b.engine, 0)
	require.Equal(t, fromA, fromB, "both engines read one feed")
	assert.Equal(t, fromA, followed, "the consumer that followed the growing feed saw it all, once, in order")

	created := map[string]int{}
	lastSeq := map[string]int64{}
	for i, en := range fromA {
		if i > 0 {
			require.Greater(t, en.Position, fromA[i-1].Position)
		}
		if en.Kind != omnichannel.EventMessageCreated {
			continue
		}
		created[en.MessageID]++
		var d omnichannel.FeedData
		require.NoError(t, json.Unmarshal(en.Data, &d))
		assert.Greater(t, d.Seq, lastSeq[en.ConversationID], "a conversation's messages in their order")
		lastSeq[en.ConversationID] = d.Seq
	}
	db, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer db.Close(context.Background())
	rows, err := db.Query(ctx, fmt.Sprintf(`SELECT id FROM %s.messages WHERE workspace_id = $1`, pgx.Identifier{schema}.Sanitize()), engineWS)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(ids), webhooks, "every webhook stored its message (with the activity entries)")
	for _, id := range ids {
		assert.Equal(t, 1, created[id], "message %s has one message.created entry", id)
	}
	assert.Equal(t, len(ids), len(created), "no entry for a message that was not stored")
}

// TestFeedLateCommitIsNotMissed holds one writer's transaction open, with its entry inserted,
// while another engine commits and a reader moves its cursor past the other's entry; the late
// commit then still reaches the reader, after its cursor.
func TestFeedLateCommitIsNotMissed(t *testing.T) {
	ctx, a, b, prov, _ := twoEngines(t)
	before := readFeed(t, ctx, b.engine, 0)
	require.NotEmpty(t, before)
	cursor := before[len(before)-1].Position

	inserted, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- a.store.Update(ctx, func(tx omnichannel.Tx) error {
			if err := tx.AppendFeed([]omnichannel.FeedEntry{{WorkspaceID: engineWS, Kind: omnichannel.EventReadUpdated,
				ConversationID: "late", At: time.Now()}}); err != nil {
				return err
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	<-inserted

	// Engine B commits a change (its events go to the feed) after A's entry took its id.
	postMessage(t, ctx, b, prov, "cust-1", "pm-1")
	first := readFeed(t, ctx, b.engine, cursor)
	require.NotEmpty(t, first, "B's change is in the feed")
	for _, en := range first {
		assert.NotEqual(t, "late", en.ConversationID, "an open transaction's entry is not visible")
	}
	cursor = first[len(first)-1].Position

	close(release)
	require.NoError(t, <-held)
	late := readFeed(t, ctx, b.engine, cursor)
	require.Len(t, late, 1, "the late commit comes after the cursor")
	assert.Equal(t, "late", late[0].ConversationID)
	assert.Greater(t, late[0].Position, cursor)
}
