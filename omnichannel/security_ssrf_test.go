package omnichannel_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/guardedfetch"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// Server-side request forgery through inbound media (issue #17 item 1). A signed webhook carries an
// attachment URL; the engine's media job must not fetch anything on the host's own network, must
// not keep a truncated copy of an oversize body, and must give up at once on a refusal. Each case
// asserts the refusal and that nothing changed: the internal service got no request, no blob was
// written, the attachment has no copy, no job is left to retry, and the log says why with the URL
// redacted.

// internalService is a loopback service that must never be reached.
type internalService struct {
	*httptest.Server
	hits atomic.Int32
}

func newInternalService(t *testing.T) *internalService {
	s := &internalService{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(append([]byte("\x89PNG\r\n\x1a\n"), "internal secrets"...))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *internalService) port() uint16 {
	return netip.MustParseAddrPort(s.Listener.Addr().String()).Port()
}

// postAttachment delivers a signed webhook with one image attachment at url through the webhook
// handler and returns the stored message.
func postAttachment(t *testing.T, e *env, user, url string) *oc.Message {
	t.Helper()
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: user, MessageID: "m-" + user, Attachments: []fakechannel.WebhookAttachment{
			{Type: "image", URL: url, Name: "photo.png", ContentType: "image/png"}}}}}.JSON()
	require.Equal(t, http.StatusOK, e.post(body))
	msgs := e.thread(e.conversationOf(user).ID)
	return msgs[len(msgs)-1]
}

// requireRefused runs the due jobs and checks that the attachment of user's message was refused
// once and for all: no copy, no blob file, no job left even an hour later, the reason logged with
// the URL redacted.
func requireRefused(t *testing.T, e *env, user, secret, reason string) {
	t.Helper()
	n, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	require.NotZero(t, n, "the media job (and the profile fetch) ran")
	msgs := e.thread(e.conversationOf(user).ID)
	m := msgs[len(msgs)-1]
	require.Len(t, m.Attachments, 1, "the message keeps its attachment")
	assert.Empty(t, m.Attachments[0].BlobKey, "without a copy")
	assert.Zero(t, blobFiles(t, blobDir(t, e)), "no blob written")
	e.clock.Advance(time.Hour)
	n, err = e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "the refusal is final: no retry")
	logs := e.logs.String()
	assert.Contains(t, logs, "inbound media not copied")
	assert.Contains(t, logs, reason)
	assert.NotContains(t, logs, secret, "media URLs are logged redacted")
}

func TestSSRFMediaURLOnTheHostsNetworkIsNeverFetched(t *testing.T) {
	internal := newInternalService(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin?token=redirect-secret", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	cases := []struct {
		name, url, reason string
	}{
		{"loopback service", internal.URL + "/admin?token=s3cr3t-path", "destination address is not public"},
		{"localhost name", fmt.Sprintf("http://localhost:%d/admin?token=s3cr3t-path", internal.port()), "destination address is not public"},
		{"IPv6 loopback", fmt.Sprintf("http://[::1]:%d/admin?token=s3cr3t-path", internal.port()), "destination address is not public"},
		{"v4-mapped loopback", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/admin?token=s3cr3t-path", internal.port()), "destination address is not public"},
		{"redirect to loopback", redirector.URL + "/photo.png?token=s3cr3t-path", "destination address is not public"},
		{"javascript scheme", "javascript:alert('s3cr3t-path')", "no http(s) URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The provider's emulator and the redirector are allowed; the internal service is not.
			e := newEnv(t, withMediaClient(guardedfetch.Config{AllowAddrPorts: []netip.AddrPort{listenerOf(redirector.URL)}}))
			m := postAttachment(t, e, "u1", tc.url)
			require.Len(t, m.Attachments, 1)
			requireRefused(t, e, "u1", "s3cr3t-path", tc.reason)
			assert.Zero(t, internal.hits.Load(), "the internal service got no request")
		})
	}
}

// listenerOf is the address and port of a loopback test server's URL.
func listenerOf(url string) netip.AddrPort {
	return netip.MustParseAddrPort(url[len("http://"):])
}

// withMediaClient gives the fake adapter a guarded media client of cfg that also allows the fake
// provider's own listener.
func withMediaClient(cfg guardedfetch.Config) envOption {
	return func(c *oc.Config, e *env) {
		cfg.AllowAddrPorts = append(cfg.AllowAddrPorts, listenerOf(e.prov.URL()))
		mc, err := guardedfetch.New(cfg)
		require.NoError(e.t, err)
		ch, err := fakechannel.New(fakechannel.Config{Secret: e.prov.Secret(), BaseURL: e.prov.URL(), HTTPClient: e.prov.Client(), MediaClient: mc})
		require.NoError(e.t, err)
		c.Channels = []oc.Channel{ch}
	}
}

func TestSSRFOversizeMediaIsNotStoredTruncated(t *testing.T) {
	big := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 4096)...)
	t.Run("engine limit", func(t *testing.T) {
		e := newEnv(t, func(c *oc.Config, _ *env) { c.MaxAttachmentBytes = 1024 })
		postAttachment(t, e, "u1", e.prov.ServeMedia("big.png", "image/png", big)+"?sig=s3cr3t-path")
		requireRefused(t, e, "u1", "s3cr3t-path", "larger than 1024 bytes")
	})
	t.Run("guard limit", func(t *testing.T) {
		e := newEnv(t, withMediaClient(guardedfetch.Config{MaxBytes: 1024}))
		postAttachment(t, e, "u1", e.prov.ServeMedia("big.png", "image/png", big)+"?sig=s3cr3t-path")
		requireRefused(t, e, "u1", "s3cr3t-path", "larger than the limit")
	})
}

func TestSSRFStoredContentTypeComesFromTheBytes(t *testing.T) {
	e := newEnv(t)
	html := []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
	postAttachment(t, e, "u1", e.prov.ServeMedia("photo.png", "image/png", html))
	e.drain()
	msgs := e.thread(e.conversationOf("u1").ID)
	a := msgs[len(msgs)-1].Attachments[0]
	require.NotEmpty(t, a.BlobKey)
	assert.Equal(t, "text/html", a.ContentType, "the declared image/png is not trusted")
}
