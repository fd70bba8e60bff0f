package zalooa_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// TestDownloadMediaRefusesInternalURLs: a webhook's media URL is fetched through the guarded client.
// An internal service on loopback (not the emulator), a name resolving to a private address and a
// CDN redirect into the host's network are refused before any connection, finally (no retry), and
// the error names the URL redacted; the emulator's own CDN still serves.
func TestDownloadMediaRefusesInternalURLs(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		fmt.Fprint(w, "internal admin page")
	}))
	defer internal.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
	}))
	defer redirector.Close()
	media, err := guardedfetch.New(guardedfetch.Config{
		AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort(s.Config().APIBaseURL[len("http://"):]),
			redirector.Listener.Addr().(*net.TCPAddr).AddrPort()},
		Lookup: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		},
	})
	require.NoError(t, err)
	ch := newChannel(t, s, nil, func(c *zalooa.Config) { c.MediaClient = media })
	conn := s.Connection()

	for _, tc := range []struct {
		url  string
		want error
	}{
		{internal.URL + "/admin?sig=zalo-cdn-signature", guardedfetch.ErrBlockedAddress},
		{"http://cdn-internal.test/photo.jpg?sig=zalo-cdn-signature", guardedfetch.ErrBlockedAddress},
		{redirector.URL + "/photo.jpg?sig=zalo-cdn-signature", guardedfetch.ErrBlockedAddress},
		{"javascript:alert(1)//zalo-cdn-signature", guardedfetch.ErrScheme},
	} {
		_, _, err := ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{RemoteURL: tc.url})
		require.ErrorIs(t, err, tc.want, tc.url)
		assert.False(t, omnichannel.IsRetryable(err), "a refusal is final: %v", err)
		assert.NotContains(t, err.Error(), "zalo-cdn-signature", "the media URL is redacted")
	}
	assert.Zero(t, internalHits.Load(), "the internal service was never reached")

	rc, _, err := ch.DownloadMedia(context.Background(), conn, omnichannel.Attachment{
		RemoteURL: s.ServeMedia("a.png", "image/png", []byte("\x89PNG\r\n\x1a\nimage"))})
	require.NoError(t, err, "the emulator's CDN is allowed")
	rc.Close()
}

// TestDownloadMediaDefaultRefusesLoopback: an adapter given no MediaClient reaches public addresses
// only, so even the emulator's CDN on loopback is refused.
func TestDownloadMediaDefaultRefusesLoopback(t *testing.T) {
	s := newEmulator(t, zalotest.Options{})
	ch := newChannel(t, s, nil, func(c *zalooa.Config) { c.MediaClient = nil })
	u := s.ServeMedia("a.png", "image/png", []byte("\x89PNG\r\n\x1a\nimage"))
	before := len(s.Requests())
	_, _, err := ch.DownloadMedia(context.Background(), s.Connection(), omnichannel.Attachment{RemoteURL: u})
	require.ErrorIs(t, err, guardedfetch.ErrBlockedAddress)
	assert.Len(t, s.Requests(), before, "nothing reached the emulator")
}
