package firstweek_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/inboxapi"
)

// TestTemplateNeverShowsAPlaceholderName: a Zalo customer's first message carries no name; until
// the profile fetch lands, {{customer_name}} renders the neutral "anh/chị" (never the engine's
// internal "zalo user …"), the render says the name is unknown, and the reply that goes out holds no
// placeholder. Once the profile is fetched the real name renders.
func TestTemplateNeverShowsAPlaceholderName(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("zalo")
		s.drain()
		emu.zalo.AddUser(zalotest.User{ID: "z-ha", Name: "Đặng Thu Hà"})
		_, err := emu.zalo.CustomerSays(s.ctx, s.webhookURL("zalo"), "z-ha", "Đặng Thu Hà", "Shop ơi")
		require.NoError(t, err)
		conv := s.list(sup, "")[0]
		require.True(t, strings.HasPrefix(conv.ContactName, "zalo user"), "before the profile fetch: %q", conv.ContactName)

		var r inboxapi.RenderedTemplate
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/templates/greet/render", nil, &r, http.StatusOK)
		assert.Equal(t, "Dạ em chào anh/chị, em là "+agentName(conv.AssigneeID)+" của shop ạ.", r.Text)
		assert.Equal(t, []string{"customer_name"}, r.Unknown)
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/messages",
			map[string]any{"text": r.Text, "idempotencyKey": "tpl-1"}, nil, http.StatusAccepted)
		// A text with a placeholder left in it is refused before anything is queued.
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/messages",
			map[string]any{"text": "Dạ em chào {{customer_name}}", "idempotencyKey": "tpl-2"}, nil, http.StatusUnprocessableEntity)
		s.drain() // the reply goes out; the profile fetch lands
		for _, m := range emu.zalo.Sent() {
			assert.NotContains(t, m.Text, "zalo user")
			assert.NotContains(t, m.Text, "{{")
		}

		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/templates/greet/render", nil, &r, http.StatusOK)
		assert.Equal(t, "Dạ em chào Đặng Thu Hà, em là "+agentName(conv.AssigneeID)+" của shop ạ.", r.Text)
		assert.Empty(t, r.Unknown)
	})
}

func agentName(id string) string {
	return map[string]string{sup: "Trần Thị Hoa", care1: "Nguyễn Văn Minh", care2: "Phạm Quốc Bảo", sales1: "Lê Thị Thu"}[id]
}
