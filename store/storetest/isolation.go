package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func isolationTests() []test {
	return []test{
		{"Reads", testIsolationReads},
		{"Writes", testIsolationWrites},
	}
}

// seedIsolation gives ws1 and ws2 rows with identical ids and unique keys (only connection ids
// differ, being global): contact k1, identity i1 (external user ext-i1), conversation c1, message m1
// (provider id pm-1, idempotency key key-1), user u1, team t1, rule r1, template tp1, category cat1,
// classification cl1. ws1 also has an echo candidate m3, u1's read state of c1, and rotation "rr" at 2.
func seedIsolation(t *testing.T, s store.Store) {
	t.Helper()
	for _, ws := range []string{ws1, ws2} {
		c := fullConversation(ws, "c1")
		c.ContactID, c.IdentityID, c.Note = "k1", "i1", ws
		c.AssigneeID, c.Status, c.InboundCount = "u1", model.StatusOpen, 2
		insertConversations(t, s, c)
		m := fullMessage(c, "m1", 1)
		m.ProviderMessageID, m.IdempotencyKey, m.Text = "pm-1", "key-1", ws
		insertMessages(t, s, m)
		update(t, s, func(tx store.Tx) error {
			u := fullUser(ws, "u1")
			u.Name = ws
			for _, err := range []error{
				tx.PutUser(u),
				tx.PutTeam(fullTeam(ws, "t1")),
				tx.PutRule(fullRule(ws, "r1")),
				tx.PutTemplate(fullTemplate(ws, "tp1")),
				tx.PutCategory(fullCategory(ws, "cat1")),
				tx.PutClassification(fullClassification(ws, "cl1")),
			} {
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	c1 := getConversation(t, s, ws1, "c1")
	echo := plainMessage(c1, "m3", 2)
	echo.Direction, echo.Status, echo.Text, echo.CreatedAt = model.DirectionOut, model.MessagePending, "echo", t0
	insertMessages(t, s, echo)
	update(t, s, func(tx store.Tx) error { return tx.PutReadState(fullReadState(ws1, "u1", "c1", 2)) })
	nextRotation(t, s, ws1, "rr")
	nextRotation(t, s, ws1, "rr")
}

// workspaceIDs returns the WorkspaceID of the row v points to, or of every row of the slice v.
func workspaceIDs(v any) []string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return []string{workspaceID(rv)}
	}
	ids := make([]string, rv.Len())
	for i := range ids {
		ids[i] = workspaceID(rv.Index(i))
	}
	return ids
}

func workspaceID(row reflect.Value) string {
	if row.IsNil() {
		return "<nil row>"
	}
	return row.Elem().FieldByName("WorkspaceID").String()
}

// isolationReads are the read methods of Tx, called with the ids that seedIsolation gives both
// workspaces; each must return exactly one row, of the workspace asked.
var isolationReads = []struct {
	name string
	call func(tx store.Tx, ws string) (any, error)
}{
	{"GetConnection", func(tx store.Tx, ws string) (any, error) { return tx.GetConnection(ws, connectionOf(ws)) }},
	{"ListConnections", func(tx store.Tx, ws string) (any, error) { return tx.ListConnections(ws) }},
	{"GetContact", func(tx store.Tx, ws string) (any, error) { return tx.GetContact(ws, "k1") }},
	{"GetIdentity", func(tx store.Tx, ws string) (any, error) { return tx.GetIdentity(ws, "i1") }},
	{"FindIdentity", func(tx store.Tx, ws string) (any, error) {
		return tx.FindIdentity(ws, connectionOf(ws), "ext-i1")
	}},
	{"ListIdentities", func(tx store.Tx, ws string) (any, error) { return tx.ListIdentities(ws, "k1") }},
	{"GetConversation", func(tx store.Tx, ws string) (any, error) { return tx.GetConversation(ws, "c1") }},
	{"FindConversation", func(tx store.Tx, ws string) (any, error) {
		return tx.FindConversation(ws, connectionOf(ws), "i1")
	}},
	{"ListConversations", func(tx store.Tx, ws string) (any, error) { return tx.ListConversations(cq{WorkspaceID: ws}) }},
	{"GetMessage", func(tx store.Tx, ws string) (any, error) { return tx.GetMessage(ws, "m1") }},
	{"FindMessageByProviderID", func(tx store.Tx, ws string) (any, error) {
		return tx.FindMessageByProviderID(ws, connectionOf(ws), "pm-1")
	}},
	{"FindMessageByIdempotencyKey", func(tx store.Tx, ws string) (any, error) {
		return tx.FindMessageByIdempotencyKey(ws, "c1", "key-1")
	}},
	{"ListMessages", func(tx store.Tx, ws string) (any, error) { return tx.ListMessages(ws, "c1", 2, 100) }},
	{"GetUser", func(tx store.Tx, ws string) (any, error) { return tx.GetUser(ws, "u1") }},
	{"ListUsers", func(tx store.Tx, ws string) (any, error) { return tx.ListUsers(ws) }},
	{"GetTeam", func(tx store.Tx, ws string) (any, error) { return tx.GetTeam(ws, "t1") }},
	{"ListTeams", func(tx store.Tx, ws string) (any, error) { return tx.ListTeams(ws) }},
	{"GetRule", func(tx store.Tx, ws string) (any, error) { return tx.GetRule(ws, "r1") }},
	{"ListRules", func(tx store.Tx, ws string) (any, error) { return tx.ListRules(ws) }},
	{"GetTemplate", func(tx store.Tx, ws string) (any, error) { return tx.GetTemplate(ws, "tp1") }},
	{"ListTemplates", func(tx store.Tx, ws string) (any, error) { return tx.ListTemplates(ws) }},
	{"GetCategory", func(tx store.Tx, ws string) (any, error) { return tx.GetCategory(ws, "cat1") }},
	{"ListCategories", func(tx store.Tx, ws string) (any, error) { return tx.ListCategories(ws) }},
	{"GetClassification", func(tx store.Tx, ws string) (any, error) { return tx.GetClassification(ws, "cl1") }},
	{"ListClassifications", func(tx store.Tx, ws string) (any, error) { return tx.ListClassifications(ws) }},
}

func testIsolationReads(t *testing.T, s store.Store) {
	seedIsolation(t, s)
	for _, ws := range []string{ws1, ws2} {
		for _, r := range isolationReads {
			v, err := readErr(t, s, func(tx store.Tx) (any, error) { return r.call(tx, ws) })
			if assert.NoError(t, err, "%s in %s", r.name, ws) {
				assert.Equal(t, []string{ws}, workspaceIDs(v), "%s in %s", r.name, ws)
			}
		}
		counts := read(t, s, func(tx store.Tx) (map[string]int, error) {
			return tx.CountOpenAssigned(ws, []string{"u1"})
		})
		assert.Equal(t, 1, counts["u1"], "CountOpenAssigned in %s", ws)
	}

	notFound := func(what string, fn func(tx store.Tx) error) {
		t.Helper()
		assert.ErrorIs(t, s.View(t.Context(), fn), model.ErrNotFound, what)
	}
	connA := connectionOf(ws1)
	notFound("GetConnection", func(tx store.Tx) error { _, err := tx.GetConnection(ws2, connA); return err })
	notFound("FindIdentity", func(tx store.Tx) error { _, err := tx.FindIdentity(ws2, connA, "ext-i1"); return err })
	notFound("FindConversation", func(tx store.Tx) error { _, err := tx.FindConversation(ws2, connA, "i1"); return err })
	notFound("FindMessageByProviderID", func(tx store.Tx) error {
		_, err := tx.FindMessageByProviderID(ws2, connA, "pm-1")
		return err
	})
	notFound("GetMessage", func(tx store.Tx) error { _, err := tx.GetMessage(ws2, "m3"); return err })
	notFound("GetReadState", func(tx store.Tx) error { _, err := tx.GetReadState(ws2, "u1", "c1"); return err })
	notFound("FindEchoCandidate", func(tx store.Tx) error {
		_, err := tx.FindEchoCandidate(ws2, "c1", "echo", at(-time.Hour))
		return err
	})
	echo := read(t, s, func(tx store.Tx) (*model.Message, error) {
		return tx.FindEchoCandidate(ws1, "c1", "echo", at(-time.Hour))
	})
	assert.Equal(t, "m3", echo.ID)

	assert.Empty(t, listConversations(t, s, cq{WorkspaceID: ws2, ConnectionIDs: []string{connA}}))
	assert.Empty(t, listConversations(t, s, cq{WorkspaceID: ws2, ViewerID: "u1", ReadState: model.ReadRead}))
	assert.Len(t, listConversations(t, s, cq{WorkspaceID: ws1, ViewerID: "u1", ReadState: model.ReadRead}), 1)
	assert.Equal(t, 0, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u1"}))
	assert.Equal(t, 1, countUnread(t, s, cq{WorkspaceID: ws2, ViewerID: "u1"}))
	assert.Equal(t, int64(0), nextRotation(t, s, ws2, "rr"))
	assert.Equal(t, int64(2), nextRotation(t, s, ws1, "rr"))
}

func testIsolationWrites(t *testing.T, s store.Store) {
	seedIsolation(t, s)
	before := map[string]*model.Conversation{ws2: getConversation(t, s, ws2, "c1")}
	m2, err := getMessage(t, s, ws2, "m1")
	require.NoError(t, err)
	u2 := read(t, s, func(tx store.Tx) (*model.User, error) { return tx.GetUser(ws2, "u1") })
	connA := read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws1, connectionOf(ws1))
	})

	update(t, s, func(tx store.Tx) error {
		c, err := tx.GetConversation(ws1, "c1")
		if err != nil {
			return err
		}
		c.Note, c.AssigneeID = "changed", ""
		if err := tx.UpdateConversation(c); err != nil {
			return err
		}
		m, err := tx.GetMessage(ws1, "m1")
		if err != nil {
			return err
		}
		m.Text = "changed"
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		u := fullUser(ws1, "u1")
		u.Name = "changed"
		for _, err := range []error{
			tx.PutUser(u),
			tx.DeleteRule(ws1, "r1"),
			tx.DeleteTemplate(ws1, "tp1"),
			tx.PutReadState(fullReadState(ws2, "u1", "c1", 1)),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})

	same(t, before[ws2], getConversation(t, s, ws2, "c1"))
	got, err := getMessage(t, s, ws2, "m1")
	require.NoError(t, err)
	same(t, m2, got)
	same(t, u2, read(t, s, func(tx store.Tx) (*model.User, error) { return tx.GetUser(ws2, "u1") }))
	same(t, fullRule(ws2, "r1"), read(t, s, func(tx store.Tx) (*model.Rule, error) { return tx.GetRule(ws2, "r1") }))
	same(t, fullTemplate(ws2, "tp1"), read(t, s, func(tx store.Tx) (*model.Template, error) {
		return tx.GetTemplate(ws2, "tp1")
	}))
	rs, err := getReadState(t, s, ws1, "u1", "c1")
	require.NoError(t, err)
	assert.Equal(t, int64(2), rs.InboundCount, "ws2's read state must not overwrite ws1's")

	stolen := *connA
	stolen.WorkspaceID, stolen.DisplayName = ws2, "stolen"
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateConnection(&stolen) })
	assert.Error(t, err, "UpdateConnection through another workspace")
	same(t, connA, read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws1, connectionOf(ws1))
	}))
}
