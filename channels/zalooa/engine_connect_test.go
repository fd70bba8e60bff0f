package zalooa_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

const callback = "https://crm.example/oauth/zalo/callback"

// startConsent starts "Thêm kết nối" for user and plays the OA admin pressing Allow.
func (e *engineEnv) startConsent(user string, p oc.ConnectParams) url.Values {
	e.t.Helper()
	p.WorkspaceID, p.UserID, p.Kind, p.RedirectURI = ws, user, zalooa.Kind, callback
	authURL, err := e.eng.StartConnect(e.ctx, p)
	require.NoError(e.t, err)
	require.True(e.t, strings.HasPrefix(authURL, e.emu.URL()+zalotest.PathPermission+"?"), authURL)
	q, err := e.emu.Consent(e.ctx, authURL)
	require.NoError(e.t, err)
	return q
}

// The connect flow through the engine: consent, code exchange with PKCE, connection saved; a
// forged, replayed, expired or other user's state is refused.
func TestEngineConnectFlow(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})

	q := e.startConsent("sup", oc.ConnectParams{})
	forged := url.Values{}
	for k, v := range q {
		forged[k] = v
	}
	forged.Set("state", "forged-"+q.Get("state"))
	_, err := e.eng.CompleteConnect(e.ctx, ws, "sup", forged)
	assert.ErrorIs(t, err, oc.ErrBadState, "forged state")

	conn, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	assert.Equal(t, e.emu.OAID(), conn.ExternalID, "oa_id identifies the connection")
	assert.Equal(t, e.emu.OAName(), conn.DisplayName)
	assert.Equal(t, oc.ConnectionConnected, conn.Status)
	assert.WithinDuration(t, time.Now().Add(25*time.Hour), conn.Credentials.AccessExpiry, time.Minute)
	tokenReqs := e.emu.RequestsTo(zalotest.PathAccessToken)
	require.Len(t, tokenReqs, 1)
	form, err := url.ParseQuery(string(tokenReqs[0].Body))
	require.NoError(t, err)
	assert.Equal(t, "authorization_code", form.Get("grant_type"))
	assert.Equal(t, q.Get("code"), form.Get("code"))
	assert.NotEmpty(t, form.Get("code_verifier"))
	assert.Equal(t, e.emu.AppSecret(), tokenReqs[0].Header.Get("secret_key"))

	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "replayed state")

	q = e.startConsent("sup", oc.ConnectParams{})
	e.clock.Advance(11 * time.Minute)
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "expired state")

	q = e.startConsent("sup", oc.ConnectParams{})
	_, err = e.eng.CompleteConnect(e.ctx, ws, "a1", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "state of another user")
	assert.Len(t, e.emu.RequestsTo(zalotest.PathAccessToken), 1, "refused callbacks never reach the token endpoint")
}

// When the callback does not echo state (unsettled), StateInRedirectURI brings it back inside the
// redirect URI, so the engine's state check still works.
func TestEngineConnectWithoutStateEcho(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{OmitStateOnCallback: true}, func(c *zalooa.Config) { c.StateInRedirectURI = true })
	q := e.startConsent("sup", oc.ConnectParams{})
	require.NotEmpty(t, q.Get("state"))
	conn, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	assert.Equal(t, e.emu.OAID(), conn.ExternalID)
}

// After connecting, the OA's old conversations are imported (listrecentchat + conversation, 10 per
// page, de-duplicated, direction from from_id, oldest first), marked historical, and the rule's
// old-conversation policy distributes the ones still available.
func TestEngineHistorySync(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	_, err := e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: ws, ID: "r1", Name: "Sales", UserIDs: []string{"a1", "a2"},
		Method: oc.MethodRoundRobin, OldPolicy: oc.PolicyAvailable})
	require.NoError(t, err)

	recent, old := "u-recent", "u-old"
	e.emu.AddUser(zalotest.User{ID: recent, Name: "Khách Mới"})
	e.emu.AddUser(zalotest.User{ID: old, Name: "Khách Cũ"})
	t0 := time.Now().Add(-2 * time.Hour)
	for i := 0; i < 13; i++ { // more than one page
		e.emu.AddHistory(zalotest.HistoryMessage{ID: "h" + string(rune('a'+i)), UserID: recent, FromOA: i%2 == 1,
			Text: "tin " + string(rune('a'+i)), At: t0.Add(time.Duration(i) * time.Minute)})
	}
	photo := e.emu.ServeMedia("p.png", "image/png", []byte("\x89PNG\r\n\x1a\nold-photo"))
	e.emu.AddHistory(zalotest.HistoryMessage{ID: "o1", UserID: old, Type: "photo", URL: photo, At: time.Now().Add(-30 * 24 * time.Hour)})

	q := e.startConsent("sup", oc.ConnectParams{Permission: oc.PermissionShared, RuleID: "r1"})
	conn, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	e.conn = conn
	e.drain()

	for _, r := range append(e.emu.RequestsTo(zalotest.PathRecentChat), e.emu.RequestsTo(zalotest.PathConversation)...) {
		v, _ := url.ParseQuery(r.RawQuery)
		assert.Contains(t, v.Get("data"), `"count":10`)
	}
	assert.Len(t, e.emu.RequestsTo(zalotest.PathConversation), 2+1, "13 messages: a full page and a short one; 1 message: one page")

	conv := e.conversationOf(recent)
	assert.True(t, conv.Historical)
	msgs := e.messages(conv.ID)
	require.Len(t, msgs, 13, "no duplicates")
	for i, m := range msgs {
		assert.Equal(t, "tin "+string(rune('a'+i)), m.Text, "oldest first")
		want := oc.DirectionIn
		if i%2 == 1 {
			want = oc.DirectionOut
		}
		assert.Equal(t, want, m.Direction, m.Text)
	}
	assert.Equal(t, "Khách Mới", conv.ContactName)
	assert.NotEmpty(t, conv.AssigneeID, "an available old conversation is distributed")

	oldConv := e.conversationOf(old)
	assert.Empty(t, oldConv.AssigneeID, "outside the 7-day window: not available, not distributed")
	om := e.messages(oldConv.ID)
	require.Len(t, om, 1)
	require.Len(t, om[0].Attachments, 1)
	assert.NotEmpty(t, om[0].Attachments[0].BlobKey, "old media are copied too")

	// Syncing again (the admin reconnects the OA) imports nothing twice.
	var events int
	require.NoError(t, e.eng.Channel(zalooa.Kind).(oc.HistorySyncer).SyncHistory(e.ctx, e.connection(), func(oc.InboundEvent) error {
		events++
		return nil
	}))
	assert.Equal(t, 14, events, "one event per distinct history message")
	again := e.connection()
	_, err = e.eng.AddConnection(e.ctx, "sup", *again)
	require.NoError(t, err)
	e.drain()
	assert.Len(t, e.emu.RequestsTo(zalotest.PathConversation), 3*3, "the sync ran three times")
	assert.Len(t, e.messages(conv.ID), 13)
	assert.Len(t, e.messages(oldConv.ID), 1)
}
