package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func txTests() []test {
	return []test{
		{"RollbackOnError", testTxRollback},
		{"ErrorReturnedUnchanged", testTxErrorUnchanged},
		{"UsableAfterFailedCall", testTxUsableAfterError},
	}
}

// fnError is the error the checks' transaction functions fail with; it is compared by identity.
type fnError struct{ msg string }

func (e *fnError) Error() string { return e.msg }

// testTxRollback fails a transaction that touched every kind of row, and checks nothing of it
// remains: rows, unique keys, rotation counters, jobs, leases and OAuth states.
func testTxRollback(t *testing.T, s store.Store) {
	conv := fullConversation(ws1, "conv-1")
	insertConversations(t, s, conv)
	insertMessages(t, s, fullMessage(conv, "m-1", 1))
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutRule(fullRule(ws1, "rule-1")); err != nil {
			return err
		}
		if err := tx.InsertOAuthState(fullOAuthState("state-old")); err != nil {
			return err
		}
		_, err := tx.NextRotation(ws1, "rr")
		return err
	})
	insertJobs(t, s, fullJob("job-old", t0))

	boom := &fnError{"boom"}
	newConv := fullConversation(ws1, "conv-2")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		steps := []func() error{
			func() error { return seedParents(tx, newConv) },
			func() error { return tx.InsertConversation(newConv) },
			func() error { return tx.InsertMessage(fullMessage(newConv, "m-2", 1)) },
			func() error { return tx.PutReadState(fullReadState(ws1, "u-1", "conv-1", 1)) },
			func() error { return tx.PutUser(fullUser(ws1, "u-1")) },
			func() error { return tx.PutTeam(fullTeam(ws1, "team-1")) },
			func() error { return tx.PutTemplate(fullTemplate(ws1, "tpl-1")) },
			func() error { return tx.PutCategory(fullCategory(ws1, "cat-1")) },
			func() error { return tx.PutClassification(fullClassification(ws1, "cls-1")) },
			func() error { return tx.DeleteRule(ws1, "rule-1") },
			func() error { _, err := tx.NextRotation(ws1, "rr"); return err },
			func() error { _, err := tx.NextRotation(ws1, "rr-new"); return err },
			func() error { return tx.InsertJob(fullJob("job-new", t0)) },
			func() error { _, err := tx.ClaimJobs("w-1", t0, time.Hour, 10); return err },
			func() error { return tx.InsertOAuthState(fullOAuthState("state-new")) },
			func() error { _, err := tx.TakeOAuthState("state-old"); return err },
			func() error { _, err := tx.AcquireLease("lease-1", "A", t0, at(time.Hour)); return err },
			func() error {
				c, err := tx.GetConversation(ws1, "conv-1")
				if err != nil {
					return err
				}
				c.AssigneeID, c.Note = "u-rolled-back", "rolled back"
				return tx.UpdateConversation(c)
			},
			func() error {
				m, err := tx.GetMessage(ws1, "m-1")
				if err != nil {
					return err
				}
				m.Status, m.ProviderMessageID = model.MessageFailed, "pm-rolled-back"
				return tx.UpdateMessage(m)
			},
			func() error {
				c, err := tx.GetConnection(ws1, conv.ConnectionID)
				if err != nil {
					return err
				}
				c.Credentials.RefreshToken = "rt-rolled-back"
				return tx.UpdateConnection(c)
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Errorf("step %d: %v", i, err)
				return err
			}
		}
		return boom
	})
	require.Same(t, boom, err, "Update must return fn's error unchanged")

	// Nothing of the failed transaction remains.
	notFound := func(what string, fn func(tx store.Tx) error) {
		t.Helper()
		err := s.View(t.Context(), fn)
		assert.ErrorIs(t, err, model.ErrNotFound, what)
	}
	notFound("conversation", func(tx store.Tx) error { _, err := tx.GetConversation(ws1, "conv-2"); return err })
	notFound("conversation thread", func(tx store.Tx) error {
		_, err := tx.FindConversation(ws1, newConv.ConnectionID, newConv.IdentityID)
		return err
	})
	notFound("identity", func(tx store.Tx) error { _, err := tx.GetIdentity(ws1, newConv.IdentityID); return err })
	notFound("contact", func(tx store.Tx) error { _, err := tx.GetContact(ws1, newConv.ContactID); return err })
	notFound("message", func(tx store.Tx) error { _, err := tx.GetMessage(ws1, "m-2"); return err })
	notFound("message key", func(tx store.Tx) error {
		_, err := tx.FindMessageByProviderID(ws1, conv.ConnectionID, "pm-rolled-back")
		return err
	})
	notFound("read state", func(tx store.Tx) error { _, err := tx.GetReadState(ws1, "u-1", "conv-1"); return err })
	notFound("user", func(tx store.Tx) error { _, err := tx.GetUser(ws1, "u-1"); return err })
	notFound("team", func(tx store.Tx) error { _, err := tx.GetTeam(ws1, "team-1"); return err })
	notFound("template", func(tx store.Tx) error { _, err := tx.GetTemplate(ws1, "tpl-1"); return err })
	notFound("category", func(tx store.Tx) error { _, err := tx.GetCategory(ws1, "cat-1"); return err })
	notFound("classification", func(tx store.Tx) error { _, err := tx.GetClassification(ws1, "cls-1"); return err })
	_, err = take(t, s, "state-new")
	assert.ErrorIs(t, err, model.ErrNotFound, "new oauth state")

	same(t, conv, getConversation(t, s, ws1, "conv-1"), "the conversation update was undone")
	m, err := getMessage(t, s, ws1, "m-1")
	require.NoError(t, err)
	same(t, fullMessage(conv, "m-1", 1), m, "the message update was undone")
	same(t, m, read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindMessageByProviderID(ws1, conv.ConnectionID, m.ProviderMessageID)
	}), "the message's provider id was restored")
	same(t, fullConnection(ws1, conv.ConnectionID), read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws1, conv.ConnectionID)
	}), "the connection update was undone")
	same(t, fullRule(ws1, "rule-1"), read(t, s, func(tx store.Tx) (*model.Rule, error) {
		return tx.GetRule(ws1, "rule-1")
	}), "the delete was undone")

	// A store may take rotation positions outside the transaction (Tx.NextRotation): the rolled-back
	// transaction's positions are then skipped. Either way none is handed out twice.
	assert.Contains(t, []int64{1, 2}, nextRotation(t, s, ws1, "rr"), "the rotation counter was restored or moved on")
	assert.Contains(t, []int64{0, 1}, nextRotation(t, s, ws1, "rr-new"), "the new rotation counter was dropped or moved on")
	assert.Equal(t, []string{"job-old"}, jobIDs(claim(t, s, "w-2", t0, time.Hour, 10)),
		"the job insert and the claim were undone")
	assert.True(t, acquire(t, s, "lease-1", "B", t0, at(time.Minute)), "the lease was undone")
	old, err := take(t, s, "state-old")
	require.NoError(t, err, "the taken OAuth state was restored")
	same(t, fullOAuthState("state-old"), old)
}

func testTxErrorUnchanged(t *testing.T, s store.Store) {
	boom := &fnError{"boom"}
	require.Same(t, boom, s.Update(t.Context(), func(store.Tx) error { return boom }))
	require.Same(t, boom, s.View(t.Context(), func(store.Tx) error { return boom }))

	// A store error that fn passes on comes back as is too.
	var inner error
	err := s.Update(t.Context(), func(tx store.Tx) error {
		_, inner = tx.GetConversation(ws1, "missing")
		return inner
	})
	require.ErrorIs(t, err, model.ErrNotFound)
	assert.Equal(t, inner, err)
}

// testTxUsableAfterError: a failed call inside a transaction has no effect and the transaction goes
// on (the engine treats ErrDuplicate of a webhook retry as "already done" and commits the rest).
func testTxUsableAfterError(t *testing.T, s store.Store) {
	c := seedThread(t, s, ws1, "conv-1")
	insertMessages(t, s, fullMessage(c, "m-1", 1))

	update(t, s, func(tx store.Tx) error {
		// assert, not require: fn must return for the store to end the transaction.
		assert.ErrorIs(t, tx.InsertMessage(fullMessage(c, "m-1", 2)), model.ErrDuplicate)
		_, err := tx.GetConversation(ws1, "missing")
		assert.ErrorIs(t, err, model.ErrNotFound)
		stale := fullConversation(ws1, "conv-1")
		stale.Version = 42
		assert.ErrorIs(t, tx.UpdateConversation(stale), model.ErrConflict)
		assert.ErrorIs(t, tx.InsertIdentity(fullIdentity(ws1, c.IdentityID, c.ContactID, c.ConnectionID)),
			model.ErrDuplicate)

		if err := tx.InsertMessage(fullMessage(c, "m-2", 2)); err != nil {
			return err
		}
		cur, err := tx.GetConversation(ws1, "conv-1")
		if err != nil {
			return err
		}
		cur.LastSeq = 2
		return tx.UpdateConversation(cur)
	})
	list := read(t, s, func(tx store.Tx) ([]*model.Message, error) {
		return tx.ListMessages(ws1, c.ID, 0, 10)
	})
	assert.Equal(t, []string{"m-1", "m-2"}, messageIDs(list))
	got := getConversation(t, s, ws1, "conv-1")
	assert.Equal(t, int64(2), got.LastSeq)
	assert.Equal(t, int64(1), got.Version)
}
