package tiktok_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/omnichannel"
)

// TestDownloadMediaRefusesInternalDownloadURLs: the download_url the media API returns is fetched
// through the guarded client. A download_url on an internal loopback service, on a name resolving to
// the metadata address, redirecting into the host's network, or not http(s) is refused before any
// connection, finally, without the access token or the full URL in the error.
func TestDownloadMediaRefusesInternalDownloadURLs(t *testing.T) {
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
	}))
	defer internal.Close()
	var downloadURL atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, internal.URL+"/latest", http.StatusFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 0, "message": "OK", "request_id": "r1",
			"data": map[string]string{"download_url": downloadURL.Load().(string)}})
	}))
	defer api.Close()
	media, err := guardedfetch.New(guardedfetch.Config{
		AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort(api.Listener.Addr().String())},
		Lookup: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		},
	})
	require.NoError(t, err)
	ch, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: "s", APIBaseURL: api.URL, MediaClient: media})
	require.NoError(t, err)
	conn := &omnichannel.Connection{ExternalID: "biz-1", Credentials: omnichannel.Credentials{AccessToken: "act.secret-token"}}
	att := omnichannel.Attachment{RemoteURL: "tiktok:media?conversation_id=c1&media_id=m1&message_id=x1&media_type=IMAGE"}

	for _, tc := range []struct {
		url  string
		want error
	}{
		{internal.URL + "/v1/?sig=signed-link", guardedfetch.ErrBlockedAddress},
		{"http://metadata.test/latest/?sig=signed-link", guardedfetch.ErrBlockedAddress},
		{api.URL + "/redirect?sig=signed-link", guardedfetch.ErrBlockedAddress},
		{"file:///etc/passwd?sig=signed-link", guardedfetch.ErrScheme},
	} {
		downloadURL.Store(tc.url)
		_, _, err := ch.DownloadMedia(context.Background(), conn, att)
		require.ErrorIs(t, err, tc.want, tc.url)
		assert.False(t, omnichannel.IsRetryable(err), "a refusal is final: %v", err)
		assert.NotContains(t, err.Error(), "signed-link")
		assert.NotContains(t, err.Error(), "secret-token")
	}
	assert.Zero(t, internalHits.Load(), "the internal service was never reached")
}
