package storetest

import (
	"testing"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// The query data set: eight conversations of ws1, c01 the oldest and c08 the newest, so every list
// is expected in descending id order. Connections: cz1 and cz2 are Zalo, ct1 is TikTok.
//
//	id  conn kind   contact status assignee team catPath         class    await name            phone         inbound
//	c01 cz1  zalooa k1      open   u1       t1   a > a1 > a1x    cl-sale  no    Nguyễn Văn An   +84912345678  3
//	c02 cz1  zalooa k2      open   -        -    -               -        yes   Trần Thị Bình   +84987654321  1
//	c03 ct1  tiktok k3      done   u2       t2   b               cl-spam  no    Lê Minh Châu    -             0
//	c04 cz2  zalooa k4      open   u2       t1   a > a1          cl-sale  no    Phạm Anh        +84123000111  5
//	c05 ct1  tiktok k1      open   -        t2   -               -        yes   Nguyễn Văn An   +84912345678  2
//	c06 cz1  zalooa k5      done   -        -    b > b1          -        no    HOÀNG LONG      +14155550100  0
//	c07 cz2  zalooa k6      open   u3       -    -               cl-spam  no    Đỗ Mai          -             4
//	c08 ct1  tiktok k7      open   u1       t1   a               -        no    anh Tuấn        +84900000001  1
//
// Read states: u1 read c01 (3 of 3), c04 (2 of 5) and c05 (2 of 2); u2 read c04 (5 of 5); u3 read
// nothing. So u1's unread are c02 c04 c07 c08, u2's c01 c02 c05 c07 c08, u3's c01 c02 c04 c05 c07 c08.
//
// ws2 holds look-alikes that must never show up: a conversation with id c02 (u1 has read it there),
// and one assigned to u1 matching most filters.

type queryRow struct {
	id, conn    string
	kind        model.Kind
	contact     string
	status      model.ConversationStatus
	assignee    string
	team        string
	catPath     []string
	class       string
	await       bool
	name, phone string
	inbound     int64
}

var queryRows = []queryRow{
	{"c01", "cz1", kindZalo, "k1", model.StatusOpen, "u1", "t1", []string{"a", "a1", "a1x"}, "cl-sale", false, "Nguyễn Văn An", "+84912345678", 3},
	{"c02", "cz1", kindZalo, "k2", model.StatusOpen, "", "", nil, "", true, "Trần Thị Bình", "+84987654321", 1},
	{"c03", "ct1", kindTikTok, "k3", model.StatusDone, "u2", "t2", []string{"b"}, "cl-spam", false, "Lê Minh Châu", "", 0},
	{"c04", "cz2", kindZalo, "k4", model.StatusOpen, "u2", "t1", []string{"a", "a1"}, "cl-sale", false, "Phạm Anh", "+84123000111", 5},
	{"c05", "ct1", kindTikTok, "k1", model.StatusOpen, "", "t2", nil, "", true, "Nguyễn Văn An", "+84912345678", 2},
	{"c06", "cz1", kindZalo, "k5", model.StatusDone, "", "", []string{"b", "b1"}, "", false, "HOÀNG LONG", "+14155550100", 0},
	{"c07", "cz2", kindZalo, "k6", model.StatusOpen, "u3", "", nil, "cl-spam", false, "Đỗ Mai", "", 4},
	{"c08", "ct1", kindTikTok, "k7", model.StatusOpen, "u1", "t1", []string{"a"}, "", false, "anh Tuấn", "+84900000001", 1},
}

func (r queryRow) conversation(ws string, i int) *model.Conversation {
	c := fullConversation(ws, r.id)
	c.ConnectionID, c.ChannelKind, c.ContactID, c.IdentityID = r.conn, r.kind, r.contact, "idn-"+r.id
	c.Status, c.AssigneeID, c.TeamID = r.status, r.assignee, r.team
	c.CategoryPath, c.CategoryID = r.catPath, ""
	if len(r.catPath) > 0 {
		c.CategoryID = r.catPath[len(r.catPath)-1]
	}
	c.ClassificationID, c.AwaitingClaim, c.Claimed = r.class, r.await, false
	c.ContactName, c.ContactPhone, c.InboundCount = r.name, r.phone, r.inbound
	c.LastMessageAt = at(time.Duration(i) * time.Minute)
	return c
}

// seedQueryData stores the query data set.
func seedQueryData(t *testing.T, s store.Store) {
	t.Helper()
	var cs []*model.Conversation
	for i, r := range queryRows {
		cs = append(cs, r.conversation(ws1, i))
	}
	// Look-alikes in ws2 (connection ids are global, so ws2 has its own).
	twin := queryRows[1].conversation(ws2, 20) // id c02, unread by nobody but u1
	twin.ConnectionID = "cz9"
	lure := queryRows[0].conversation(ws2, 21) // matches most of c01's filters
	lure.ID, lure.IdentityID, lure.ConnectionID = "c99", "idn-c99", "cz9"
	cs = append(cs, twin, lure)
	insertConversations(t, s, cs...)

	update(t, s, func(tx store.Tx) error {
		for _, r := range []*model.ReadState{
			fullReadState(ws1, "u1", "c01", 3),
			fullReadState(ws1, "u1", "c04", 2),
			fullReadState(ws1, "u1", "c05", 2),
			fullReadState(ws1, "u2", "c04", 5),
			fullReadState(ws2, "u1", "c02", 1),
		} {
			if err := tx.PutReadState(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func listConversations(t *testing.T, s store.Store, q model.ConversationQuery) []*model.Conversation {
	t.Helper()
	return read(t, s, func(tx store.Tx) ([]*model.Conversation, error) {
		return tx.ListConversations(q)
	})
}

func countUnread(t *testing.T, s store.Store, q model.ConversationQuery) int {
	t.Helper()
	return read(t, s, func(tx store.Tx) (int, error) { return tx.CountUnread(q) })
}
