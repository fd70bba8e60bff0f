package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func messageTests() []test {
	return []test{
		{"RoundTrip", testMessageRoundTrip},
		{"DeepCopy", testMessageDeepCopy},
		{"Update", testMessageUpdate},
		{"NotFound", testMessageNotFound},
		{"IdempotentInsert", testMessageIdempotentInsert},
		{"EmptyKeysNeverCollide", testMessageEmptyKeys},
		{"UpdateKeepsKeysUnique", testMessageUpdateKeys},
		{"ConcurrentDuplicateInsert", testMessageConcurrentDuplicate},
		{"List", testMessageList},
		{"EchoCandidate", testMessageEchoCandidate},
	}
}

// seedThread stores a conversation with every field set and returns it.
func seedThread(t *testing.T, s store.Store, ws, id string) *model.Conversation {
	t.Helper()
	c := fullConversation(ws, id)
	insertConversations(t, s, c)
	return c
}

func getMessage(t *testing.T, s store.Store, ws, id string) (*model.Message, error) {
	t.Helper()
	return readErr(t, s, func(tx store.Tx) (*model.Message, error) { return tx.GetMessage(ws, id) })
}

func testMessageRoundTrip(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	m := fullMessage(c, "m-1", 1)
	insertMessages(t, s, m)

	got, err := getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	same(t, m, got)
	same(t, m, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByProviderID(ws1, c.ConnectionID, m.ProviderMessageID)
	}))
	same(t, m, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByIdempotencyKey(ws1, c.ID, m.IdempotencyKey)
	}))
	list := read(t, s, func(tx store.Tx) ([]*model.Message, error) {
		return tx.ListMessages(ws1, c.ID, 0, 10)
	})
	if assert.Len(t, list, 1) {
		same(t, m, list[0])
	}

	sys := plainMessage(c, "m-2", 2)
	sys.Direction, sys.Type, sys.Status = model.DirectionSystem, model.MessageActivity, ""
	sys.Activity = &model.Activity{Action: model.ActivityDone}
	insertMessages(t, s, sys)
	got, err = getMessage(t, s, ws1, "m-2")
	require.NoError(t, err)
	same(t, sys, got)
}

func testMessageDeepCopy(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	m := fullMessage(c, "m-1", 1)
	want := canonical(m)
	insertMessages(t, s, m)
	scribble := func(m *model.Message) {
		m.Text, m.Attachments[0].Name, m.Activity.To = "scribbled", "scribbled", "scribbled"
		m.Reactions[0].Emoji = "scribbled"
	}
	check := func(msg string) {
		t.Helper()
		got, err := getMessage(t, s, ws1, "m-1")
		require.NoError(t, err)
		same(t, want, got, msg)
	}
	scribble(m)
	check("changing the value after Insert changed the stored row")

	got, err := getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	scribble(got)
	check("changing a value returned by Get changed the stored row")

	for _, m := range read(t, s, func(tx store.Tx) ([]*model.Message, error) {
		return tx.ListMessages(ws1, c.ID, 0, 10)
	}) {
		scribble(m)
	}
	check("changing a listed value changed the stored row")

	upd, err := getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(upd) })
	scribble(upd)
	check("changing the value after Update changed the stored row")
}

func testMessageUpdate(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	m := fullMessage(c, "m-1", 1)
	m.ProviderMessageID, m.Status, m.Attempts = "", model.MessagePending, 0
	insertMessages(t, s, m)

	m.ProviderMessageID, m.Status, m.Attempts = "pm-sent", model.MessageSent, 1
	m.Attachments = m.Attachments[:1]
	m.Activity, m.FailureCode, m.FailureReason, m.FailureReasonCode, m.UpdatedAt = nil, "", "", "", at(time.Hour)
	// A reaction added and one taken back (Message.Reactions is replaced as a whole).
	m.Reactions = []model.Reaction{m.Reactions[1],
		{Emoji: "😮", Direction: model.DirectionIn, By: "idn-1", At: at(time.Hour)}}
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(m) })

	got, err := getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	same(t, m, got)
	same(t, m, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByProviderID(ws1, c.ConnectionID, "pm-sent")
	}), "a provider id set by UpdateMessage is found")

	m.Reactions, m.UpdatedAt = nil, at(2*time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(m) })
	got, err = getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	assert.Empty(t, got.Reactions, "every reaction taken back")
}

func testMessageNotFound(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	m := fullMessage(c, "m-1", 1)
	insertMessages(t, s, m)
	for name, fn := range map[string]func(tx store.Tx) (*model.Message, error){
		"Get missing":         func(tx store.Tx) (*model.Message, error) { return tx.GetMessage(ws1, "nope") },
		"Get other workspace": func(tx store.Tx) (*model.Message, error) { return tx.GetMessage(ws2, "m-1") },
		"ProviderID missing": func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByProviderID(ws1, c.ConnectionID, "nope")
		},
		"ProviderID other connection": func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByProviderID(ws1, "conn-x", m.ProviderMessageID)
		},
		"ProviderID empty": func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByProviderID(ws1, c.ConnectionID, "")
		},
		"Key missing": func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByIdempotencyKey(ws1, c.ID, "nope")
		},
		"Key other conversation": func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByIdempotencyKey(ws1, "conv-x", m.IdempotencyKey)
		},
		"Key empty": func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByIdempotencyKey(ws1, c.ID, "")
		},
	} {
		_, err := readErr(t, s, fn)
		assert.ErrorIs(t, err, model.ErrNotFound, name)
	}
	missing := fullMessage(c, "nope", 2)
	err := write(t, s, func(tx store.Tx) error { return tx.UpdateMessage(missing) })
	require.ErrorIs(t, err, model.ErrNotFound, "UpdateMessage of a missing message")
}

// testMessageIdempotentInsert is the webhook retry: the same provider message, or the same client
// idempotency key, arriving twice is refused with ErrDuplicate and changes nothing.
func testMessageIdempotentInsert(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	other := seedThread(t, s, ws1, "conv-2")
	orig := fullMessage(c, "m-1", 1)
	insertMessages(t, s, orig)

	retry := fullMessage(c, "m-2", 2)
	retry.ProviderMessageID = orig.ProviderMessageID
	err := write(t, s, func(tx store.Tx) error { return tx.InsertMessage(retry) })
	require.ErrorIs(t, err, model.ErrDuplicate, "same (ConnectionID, ProviderMessageID)")

	resend := fullMessage(c, "m-3", 3)
	resend.IdempotencyKey = orig.IdempotencyKey
	err = write(t, s, func(tx store.Tx) error { return tx.InsertMessage(resend) })
	require.ErrorIs(t, err, model.ErrDuplicate, "same (ConversationID, IdempotencyKey)")

	sameID := fullMessage(c, "m-1", 4)
	err = write(t, s, func(tx store.Tx) error { return tx.InsertMessage(sameID) })
	require.ErrorIs(t, err, model.ErrDuplicate, "same id")

	list := read(t, s, func(tx store.Tx) ([]*model.Message, error) {
		return tx.ListMessages(ws1, c.ID, 0, 100)
	})
	assert.Equal(t, []string{"m-1"}, messageIDs(list), "refused inserts must write nothing")
	got, err := getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	same(t, orig, got)

	// The keys are scoped: the same idempotency key in another conversation is fine, and so is the
	// same provider id on another connection.
	elsewhere := fullMessage(other, "m-4", 1)
	elsewhere.IdempotencyKey = orig.IdempotencyKey
	insertMessages(t, s, elsewhere)
	update(t, s, func(tx store.Tx) error { return tx.PutConnection(fullConnection(ws1, "conn-other")) })
	otherConn := fullMessage(c, "m-5", 5)
	otherConn.ConnectionID, otherConn.ProviderMessageID = "conn-other", orig.ProviderMessageID
	insertMessages(t, s, otherConn)
	same(t, otherConn, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByProviderID(ws1, "conn-other", orig.ProviderMessageID)
	}))
	same(t, elsewhere, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByIdempotencyKey(ws1, other.ID, orig.IdempotencyKey)
	}))
}

func testMessageEmptyKeys(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	var ms []*model.Message
	for i := range 5 {
		m := fullMessage(c, fmt.Sprintf("m-%d", i), int64(i+1))
		m.ProviderMessageID, m.IdempotencyKey = "", ""
		ms = append(ms, m)
	}
	insertMessages(t, s, ms[:3]...)
	for _, m := range ms[3:] {
		insertMessages(t, s, m)
	}
	list := read(t, s, func(tx store.Tx) ([]*model.Message, error) {
		return tx.ListMessages(ws1, c.ID, 0, 100)
	})
	assert.Len(t, list, 5, "empty provider ids and idempotency keys never collide")
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(ms[0]) })
}

func testMessageUpdateKeys(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	a, b := fullMessage(c, "m-a", 1), fullMessage(c, "m-b", 2)
	b.ProviderMessageID, b.IdempotencyKey = "", ""
	insertMessages(t, s, a, b)

	echo := *b
	echo.ProviderMessageID = a.ProviderMessageID
	err := write(t, s, func(tx store.Tx) error { return tx.UpdateMessage(&echo) })
	require.ErrorIs(t, err, model.ErrDuplicate, "UpdateMessage onto another message's provider id")

	keyed := *b
	keyed.IdempotencyKey = a.IdempotencyKey
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateMessage(&keyed) })
	require.ErrorIs(t, err, model.ErrDuplicate, "UpdateMessage onto another message's idempotency key")

	got, err := getMessage(t, s, ws1, "m-b")
	require.NoError(t, err)
	same(t, b, got)

	// Moving a's provider id frees the old one.
	moved := *a
	moved.ProviderMessageID = "pm-renumbered"
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(&moved) })
	echo.ProviderMessageID = a.ProviderMessageID
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(&echo) })
	same(t, &echo, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByProviderID(ws1, c.ConnectionID, a.ProviderMessageID)
	}))
}

// testMessageConcurrentDuplicateInsert delivers one webhook many times at once: exactly one insert
// succeeds.
func testMessageConcurrentDuplicate(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	duplicateRace(t, []store.Store{s}, c, 20)
}

// duplicateRace inserts n messages with the same provider id concurrently over stores.
func duplicateRace(t *testing.T, stores []store.Store, c *model.Conversation, n int) {
	t.Helper()
	errs := make([]error, n)
	concurrently(n, func(i int) {
		m := fullMessage(c, fmt.Sprintf("m-%02d", i), int64(i+1))
		m.ProviderMessageID = "pm-webhook"
		errs[i] = stores[i%len(stores)].Update(t.Context(), func(tx store.Tx) error { return tx.InsertMessage(m) })
	})
	ok := 0
	for i, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, model.ErrDuplicate, "insert %d", i)
	}
	assert.Equal(t, 1, ok, "exactly one insert must succeed")
	list := read(t, stores[0], func(tx store.Tx) ([]*model.Message, error) {
		return tx.ListMessages(ws1, c.ID, 0, 100)
	})
	assert.Len(t, list, 1)
}

func testMessageList(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	c2 := seedThread(t, s, ws1, "conv-2")
	var ms []*model.Message
	for seq := int64(1); seq <= 30; seq++ {
		ms = append(ms, plainMessage(c, fmt.Sprintf("m-%02d", seq), seq))
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	for seq := int64(1); seq <= 5; seq++ {
		ms = append(ms, plainMessage(c2, fmt.Sprintf("n-%02d", seq), seq))
	}
	insertMessages(t, s, ms...)
	other := seedThread(t, s, ws2, "conv-1")
	insertMessages(t, s, plainMessage(other, "m-99", 99))

	seqs := func(conv string, before int64, limit int) []int64 {
		list := read(t, s, func(tx store.Tx) ([]*model.Message, error) {
			return tx.ListMessages(ws1, conv, before, limit)
		})
		out := make([]int64, 0, len(list))
		for _, m := range list {
			assert.Equal(t, conv, m.ConversationID)
			assert.Equal(t, ws1, m.WorkspaceID)
			out = append(out, m.Seq)
		}
		return out
	}
	span := func(from, to int64) []int64 {
		out := []int64{}
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	}
	assert.Equal(t, span(21, 30), seqs("conv-1", 0, 10), "the newest page")
	assert.Equal(t, span(26, 30), seqs("conv-1", -1, 5), "beforeSeq < 0 means from the newest")
	assert.Equal(t, span(11, 20), seqs("conv-1", 21, 10), "the page before seq 21")
	assert.Equal(t, span(1, 4), seqs("conv-1", 5, 10), "a short last page")
	assert.Equal(t, span(1, 30), seqs("conv-1", 0, 100))
	assert.Equal(t, span(1, 30), seqs("conv-1", 31, 30))
	assert.Empty(t, seqs("conv-1", 1, 10))
	assert.Equal(t, span(1, 5), seqs("conv-2", 0, 100))
	assert.Empty(t, seqs("conv-none", 0, 100), "an unknown conversation lists nothing")
}

// testMessageEchoCandidate checks the rules that match a provider echo of our own send to the
// pending message.
func testMessageEchoCandidate(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	c2 := seedThread(t, s, ws1, "conv-2")
	since := t0
	mk := func(conv *model.Conversation, id string, seq int64, dir model.Direction, pmid string,
		status model.MessageStatus, created time.Time, text string) *model.Message {
		m := plainMessage(conv, id, seq)
		m.Direction, m.ProviderMessageID, m.Status, m.CreatedAt, m.Text = dir, pmid, status, created, text
		return m
	}
	out, in := model.DirectionOut, model.DirectionIn
	insertMessages(t, s,
		mk(c2, "other-conv", 1, out, "", model.MessagePending, at(-time.Minute), "hello"),
		mk(c, "too-old", 1, out, "", model.MessageSent, at(-time.Minute), "hello"),
		mk(c, "inbound", 2, in, "", model.MessageReceived, at(time.Minute), "hello"),
		mk(c, "has-pmid", 3, out, "pm-3", model.MessageSent, at(2*time.Minute), "hello"),
		mk(c, "failed", 4, out, "", model.MessageFailed, at(3*time.Minute), "hello"),
		mk(c, "other-text", 5, out, "", model.MessagePending, at(4*time.Minute), "Hello"),
		mk(c, "first", 6, out, "", model.MessageSending, at(5*time.Minute), "hello"),
		mk(c, "second", 7, out, "", model.MessagePending, at(6*time.Minute), "hello"),
	)
	find := func(ws, conv, text string, since time.Time) (string, error) {
		m, err := readErr(t, s, func(tx store.Tx) (*model.Message, error) {
			return tx.FindEchoCandidate(ws, conv, text, since)
		})
		if err != nil {
			return "", err
		}
		return m.ID, nil
	}
	got, err := find(ws1, c.ID, "hello", since)
	require.NoError(t, err)
	assert.Equal(t, "first", got, "the oldest eligible message")

	got, err = find(ws1, c.ID, "hello", at(5*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "first", got, "since is inclusive")

	matched, err := getMessage(t, s, ws1, "first")
	require.NoError(t, err)
	matched.ProviderMessageID, matched.Status = "pm-echo", model.MessageSent
	update(t, s, func(tx store.Tx) error { return tx.UpdateMessage(matched) })
	got, err = find(ws1, c.ID, "hello", since)
	require.NoError(t, err)
	assert.Equal(t, "second", got, "a matched message is no longer a candidate")

	for name, q := range map[string]struct {
		ws, conv, text string
		since          time.Time
	}{
		"text differs":       {ws1, c.ID, "bye", since},
		"all before since":   {ws1, c.ID, "hello", at(7 * time.Minute)},
		"other workspace":    {ws2, c.ID, "hello", since},
		"other conversation": {ws1, "conv-none", "hello", since},
	} {
		_, err := find(q.ws, q.conv, q.text, q.since)
		assert.ErrorIs(t, err, model.ErrNotFound, name)
	}
}
