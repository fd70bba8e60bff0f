package omnichannel_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// nameless posts a customer message without a display name (the provider sends none; the engine
// names the customer "fake user <id>" until the profile fetch brings the real name).
func (e *env) nameless(user, msgID, text string) *oc.Conversation {
	e.t.Helper()
	return e.writesAs(user, "", msgID, text)
}

// writesAs posts a message of the customer user whose provider display name is name.
func (e *env) writesAs(user, name, msgID, text string) *oc.Conversation {
	e.t.Helper()
	require.Equal(e.t, http.StatusOK, e.post(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: user, UserName: name, MessageID: msgID, Text: text}}}.JSON()))
	return e.conversationOf(user)
}

// The internal fallback name never reaches the text: until the profile arrives, and for good when
// the profile fetch fails, {{customer_name}} renders the neutral "anh/chị"; with the profile, the
// customer's name.
func TestTemplateRendersNeutralNameUntilTheProfileArrives(t *testing.T) {
	e := newEnv(t)
	e.seedCatalog()
	conv := e.nameless("u1", "m1", "alo")
	require.Equal(t, "fake user u1", conv.ContactName, "the engine's fallback name (what the list shows)")

	f, err := e.eng.FillTemplate(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn anh/chị đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", f.Text)
	assert.Equal(t, []string{oc.VarCustomerName}, f.Unknown)

	// The profile fetch fails (the provider does not know the user): the name stays unknown.
	e.drain()
	text, err := e.eng.RenderTemplateFor(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn anh/chị đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", text)

	// The customer's name arrives with a profile event.
	require.Equal(t, http.StatusOK, e.post(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "profile", UserID: "u1", UserName: "Lan"}}}.JSON()))
	f, err = e.eng.FillTemplate(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn Lan đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", f.Text)
	assert.Empty(t, f.Unknown)
}

// A customer whose real name happens to look like another customer's fallback keeps it: only the
// fallback of the conversation's own identity is a placeholder.
func TestTemplateKeepsRealNameThatLooksLikeAFallback(t *testing.T) {
	e := newEnv(t)
	e.seedCatalog()
	conv := e.writesAs("u2", "fake user u1", "m1", "alo")
	text, err := e.eng.RenderTemplateFor(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn fake user u1 đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", text)
}

// Config.NeutralCustomerNames sets the neutral form per workspace; New refuses invalid values.
func TestNeutralCustomerNameIsConfigurablePerWorkspace(t *testing.T) {
	e := newEnv(t, func(c *oc.Config, _ *env) {
		c.NeutralCustomerNames = map[string]string{ws: "  quý khách ", "ws-other": "you"}
	})
	e.seedCatalog()
	conv := e.nameless("u1", "m1", "alo")
	text, err := e.eng.RenderTemplateFor(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn quý khách đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", text)

	ch, err := fakechannel.New(fakechannel.Config{Secret: e.prov.Secret(), BaseURL: e.prov.URL(), HTTPClient: e.prov.Client()})
	require.NoError(t, err)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	for _, bad := range []struct{ ws, name, problem string }{
		{"", "bạn", "empty workspace id"},
		{ws, "   ", "is empty"},
		{ws, "anh\nchị", "one line"},
		{ws, "{{customer_name}}", `"{{"`},
		{ws, strings.Repeat("á", oc.MaxNeutralNameLength+1), "longer than"},
	} {
		cfg := oc.Config{Store: e.store, Channels: []oc.Channel{ch}, Router: router,
			NeutralCustomerNames: map[string]string{bad.ws: bad.name}}
		_, err := oc.New(cfg)
		require.ErrorIs(t, err, oc.ErrInvalid, "%q", bad.name)
		assert.Contains(t, err.Error(), bad.problem)
	}
}

// A customer cannot smuggle a placeholder into an agent's reply through their name, and a template
// that would leave a "{{" in the text is refused rather than rendered.
func TestTemplateNeverLeavesPlaceholders(t *testing.T) {
	e := newEnv(t)
	e.seedCatalog()
	conv := e.writesAs("u3", "{{agent_name}}", "m1", "alo")
	f, err := e.eng.FillTemplate(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn anh/chị đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", f.Text)
	assert.Equal(t, []string{oc.VarCustomerName}, f.Unknown)

	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutTemplate(&oc.Template{WorkspaceID: ws, ID: "broken", Name: "Hỏng", Body: "Chào {{customer_name}}, em là {{agent_name"})
	}))
	_, err = e.eng.FillTemplate(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "broken"})
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.Contains(t, err.Error(), `"{{"`)
}

// Send refuses a text that still holds a template placeholder, before storing anything; other
// brace texts are the agent's own words and go out as typed.
func TestSendRefusesLeftoverPlaceholder(t *testing.T) {
	e := newEnv(t)
	conv := e.nameless("u1", "m1", "alo")
	before := len(e.thread(conv.ID))
	for _, text := range []string{"Chào {{customer_name}} ạ", "Chào {{ ten_khach }}", "{{agent_name}}"} {
		_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: text})
		require.ErrorIs(t, err, oc.ErrInvalid, text)
		assert.Contains(t, err.Error(), "placeholder")
	}
	assert.Len(t, e.thread(conv.ID), before, "nothing was stored")
	m, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "Giá {{ 7*7 }} {x} {{"})
	require.NoError(t, err)
	assert.Equal(t, "Giá {{ 7*7 }} {x} {{", m.Text)
}
