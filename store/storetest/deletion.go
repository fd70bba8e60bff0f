package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func deletionTests() []test {
	return []test{
		{"Conversation", testDeleteConversation},
		{"ConversationKeepsCountsExact", testDeleteKeepsCountsExact},
		{"Contact", testDeleteContact},
		{"Workspace", testDeleteWorkspace},
		{"NotFound", testDeleteNotFound},
	}
}

// DeletionData is what SeedDeletionData stores in ws-1 (and, as look-alikes with the same ids,
// in ws-2): the query data set's eight conversations (c01 … c08 of contacts k1 … k7, identities
// idn-c01 …), two messages per conversation with two blobs each, read states, a job per
// conversation and one about contact k1, org rows, an OAuth state and a lease named after the
// connection cz1. SQL stores use it to check, table by table, that nothing of a deleted
// conversation, contact or workspace remains.
type DeletionData struct {
	Workspace, Other string
	// Conversations, Contacts and Identities are the ids in both workspaces.
	Conversations, Contacts, Identities []string
	// Messages maps a conversation id to its message ids; Blobs a conversation id to its blob keys
	// (those of ws-1; ws-2's have the prefix "ws-2/").
	Messages, Blobs map[string][]string
	// Connections are ws-1's connection ids; ws-2's are OtherConnections.
	Connections, OtherConnections []string
	// OAuthState and Lease are ws-1's (global keys).
	OAuthState, Lease string
}

// SeedDeletionData stores DeletionData in s, which must be empty.
func SeedDeletionData(t *testing.T, s store.Store) DeletionData {
	t.Helper()
	d := DeletionData{Workspace: ws1, Other: ws2, Messages: map[string][]string{}, Blobs: map[string][]string{},
		Connections: []string{"cz1", "cz2", "ct1"}, OtherConnections: []string{"cz9-1", "cz9-2", "ct9"},
		OAuthState: "st-delete", Lease: "refresh:cz1"}
	var cs []*model.Conversation
	for i, r := range queryRows {
		d.Conversations = append(d.Conversations, r.id)
		d.Identities = append(d.Identities, "idn-"+r.id)
		if !slices.Contains(d.Contacts, r.contact) {
			d.Contacts = append(d.Contacts, r.contact)
		}
		cs = append(cs, r.conversation(ws1, i))
		twin := r.conversation(ws2, i)
		twin.ConnectionID = map[string]string{"cz1": "cz9-1", "cz2": "cz9-2", "ct1": "ct9"}[r.conn]
		cs = append(cs, twin)
	}
	insertConversations(t, s, cs...)
	update(t, s, func(tx store.Tx) error {
		for _, c := range cs {
			for n := int64(1); n <= 2; n++ {
				m := fullMessage(c, fmt.Sprintf("%s-m%d", c.ID, n), n)
				for i := range m.Attachments {
					m.Attachments[i].BlobKey = fmt.Sprintf("%s/%s/%d", c.WorkspaceID, m.ID, i)
				}
				if c.WorkspaceID == ws1 {
					d.Messages[c.ID] = append(d.Messages[c.ID], m.ID)
					d.Blobs[c.ID] = append(d.Blobs[c.ID], m.Attachments[0].BlobKey, m.Attachments[1].BlobKey)
				}
				if err := tx.InsertMessage(m); err != nil {
					return err
				}
			}
			j := fullJob("job-"+c.WorkspaceID+"-"+c.ID, at(time.Minute))
			j.WorkspaceID, j.ConversationID, j.ConnectionID = c.WorkspaceID, c.ID, c.ConnectionID
			if err := tx.InsertJob(j); err != nil {
				return err
			}
		}
		for _, ws := range []string{ws1, ws2} {
			for _, r := range []*model.ReadState{
				fullReadState(ws, "u1", "c01", 3), fullReadState(ws, "u1", "c04", 2),
				fullReadState(ws, "u1", "c05", 2), fullReadState(ws, "u2", "c04", 5),
			} {
				if err := tx.PutReadState(r); err != nil {
					return err
				}
			}
			link := fullJob("job-"+ws+"-link-k1", at(time.Minute))
			link.WorkspaceID, link.Kind, link.ConversationID = ws, model.JobLinkContact, ""
			link.Payload = map[string]string{"contact": "k1", "phone": "+84912345678"}
			if err := tx.InsertJob(link); err != nil {
				return err
			}
			for _, err := range []error{
				tx.PutUser(fullUser(ws, "u1")), tx.PutTeam(fullTeam(ws, "t1")), tx.PutRule(fullRule(ws, "rule-1")),
				tx.PutTemplate(fullTemplate(ws, "tpl-1")), tx.PutCategory(fullCategory(ws, "a")),
				tx.PutClassification(fullClassification(ws, "cl-sale")),
			} {
				if err != nil {
					return err
				}
			}
			if _, err := tx.NextRotation(ws, "rule-1"); err != nil {
				return err
			}
			// What the engine keeps beside: the workspace record, its feed and its webhooks.
			hook, conn := fullWebhook(ws, "hook-"+ws), map[string]string{ws1: "cz1", ws2: "cz9-1"}[ws]
			for _, err := range []error{
				tx.PutWorkspace(&model.Workspace{ID: ws, Name: "Shop " + ws, Status: model.WorkspaceActive, CreatedAt: t0, UpdatedAt: t0}),
				tx.AppendFeed([]model.FeedEntry{{WorkspaceID: ws, Kind: model.EventConnectionUpdated, ConnectionID: conn, At: t0}}),
				tx.InsertWebhookEndpoint(hook),
				tx.InsertWebhookDelivery(&model.WebhookDelivery{WorkspaceID: ws, ID: "dl-" + ws, EndpointID: hook.ID, At: t0, StatusCode: 200}),
			} {
				if err != nil {
					return err
				}
			}
		}
		o := fullOAuthState(d.OAuthState)
		if err := tx.InsertOAuthState(o); err != nil {
			return err
		}
		other := fullOAuthState("st-keep")
		other.WorkspaceID = ws2
		if err := tx.InsertOAuthState(other); err != nil {
			return err
		}
		for _, key := range []string{d.Lease, "refresh:cz9-1", "webhook:" + ws1 + "/hook-" + ws1, "webhook:" + ws2 + "/hook-" + ws2} {
			if _, err := tx.AcquireLease(key, "holder", t0, at(time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	return d
}

// jobsLeft claims every job (due before a day from t0) and returns their ids.
func jobsLeft(t *testing.T, s store.Store) []string {
	t.Helper()
	jobs := modify(t, s, func(tx store.Tx) ([]*model.Job, error) {
		return tx.ClaimJobs("probe", at(24*time.Hour), time.Minute, 1000)
	})
	ids := jobIDs(jobs)
	slices.Sort(ids)
	return ids
}

// assertConversationGone checks through every read method that nothing of conversation id of ws
// remains.
func assertConversationGone(t *testing.T, s store.Store, d DeletionData, ws, id string) {
	t.Helper()
	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.GetConversation(ws, id)
		assert.ErrorIs(t, err, model.ErrNotFound, "conversation %s", id)
		_, err = tx.FindConversation(ws, queryRowOf(id).conn, "idn-"+id)
		assert.ErrorIs(t, err, model.ErrNotFound, "thread of %s", id)
		for _, mid := range d.Messages[id] {
			_, err = tx.GetMessage(ws, mid)
			assert.ErrorIs(t, err, model.ErrNotFound, "message %s", mid)
			_, err = tx.FindMessageByProviderID(ws, queryRowOf(id).conn, "pm-"+mid)
			assert.ErrorIs(t, err, model.ErrNotFound, "message %s by provider id", mid)
			_, err = tx.FindMessageByIdempotencyKey(ws, id, "key-"+mid)
			assert.ErrorIs(t, err, model.ErrNotFound, "message %s by idempotency key", mid)
		}
		msgs, err := tx.ListMessages(ws, id, 0, 100)
		assert.NoError(t, err)
		assert.Empty(t, msgs, "messages of %s", id)
		for _, u := range []string{"u1", "u2"} {
			_, err = tx.GetReadState(ws, u, id)
			assert.ErrorIs(t, err, model.ErrNotFound, "read state of %s for %s", id, u)
		}
		list, err := tx.ListConversations(model.ConversationQuery{WorkspaceID: ws, Limit: 100})
		assert.NoError(t, err)
		assert.NotContains(t, conversationIDs(list), id)
		return nil
	}))
}

// queryRowOf returns the query data row of conversation id.
func queryRowOf(id string) queryRow {
	i := slices.IndexFunc(queryRows, func(r queryRow) bool { return r.id == id })
	return queryRows[i]
}

func testDeleteConversation(t *testing.T, s store.Store) {
	d := SeedDeletionData(t, s)
	keys := modify(t, s, func(tx store.Tx) ([]string, error) { return tx.DeleteConversation(ws1, "c04") })
	assert.ElementsMatch(t, d.Blobs["c04"], keys, "the blob keys of the conversation's messages")
	assertConversationGone(t, s, d, ws1, "c04")
	assert.NotContains(t, jobsLeft(t, s), "job-ws-1-c04", "the conversation's jobs")

	// The others, and ws2's look-alike, are untouched.
	for _, id := range []string{"c01", "c05"} {
		assert.Equal(t, id, getConversation(t, s, ws1, id).ID)
	}
	assert.Equal(t, "c04", getConversation(t, s, ws2, "c04").ID)
	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		msgs, err := tx.ListMessages(ws2, "c04", 0, 100)
		assert.Len(t, msgs, 2, "ws2's messages of its c04")
		_, rerr := tx.GetReadState(ws2, "u2", "c04")
		assert.NoError(t, rerr, "ws2's read state of its c04")
		return err
	}))

	// The thread is free again: the same identity on the same connection opens a new conversation.
	c := queryRows[3].conversation(ws1, 3)
	c.ID = "c04-new"
	update(t, s, func(tx store.Tx) error { return tx.InsertConversation(c) })
}

func testDeleteKeepsCountsExact(t *testing.T, s store.Store) {
	SeedDeletionData(t, s)
	counts := func(ws string) map[string]int {
		out := map[string]int{}
		for _, u := range []string{"u1", "u2", "u3"} {
			out[u] = countUnread(t, s, cq{WorkspaceID: ws, ViewerID: u})
		}
		out["all"] = len(listConversations(t, s, cq{WorkspaceID: ws, Limit: 100}))
		return out
	}
	assert.Equal(t, map[string]int{"u1": 4, "u2": 5, "u3": 6, "all": 8}, counts(ws1))
	modify(t, s, func(tx store.Tx) ([]string, error) { return tx.DeleteConversation(ws1, "c04") })
	assert.Equal(t, map[string]int{"u1": 3, "u2": 5, "u3": 5, "all": 7}, counts(ws1), "c04: unread for u1 and u3, read by u2")
	modify(t, s, func(tx store.Tx) ([]string, error) { return tx.DeleteConversation(ws1, "c01") })
	assert.Equal(t, map[string]int{"u1": 3, "u2": 4, "u3": 4, "all": 6}, counts(ws1), "c01: read by u1 only")
	modify(t, s, func(tx store.Tx) ([]string, error) { return tx.DeleteConversation(ws1, "c03") })
	assert.Equal(t, map[string]int{"u1": 3, "u2": 4, "u3": 4, "all": 5}, counts(ws1), "c03: no inbound message")
	assert.Equal(t, map[string]int{"u1": 4, "u2": 5, "u3": 6, "all": 8}, counts(ws2), "ws2 is untouched")

	// A new unread conversation counts again.
	c := fullConversation(ws1, "c-new")
	c.InboundCount = 2
	insertConversations(t, s, c)
	assert.Equal(t, map[string]int{"u1": 4, "u2": 5, "u3": 5, "all": 6}, counts(ws1))
}

func testDeleteContact(t *testing.T, s store.Store) {
	d := SeedDeletionData(t, s)
	// k1 holds c01 and c05 (identities idn-c01 and idn-c05).
	keys := modify(t, s, func(tx store.Tx) ([]string, error) { return tx.DeleteContact(ws1, "k1") })
	assert.ElementsMatch(t, slices.Concat(d.Blobs["c01"], d.Blobs["c05"]), keys)
	for _, id := range []string{"c01", "c05"} {
		assertConversationGone(t, s, d, ws1, id)
	}
	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.GetContact(ws1, "k1")
		assert.ErrorIs(t, err, model.ErrNotFound)
		for _, id := range []string{"idn-c01", "idn-c05"} {
			_, err = tx.GetIdentity(ws1, id)
			assert.ErrorIs(t, err, model.ErrNotFound, id)
		}
		_, err = tx.FindIdentity(ws1, "cz1", "ext-idn-c01")
		assert.ErrorIs(t, err, model.ErrNotFound)
		idents, err := tx.ListIdentities(ws1, "k1")
		assert.NoError(t, err)
		assert.Empty(t, idents)
		linked, err := tx.ListContactsByCRMCustomer(ws1, "crm-k1")
		assert.NoError(t, err)
		assert.Empty(t, linked, "the CRM link")

		// Untouched: another contact, and k1 of ws2.
		_, err = tx.GetContact(ws1, "k2")
		assert.NoError(t, err)
		_, err = tx.GetContact(ws2, "k1")
		assert.NoError(t, err)
		idents, err = tx.ListIdentities(ws2, "k1")
		assert.Len(t, idents, 2)
		return err
	}))
	left := jobsLeft(t, s)
	for _, id := range []string{"job-ws-1-c01", "job-ws-1-c05", "job-ws-1-link-k1"} {
		assert.NotContains(t, left, id)
	}
	for _, id := range []string{"job-ws-1-c02", "job-ws-2-c01", "job-ws-2-link-k1"} {
		assert.Contains(t, left, id)
	}
	assert.Equal(t, 3, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u2"}), "u2's unread c01 and c05 went with k1")
}

func testDeleteWorkspace(t *testing.T, s store.Store) {
	d := SeedDeletionData(t, s)
	var keys []string
	calls := 0
	for done := false; !done; calls++ {
		require.Less(t, calls, 10, "DeleteWorkspaceData never reports done")
		var k []string
		require.NoError(t, s.Update(t.Context(), func(tx store.Tx) (err error) {
			k, done, err = tx.DeleteWorkspaceData(ws1, 3)
			return err
		}))
		keys = append(keys, k...)
	}
	assert.Equal(t, 3, calls, "8 conversations, 3 a call: the third call finds 2 and removes the rest")
	var want []string
	for _, id := range d.Conversations {
		want = append(want, d.Blobs[id]...)
		assertConversationGone(t, s, d, ws1, id)
	}
	assert.ElementsMatch(t, want, keys)

	// Done again: nothing left, nothing reported.
	again := modify(t, s, func(tx store.Tx) ([]string, error) {
		k, done, err := tx.DeleteWorkspaceData(ws1, 3)
		assert.True(t, done)
		return k, err
	})
	assert.Empty(t, again)

	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		conns, err := tx.ListConnections(ws1)
		assert.NoError(t, err)
		assert.Empty(t, conns)
		for _, id := range d.Connections {
			_, err = tx.FindConnectionByID(id)
			assert.ErrorIs(t, err, model.ErrNotFound, id)
		}
		for _, id := range d.Contacts {
			_, err = tx.GetContact(ws1, id)
			assert.ErrorIs(t, err, model.ErrNotFound, id)
		}
		for _, id := range d.Identities {
			_, err = tx.GetIdentity(ws1, id)
			assert.ErrorIs(t, err, model.ErrNotFound, id)
		}
		for name, list := range map[string]func() (int, error){
			"users":           func() (int, error) { l, err := tx.ListUsers(ws1); return len(l), err },
			"teams":           func() (int, error) { l, err := tx.ListTeams(ws1); return len(l), err },
			"rules":           func() (int, error) { l, err := tx.ListRules(ws1); return len(l), err },
			"templates":       func() (int, error) { l, err := tx.ListTemplates(ws1); return len(l), err },
			"categories":      func() (int, error) { l, err := tx.ListCategories(ws1); return len(l), err },
			"classifications": func() (int, error) { l, err := tx.ListClassifications(ws1); return len(l), err },
			"conversations": func() (int, error) {
				l, err := tx.ListConversations(model.ConversationQuery{WorkspaceID: ws1, Limit: 100})
				return len(l), err
			},
			"unread": func() (int, error) { return tx.CountUnread(model.ConversationQuery{WorkspaceID: ws1, ViewerID: "u3"}) },
		} {
			n, err := list()
			assert.NoError(t, err, name)
			assert.Zero(t, n, name)
		}
		_, err = tx.GetWorkspace(ws1)
		assert.ErrorIs(t, err, model.ErrNotFound, "the workspace record")
		hooks, err := tx.ListWebhookEndpoints(ws1)
		assert.NoError(t, err)
		assert.Empty(t, hooks, "the webhook endpoints (and their deliveries)")
		// ws2 is whole.
		_, err = tx.GetWorkspace(ws2)
		assert.NoError(t, err)
		hooks, _ = tx.ListWebhookEndpoints(ws2)
		assert.Len(t, hooks, 1)
		conns, err = tx.ListConnections(ws2)
		assert.Len(t, conns, 3)
		users, _ := tx.ListUsers(ws2)
		assert.Len(t, users, 1)
		list, _ := tx.ListConversations(model.ConversationQuery{WorkspaceID: ws2, Limit: 100})
		assert.Len(t, list, 8)
		return err
	}))
	assert.Empty(t, listFeed(t, s, ws1, 0, 100), "the feed")
	assert.Len(t, listFeed(t, s, ws2, 0, 100), 1, "the other workspace's feed")
	// The rotation counter starts again; ws2's goes on.
	update(t, s, func(tx store.Tx) error {
		n, err := tx.NextRotation(ws1, "rule-1")
		assert.Zero(t, n, "ws1's rotation was removed")
		m, err2 := tx.NextRotation(ws2, "rule-1")
		assert.Equal(t, int64(1), m, "ws2's rotation goes on")
		if err == nil {
			err = err2
		}
		return err
	})
	update(t, s, func(tx store.Tx) error {
		_, err := tx.TakeOAuthState(d.OAuthState)
		assert.ErrorIs(t, err, model.ErrNotFound, "ws1's OAuth state")
		_, err = tx.TakeOAuthState("st-keep")
		assert.NoError(t, err, "ws2's OAuth state")
		ok, err := tx.AcquireLease(d.Lease, "other", at(time.Minute), at(2*time.Minute))
		assert.True(t, ok, "the lease named after ws1's connection was removed")
		if err != nil {
			return err
		}
		ok, err = tx.AcquireLease("refresh:cz9-1", "other", at(time.Minute), at(2*time.Minute))
		assert.False(t, ok, "ws2's lease is still held")
		if err != nil {
			return err
		}
		ok, err = tx.AcquireLease("webhook:"+ws1+"/hook-"+ws1, "other", at(time.Minute), at(2*time.Minute))
		assert.True(t, ok, "ws1's webhook delivery lease was removed")
		if err != nil {
			return err
		}
		ok, err = tx.AcquireLease("webhook:"+ws2+"/hook-"+ws2, "other", at(time.Minute), at(2*time.Minute))
		assert.False(t, ok, "ws2's webhook lease is still held")
		return err
	})
	left := jobsLeft(t, s)
	assert.Len(t, left, 9, "ws2's eight conversation jobs and its link job")
	for _, id := range left {
		assert.Contains(t, id, "job-ws-2-")
	}
}

func testDeleteNotFound(t *testing.T, s store.Store) {
	SeedDeletionData(t, s)
	update(t, s, func(tx store.Tx) error {
		_, err := tx.DeleteConversation(ws1, "c-none")
		assert.ErrorIs(t, err, model.ErrNotFound)
		_, err = tx.DeleteContact(ws1, "k-none")
		assert.ErrorIs(t, err, model.ErrNotFound)
		_, err = tx.DeleteConversation("ws-none", "c01")
		assert.ErrorIs(t, err, model.ErrNotFound, "another workspace's id")
		// The transaction stays usable.
		_, err = tx.GetConversation(ws1, "c01")
		return err
	})
	_, done, err := deleteWorkspaceOnce(t, s, "ws-none")
	require.NoError(t, err)
	assert.True(t, done, "an unknown workspace is deleted already")
}

func deleteWorkspaceOnce(t *testing.T, s store.Store, ws string) (keys []string, done bool, err error) {
	t.Helper()
	err = s.Update(t.Context(), func(tx store.Tx) (e error) {
		keys, done, e = tx.DeleteWorkspaceData(ws, 10)
		return e
	})
	return keys, done, err
}
