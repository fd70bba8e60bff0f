package inboxapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
)

func TestUploadSendAndDownload(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	data := pngBytes(300)
	up := e.upload(agent1, "ảnh áo.png", data)
	assert.True(t, strings.HasPrefix(up.ID, "u."))
	assert.Equal(t, inboxapi.Attachment{ID: up.ID, Kind: "image", Name: "ảnh áo.png", ContentType: "image/png", Size: 300,
		URL: "/attachments/" + up.ID}, up)

	// The uploader can preview it; nobody else can.
	r := e.call("GET", up.URL, agent1, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, data, r.body)
	assert.Equal(t, "image/png", r.header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(r.header.Get("Content-Disposition"), "inline;"), r.header.Get("Content-Disposition"))
	assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	assert.Contains(t, r.header.Get("Content-Security-Policy"), "sandbox")
	e.call("GET", up.URL, agent2, nil).requireError(t, http.StatusNotFound, "not_found")
	e.call("GET", up.URL[:len(up.URL)-2]+"xx", agent1, nil).requireError(t, http.StatusNotFound, "not_found")

	// Sent, it becomes a message attachment every viewer of the conversation may download.
	r = e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1, inboxapi.SendRequest{AttachmentIDs: []string{up.ID}, IdempotencyKey: "k"})
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	var sent inboxapi.MessageResponse
	r.decode(t, &sent)
	require.Len(t, sent.Message.Attachments, 1)
	att := sent.Message.Attachments[0]
	assert.Equal(t, "image", sent.Message.Type)
	assert.Equal(t, "/attachments/m.0."+sent.Message.ID, att.URL)
	r = e.call("GET", att.URL, agent2, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, data, r.body)
	e.call("GET", "/attachments/m.1."+sent.Message.ID, agent2, nil).requireError(t, http.StatusNotFound, "not_found")
	e.call("GET", "/attachments/m.x."+sent.Message.ID, agent2, nil).requireError(t, http.StatusNotFound, "not_found")
	e.call("GET", "/attachments/other", agent2, nil).requireError(t, http.StatusNotFound, "not_found")

	// The provider got the bytes.
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	sentToProvider := e.prov.Sent()
	require.Len(t, sentToProvider, 1)
	require.Len(t, sentToProvider[0].Attachments, 1)
	assert.Equal(t, data, sentToProvider[0].Attachments[0].Data)
}

func TestDownloadsOfUntrustedFilesAreSafe(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, file string
		data       []byte
		wantType   string
	}{
		{"pdf with a hostile name", "../../x\"; evil=1\r\n.pdf", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n"), "application/pdf"},
		{"html", "page.html", []byte("<!DOCTYPE html><script>alert(1)</script>"), "application/octet-stream"},
		{"svg", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "application/octet-stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up := e.upload(agent1, c.file, c.data)
			r := e.call("GET", up.URL, agent1, nil)
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, c.data, r.body)
			assert.Equal(t, c.wantType, r.header.Get("Content-Type"))
			cd := r.header.Get("Content-Disposition")
			assert.True(t, strings.HasPrefix(cd, "attachment;"), cd)
			assert.NotContains(t, cd, "\r")
			assert.NotContains(t, cd, "\n")
			assert.NotContains(t, cd, "/")
			assert.NotContains(t, cd, `evil=1;`)
			assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
		})
	}
}

// An inbound image has no URL until the engine copied it (the emulator's URL is plain http, which
// the API never returns), then points at the API.
func TestInboundMediaURL(t *testing.T) {
	e := newEnv(t)
	img := pngBytes(50)
	url := e.prov.ServeMedia("photo.png", "image/png", img)
	require.Equal(t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{{
		Type: "message", UserID: "cust-a", MessageID: "m-img", Attachments: []fakechannel.WebhookAttachment{
			{Type: "image", URL: url, Name: "photo.png", ContentType: "image/png", Size: 50}},
	}}}.JSON()))
	last := func() inboxapi.Message {
		var l inboxapi.MessageList
		e.call("GET", "/conversations/"+e.convA.ID+"/messages", agent2, nil).decode(t, &l)
		return l.Items[len(l.Items)-1]
	}
	m := last()
	require.Len(t, m.Attachments, 1)
	assert.Empty(t, m.Attachments[0].URL)
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	m = last()
	assert.Equal(t, "/attachments/m.0."+m.ID, m.Attachments[0].URL)
	r := e.call("GET", m.Attachments[0].URL, agent2, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, img, r.body)
}
