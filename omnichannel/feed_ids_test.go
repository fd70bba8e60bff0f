package omnichannel_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// The feed names what an event is about even when no conversation is: the deleted contact of
// contact.deleted and the record of an administration event, so a host can mirror both.
func TestFeedNamesDeletedContactsAndAdminRecords(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "Xin chào")
	conv := e.conversationOf("u1")
	team, err := e.eng.SaveTeam(e.ctx, "sup", oc.Team{WorkspaceID: ws, Name: "Bán hàng", MemberIDs: []string{"a1"}})
	require.NoError(t, err)
	require.NoError(t, e.eng.DeleteContact(e.ctx, ws, "sup", conv.ContactID))

	data := map[oc.EventKind]oc.FeedData{}
	for en, err := range e.eng.Events(e.ctx, ws, 0) {
		require.NoError(t, err)
		var d oc.FeedData
		if en.Data != nil {
			require.NoError(t, json.Unmarshal(en.Data, &d))
		}
		data[en.Kind] = d
	}
	assert.Equal(t, team.ID, data[oc.EventTeamSaved].RecordID, "team.saved names the team")
	assert.Equal(t, conv.ContactID, data[oc.EventContactDeleted].ContactID, "contact.deleted names the contact")
	_, kept := data[oc.EventMessageCreated]
	assert.False(t, kept, "the deleted conversation's entries are purged from the feed")
}
