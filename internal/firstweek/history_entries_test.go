package firstweek_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
)

// TestHistoryEntriesSayWhoFromToAndWhen: every ownership entry names who acted, the previous and
// the new owner, and carries its time; detail changes carry the old and the new value.
func TestHistoryEntriesSayWhoFromToAndWhen(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("tiktok")
		s.drain()
		_, err := emu.tiktok.CustomerSays(s.ctx, s.webhookURL("tiktok"), "u-hoa", "Khách Hoa", "Áo này giá bao nhiêu?")
		require.NoError(t, err)
		conv := only(t, s.list(sup, ""), "Khách Hoa")
		first := conv.AssigneeID
		other := map[string]string{care1: care2, care2: care1}[first]

		s.call(http.MethodPost, sup, "/conversations/"+conv.ID+"/assign", inboxapi.AssignRequest{UserID: other}, nil, http.StatusOK)
		s.call(http.MethodPatch, other, "/conversations/"+conv.ID+"/details", map[string]any{"categoryId": "price"}, nil, http.StatusOK)
		s.call(http.MethodPatch, other, "/conversations/"+conv.ID+"/details", map[string]any{"categoryId": "complaint", "note": "Khách hỏi giá sỉ"}, nil, http.StatusOK)
		s.call(http.MethodPost, other, "/conversations/"+conv.ID+"/done", nil, nil, http.StatusOK)

		thread := s.thread(sup, conv.ID)
		routed := entries(thread, "assigned")
		require.Len(t, routed, 2)
		assert.Equal(t, "", routed[0].Activity.ActorID, "the rule routed it")
		assert.Equal(t, "", routed[0].Activity.From)
		assert.Equal(t, first, routed[0].Activity.To)
		assert.Equal(t, sup, routed[1].Activity.ActorID, "who reassigned")
		assert.Equal(t, first, routed[1].Activity.From, "from whom")
		assert.Equal(t, other, routed[1].Activity.To, "to whom")
		assert.NotEmpty(t, routed[1].CreatedAt, "when")

		cats := entries(thread, "category_changed")
		require.Len(t, cats, 2)
		assert.Equal(t, [2]string{"", "price"}, [2]string{cats[0].Activity.From, cats[0].Activity.To})
		assert.Equal(t, [2]string{"price", "complaint"}, [2]string{cats[1].Activity.From, cats[1].Activity.To})
		assert.Equal(t, other, cats[1].Activity.ActorID)
		notes := entries(thread, "note_changed")
		require.Len(t, notes, 1)
		assert.Equal(t, [2]string{"", "Khách hỏi giá sỉ"}, [2]string{notes[0].Activity.From, notes[0].Activity.To})
		done := entries(thread, "done")
		require.Len(t, done, 1)
		assert.Equal(t, [3]string{other, "open", "done"}, [3]string{done[0].Activity.ActorID, done[0].Activity.From, done[0].Activity.To})
		for _, m := range thread {
			assert.NotEmpty(t, m.CreatedAt)
		}
	})
}
