package firstweek_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
)

// TestTeamFilterListsWhatTheTeamHandles: conversations handed out by the care rule to the care
// agents have no team of their own; filtering by team "care" lists them (a conversation matches
// when it was handed to the team, or when it has no team and a member owns it), and filtering by
// "sales" does not, until one is reassigned to the sales team.
func TestTeamFilterListsWhatTheTeamHandles(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("tiktok")
		s.drain()
		for i := 0; i < 4; i++ {
			_, err := emu.tiktok.CustomerSays(s.ctx, s.webhookURL("tiktok"), uniq("u-team", i), uniq("Khách", i), "Chào shop")
			require.NoError(t, err)
		}
		assert.Len(t, s.list(sup, "team=care"), 4)
		assert.Empty(t, s.list(sup, "team=sales"))

		moved := s.list(sup, "team=care")[0]
		s.call("POST", sup, "/conversations/"+moved.ID+"/assign", inboxapi.AssignRequest{TeamID: "sales"}, nil, 200)
		sales := s.list(sup, "team=sales")
		require.Len(t, sales, 1)
		assert.Equal(t, moved.ID, sales[0].ID)
		assert.Len(t, s.list(sup, "team=care"), 3)
		assert.Len(t, s.list(sup, "team=care&team=sales"), 4)
	})
}

// TestSearchIgnoresAccentsAndCase: Vietnamese agents type without accents; "nguyen van",
// "NGUYỄN VĂN" and "Nguyễn Văn" find the same conversations, "bich" finds "Trần Thị Bích" and
// "dang" finds "Đặng Thu Hà" (đ ↔ d).
func TestSearchIgnoresAccentsAndCase(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("tiktok")
		s.drain()
		for i, name := range []string{"Nguyễn Văn An", "Trần Thị Bích", "Đặng Thu Hà", "Nguyên Vân"} {
			_, err := emu.tiktok.CustomerSays(s.ctx, s.webhookURL("tiktok"), uniq("u-search", i), name, "Chào shop")
			require.NoError(t, err)
		}
		search := func(q string) []string {
			var out []string
			for _, c := range s.list(sup, "q="+url.QueryEscape(q)) {
				out = append(out, c.ContactName)
			}
			return out
		}
		for _, q := range []string{"nguyen van", "NGUYỄN VĂN", "Nguyễn Văn", "nguyên vân"} {
			assert.ElementsMatch(t, []string{"Nguyễn Văn An", "Nguyên Vân"}, search(q), "search %q", q)
		}
		assert.Equal(t, []string{"Trần Thị Bích"}, search("bich"))
		assert.Equal(t, []string{"Đặng Thu Hà"}, search("dang"))
		assert.Equal(t, []string{"Đặng Thu Hà"}, search("ĐẶNG"))
		assert.Empty(t, search("bich ngoc"))
	})
}
