package meta_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	"github.com/dakenh/dakenh/guardedfetch"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// Media URLs come from webhooks, that is from customers: one pointing at a loopback service of the
// host, at the metadata address, or at a non-http scheme is refused before any connection, finally,
// without the full URL in the error; the emulator's own CDN (allowed explicitly) is fetched.
func TestDownloadMediaRefusesInternalURLs(t *testing.T) {
	var hits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer internal.Close()
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	// Names resolve to the metadata address through a stub resolver: nothing ever dials it, the
	// guard refuses the resolved address before connecting.
	media, err := guardedfetch.New(guardedfetch.Config{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
	}})
	require.NoError(t, err)
	ch := newAdapter(t, srv, meta.KindMessenger, nil, func(c *meta.Config) { c.MediaClient = media })
	for _, tc := range []struct {
		url  string
		want error
	}{
		{internal.URL + "/admin?signature=secret-sig", guardedfetch.ErrBlockedAddress},
		{"http://metadata.test/latest/meta-data?signature=secret-sig", guardedfetch.ErrBlockedAddress},
		{"file:///etc/passwd?signature=secret-sig", guardedfetch.ErrScheme},
	} {
		_, _, err := ch.DownloadMedia(context.Background(), nil, oc.Attachment{Kind: oc.MessageImage, RemoteURL: tc.url})
		require.ErrorIs(t, err, tc.want, tc.url)
		assert.False(t, oc.IsRetryable(err))
		assert.NotContains(t, err.Error(), "secret-sig")
	}
	assert.Zero(t, hits.Load(), "the internal service was never reached")
}

// A profile_pic URL is fetched through the same guarded client: a picture the default client
// refuses (the emulator's loopback address) is left out, the name still comes back.
func TestProfilePictureThroughGuardedClient(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	hook := newCapture(t)
	_, err := srv.CustomerSays(context.Background(), hook.srv.URL, pageID, psid, "Lan", "hi")
	require.NoError(t, err)
	srv.SetCustomer(psid, metatest.Customer{Name: "Lan", Picture: pngBytes})
	ch := newAdapter(t, srv, meta.KindMessenger, nil, func(c *meta.Config) { c.MediaClient = guardedfetch.Default() })
	p, err := ch.FetchProfile(context.Background(), srv.Connection(pageID), psid)
	require.NoError(t, err)
	assert.Equal(t, "Lan", p.DisplayName)
	assert.Empty(t, p.AvatarURL, "a loopback picture URL is not fetched by the default guarded client")
}
