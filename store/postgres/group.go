package postgres

import (
	"regexp"

	"github.com/dakenh/dakenh/omnichannel"
)

// A grouped update (Store.UpdateGrouped) runs its function's reads as they come, outside any
// transaction, and records its writes instead of running them. When the function returns, the
// recorded statements of several concurrent grouped updates are sent together, in one transaction
// and one round trip (groupCommitter). A write's statement that does not change the one row it
// should (a duplicate, a stale version) makes the whole group roll back; each grouped update of the
// group then runs its writes again, through the write methods themselves, in a transaction of its
// own, so each gets exactly the result that Update would have given it.
//
// Reads see the function's own writes: a read whose statement names a table that a recorded write
// changes (or whose triggers change) first runs the recorded writes in a transaction, which the
// rest of the function then uses as Update does (the update is no longer grouped).

// groupedTables are the tables whose writes a grouped update records, each with the tables its
// statements change (triggers included).
var groupedTables = map[string][]string{
	"messages":      {"messages"},
	"conversations": {"conversations", "unread_counters", "read_states"},
	"contacts":      {"contacts"},
	"identities":    {"identities"},
	"jobs":          {"jobs"},
	"feed_entries":  {"feed_entries"},
}

// tableNames finds the tables a statement names.
var tableNames = regexp.MustCompile(`\b(messages|conversations|unread_counters|read_states|contacts|identities|jobs|feed_entries)\b`)

// recordedStatement is a write statement of a grouped update, to run later; it must change exactly
// one row.
type recordedStatement struct {
	sql  string
	args []any
}

// grouping is the state of a txn inside a grouped update.
type grouping struct {
	// active is true while writes are recorded; a read that needs them runs them and ends it.
	active bool
	// recording is true inside a recorded write method: txn.exec records its statements.
	recording  bool
	statements []recordedStatement
	// replays run the recorded writes again through the write methods, on copies of their
	// arguments as they were when called.
	replays []func(*txn) error
	// changed holds the tables the recorded writes change.
	changed map[string]bool
	// keys name the rows the recorded writes insert or update: two groups in flight at once never
	// share one (so they never wait for each other's locks).
	keys []string
	// thread is the customer thread the update holds (lockCustomerThread), "" for none.
	thread string
}

// recordWrite is called by the write methods that a grouped update may apply later, before they
// change anything: it notes the write (replay runs it again on a copy of its arguments) and makes
// the method's statements be recorded until the returned function is called. Outside a grouped
// update it does nothing.
func (t *txn) recordWrite(table string, replay func(*txn) error, keys ...string) (done func()) {
	g := t.group
	if g == nil || !g.active {
		return func() {}
	}
	g.recording = true
	g.replays = append(g.replays, replay)
	for _, name := range groupedTables[table] {
		g.changed[name] = true
	}
	for _, key := range keys {
		if key != "" {
			g.keys = append(g.keys, table+"\x00"+key)
		}
	}
	return func() { g.recording = false }
}

// record keeps a statement of a recorded write and reports whether it did.
func (t *txn) record(sql string, args []any) bool {
	g := t.group
	if g == nil || !g.recording {
		return false
	}
	g.statements = append(g.statements, recordedStatement{sql: sql, args: args})
	return true
}

// beforeStatement runs the recorded writes first when sql may read what they change.
func (t *txn) beforeStatement(sql string) error {
	g := t.group
	if g == nil || !g.active || g.recording || len(g.replays) == 0 {
		return nil
	}
	for _, name := range tableNames.FindAllString(sql, -1) {
		if g.changed[name] {
			return t.ungroup()
		}
	}
	return nil
}

// ungroup ends the grouping: the recorded writes run now, in the transaction, which the rest of the
// function uses as in Update.
func (t *txn) ungroup() error {
	g := t.group
	if g == nil || !g.active {
		return nil
	}
	g.active = false
	t.tx.autocommit = false
	replays := g.replays
	g.replays, g.statements, g.keys = nil, nil, nil
	for _, replay := range replays {
		if err := replay(t); err != nil {
			return err
		}
	}
	return nil
}

// conversationKeys are the keys of a conversation for a grouped update's keys: its id and its
// thread (connection and identity, unique).
func conversationKeys(c *omnichannel.Conversation) []string {
	return []string{c.WorkspaceID + "\x00" + c.ID, c.WorkspaceID + "\x00" + c.ConnectionID + "\x00" + c.IdentityID}
}

// identityKey is the natural key of an identity for a grouped update's keys.
func identityKey(i *omnichannel.Identity) string {
	return i.WorkspaceID + "\x00" + i.ConnectionID + "\x00" + i.ExternalUserID
}

// messageKey is the natural key of a message for a grouped update's keys.
func messageKey(m *omnichannel.Message) string {
	if m.ProviderMessageID == "" {
		return ""
	}
	return m.WorkspaceID + "\x00" + m.ConnectionID + "\x00" + m.ProviderMessageID
}
