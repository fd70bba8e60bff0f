package inboxapi_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
)

// TestAttachmentURLsAreOnlyOursOrHTTPS (issue #17): the API returned the raw remote URL of an
// attachment not copied yet, so a sticker of "javascript:…" or an internal "http://127.0.0.1:9/…"
// reached the inbox as a link. Only the engine's own /attachments/… URLs and https URLs are
// returned; an internal URL's media job is refused, so its content is never served either.
func TestAttachmentURLsAreOnlyOursOrHTTPS(t *testing.T) {
	e := newEnv(t)
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		w.Write(pngBytes(50))
	}))
	t.Cleanup(internal.Close)

	cases := []struct{ kind, url, want string }{
		{"sticker", "javascript:alert(document.cookie)", ""},
		{"image", "JAVASCRIPT:alert(1)", ""},
		{"image", "data:text/html,<script>alert(1)</script>", ""},
		{"image", internal.URL + "/admin", ""},
		{"file", "http://cdn.test/a.pdf", ""},
		{"image", "https://user:pw@cdn.test/a.png", ""},
		{"image", "https://cdn.test/a.png", "https://cdn.test/a.png"},
	}
	var atts []fakechannel.WebhookAttachment
	for _, c := range cases {
		atts = append(atts, fakechannel.WebhookAttachment{Type: c.kind, URL: c.url, Name: "x"})
	}
	require.Equal(t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{{
		Type: "message", UserID: "cust-a", MessageID: "m-urls", Attachments: atts}}}.JSON()))
	var l inboxapi.MessageList
	e.call("GET", "/conversations/"+e.convA.ID+"/messages", agent2, nil).decode(t, &l)
	m := l.Items[len(l.Items)-1]
	require.Len(t, m.Attachments, len(cases))
	for i, c := range cases {
		assert.Equal(t, c.want, m.Attachments[i].URL, c.url)
	}
	assert.Zero(t, internalHits.Load())
}

// TestInternalMediaURLIsNeverServed: a signed webhook whose attachment points at a loopback service
// outside the adapter's allow-list; after the media job ran, the service got no request, the API
// shows no URL and the attachment route has nothing to serve.
func TestInternalMediaURLIsNeverServed(t *testing.T) {
	e := newEnv(t)
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		w.Write(pngBytes(50))
	}))
	t.Cleanup(internal.Close)
	require.Equal(t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{{
		Type: "message", UserID: "cust-a", MessageID: "m-internal", Attachments: []fakechannel.WebhookAttachment{
			{Type: "image", URL: internal.URL + "/admin.png", Name: "photo.png", ContentType: "image/png"}}}}}.JSON()))
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)

	var l inboxapi.MessageList
	e.call("GET", "/conversations/"+e.convA.ID+"/messages", agent2, nil).decode(t, &l)
	m := l.Items[len(l.Items)-1]
	require.Len(t, m.Attachments, 1)
	assert.Empty(t, m.Attachments[0].URL)
	e.call("GET", "/attachments/m.0."+m.ID, agent2, nil).requireError(t, http.StatusNotFound, "not_found")
	assert.Zero(t, internalHits.Load(), "the internal service got no request")
}
