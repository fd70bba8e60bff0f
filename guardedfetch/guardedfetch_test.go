package guardedfetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/guardedfetch"
)

// stub is an injected resolver: no test in this file asks a real DNS server, and every address it
// returns outside 127.0.0.0/8 must be refused before a connect.
type stub map[string][]string

func (s stub) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	addrs, ok := s[host]
	if !ok {
		return nil, fmt.Errorf("stub: no such host %q", host)
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

// counted is a loopback test server that counts the requests it receives.
type counted struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounted(t *testing.T, h http.HandlerFunc) *counted {
	t.Helper()
	c := &counted{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// addrPort is the server's listener (127.0.0.1:port).
func (c *counted) addrPort() netip.AddrPort {
	return netip.MustParseAddrPort(strings.TrimPrefix(c.URL, "http://"))
}

func (c *counted) port() uint16 { return c.addrPort().Port() }

func newClient(t *testing.T, cfg guardedfetch.Config) *guardedfetch.Client {
	t.Helper()
	c, err := guardedfetch.New(cfg)
	require.NoError(t, err)
	return c
}

func fetch(c *guardedfetch.Client, rawURL string) ([]byte, error) {
	resp, err := c.Get(context.Background(), rawURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// TestBlockedRanges resolves a name to an address of every refused range (IPv4, IPv6, the
// IPv4-mapped, NAT64 and 6to4 forms): each fetch fails with ErrBlockedAddress before a connect.
func TestBlockedRanges(t *testing.T) {
	cases := []struct{ name, addr string }{
		{"loopback", "127.0.0.1"},
		{"loopback other", "127.8.9.10"},
		{"private 10/8", "10.1.2.3"},
		{"private 172.16/12", "172.16.5.4"},
		{"private 172.31", "172.31.255.254"},
		{"private 192.168/16", "192.168.1.1"},
		{"link-local metadata", "169.254.169.254"},
		{"CGNAT", "100.64.0.1"},
		{"CGNAT top", "100.127.255.254"},
		{"unspecified v4", "0.0.0.0"},
		{"this network", "0.1.2.3"},
		{"multicast v4", "224.0.0.1"},
		{"broadcast", "255.255.255.255"},
		{"reserved 240/4", "240.0.0.1"},
		{"benchmarking", "198.18.0.1"},
		{"IETF 192.0.0/24", "192.0.0.170"},
		{"loopback v6", "::1"},
		{"unspecified v6", "::"},
		{"link-local v6", "fe80::1"},
		{"unique-local fc00", "fc00::1"},
		{"unique-local fd00", "fd12:3456::1"},
		{"site-local v6", "fec0::1"},
		{"multicast v6", "ff02::1"},
		{"v4-mapped loopback", "::ffff:127.0.0.1"},
		{"v4-mapped private", "::ffff:10.1.2.3"},
		{"v4-mapped link-local", "::ffff:169.254.169.254"},
		{"v4-mapped CGNAT", "::ffff:100.64.0.1"},
		{"IPv4-compatible private", "::10.1.2.3"},
		{"NAT64 of loopback", "64:ff9b::7f00:1"},
		{"NAT64 of metadata", "64:ff9b::a9fe:a9fe"},
		{"6to4 of private", "2002:0a01:0203::1"},
		{"Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			assert.False(t, guardedfetch.IsPublic(a), "IsPublic(%s)", a)
			c := newClient(t, guardedfetch.Config{Lookup: stub{"internal.test": {tc.addr}}.lookup})
			_, err := fetch(c, "http://internal.test:8080/media/cat.png?sig=secret-signature")
			require.ErrorIs(t, err, guardedfetch.ErrBlockedAddress)
			require.ErrorIs(t, err, guardedfetch.ErrRefused)
			assert.NotContains(t, err.Error(), "secret-signature", "errors carry the URL redacted")
		})
	}
}

// TestPublicAddresses: addresses outside every refused range are public (checked without dialling).
func TestPublicAddresses(t *testing.T) {
	for _, s := range []string{"8.8.8.8", "100.63.255.255", "100.128.0.0", "172.32.0.1", "169.253.255.255",
		"2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1"} {
		assert.True(t, guardedfetch.IsPublic(netip.MustParseAddr(s)), s)
	}
	assert.False(t, guardedfetch.IsPublic(netip.Addr{}), "the zero Addr")
}

// TestNameResolvingToSeveralAddresses: one blocked address among the answers is skipped; the
// refusal of all of them is ErrBlockedAddress, and the loopback server is never reached.
func TestNameResolvingToSeveralAddresses(t *testing.T) {
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newClient(t, guardedfetch.Config{Lookup: stub{"cdn.test": {"10.9.9.9", "127.0.0.1"}}.lookup})
	_, err := fetch(c, fmt.Sprintf("http://cdn.test:%d/x", srv.port()))
	require.ErrorIs(t, err, guardedfetch.ErrBlockedAddress)
	assert.Zero(t, srv.hits.Load())

	allowed := newClient(t, guardedfetch.Config{Lookup: stub{"cdn.test": {"10.9.9.9", "127.0.0.1"}}.lookup,
		AllowAddrPorts: []netip.AddrPort{srv.addrPort()}})
	body, err := fetch(allowed, fmt.Sprintf("http://cdn.test:%d/x", srv.port()))
	require.NoError(t, err)
	assert.Equal(t, "ok", string(body))
	assert.EqualValues(t, 1, srv.hits.Load())
}

// TestAllowList: 127.0.0.1 is reachable only when configured, by prefix or by listener.
func TestAllowList(t *testing.T) {
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "emulator") })
	other := newCounted(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "internal service") })
	cases := []struct {
		name    string
		cfg     guardedfetch.Config
		url     string
		allowed bool
	}{
		{"default refuses loopback", guardedfetch.Config{}, srv.URL, false},
		{"localhost name refused", guardedfetch.Config{Lookup: stub{"localhost": {"127.0.0.1", "::1"}}.lookup},
			fmt.Sprintf("http://localhost:%d/", srv.port()), false},
		{"prefix allows", guardedfetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, srv.URL, true},
		{"v4-mapped prefix allows", guardedfetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}}, srv.URL, true},
		{"listener allows", guardedfetch.Config{AllowAddrPorts: []netip.AddrPort{srv.addrPort()}}, srv.URL, true},
		{"listener allows only its port", guardedfetch.Config{AllowAddrPorts: []netip.AddrPort{srv.addrPort()}}, other.URL, false},
		{"other prefix does not allow", guardedfetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, srv.URL, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.hits.Load() + other.hits.Load()
			_, err := fetch(newClient(t, tc.cfg), tc.url)
			if tc.allowed {
				require.NoError(t, err)
				assert.Equal(t, before+1, srv.hits.Load()+other.hits.Load())
				return
			}
			require.ErrorIs(t, err, guardedfetch.ErrBlockedAddress)
			assert.Equal(t, before, srv.hits.Load()+other.hits.Load(), "a refused fetch reaches no server")
		})
	}
}

// TestSchemes: only http(s) with a host, at the first request and at a redirect.
func TestSchemes(t *testing.T) {
	c := newClient(t, guardedfetch.Config{})
	for _, u := range []string{"javascript:alert(1)", "file:///etc/passwd", "ftp://cdn.test/a", "gopher://x/",
		"data:image/png;base64,AAAA", "http:///nohost", "//cdn.test/a", "not a url\x7f"} {
		_, err := fetch(c, u)
		require.ErrorIs(t, err, guardedfetch.ErrScheme, u)
	}
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	_, err := fetch(newClient(t, guardedfetch.Config{AllowAddrPorts: []netip.AddrPort{srv.addrPort()}}), srv.URL)
	require.ErrorIs(t, err, guardedfetch.ErrScheme)
}

// TestRedirects: every redirect is checked again, at most three are followed, and the caller's
// headers stay with the first origin.
func TestRedirects(t *testing.T) {
	other := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "x-user=%q referer=%q", r.Header.Get("x-user"), r.Header.Get("Referer"))
	})
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/to-internal":
			http.Redirect(w, r, "http://internal.test/latest/meta-data/", http.StatusFound)
		case p == "/to-localhost":
			http.Redirect(w, r, fmt.Sprintf("http://localhost:%d/secret", other.port()), http.StatusFound)
		case p == "/to-loopback":
			http.Redirect(w, r, fmt.Sprintf("http://127.0.0.1:%d/secret", other.port()), http.StatusFound)
		case p == "/to-v6-loopback":
			http.Redirect(w, r, fmt.Sprintf("http://[::1]:%d/secret", other.port()), http.StatusFound)
		case p == "/to-other":
			http.Redirect(w, r, other.URL+"/headers", http.StatusFound)
		case strings.HasPrefix(p, "/hop/"):
			var n int
			fmt.Sscanf(p, "/hop/%d", &n)
			if n == 0 {
				io.WriteString(w, "arrived")
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		}
	})
	lookup := stub{"internal.test": {"169.254.169.254"}, "localhost": {"127.0.0.1", "::1"}}.lookup
	onlySrv := newClient(t, guardedfetch.Config{Lookup: lookup, AllowAddrPorts: []netip.AddrPort{srv.addrPort()}})

	for _, path := range []string{"/to-internal", "/to-localhost", "/to-loopback", "/to-v6-loopback"} {
		_, err := fetch(onlySrv, srv.URL+path)
		require.ErrorIs(t, err, guardedfetch.ErrBlockedAddress, path)
	}
	assert.Zero(t, other.hits.Load(), "no refused redirect reached the other server")

	body, err := fetch(onlySrv, srv.URL+"/hop/3")
	require.NoError(t, err, "three redirects are followed")
	assert.Equal(t, "arrived", string(body))
	hits := srv.hits.Load()
	_, err = fetch(onlySrv, srv.URL+"/hop/4")
	require.ErrorIs(t, err, guardedfetch.ErrTooManyRedirects, "the 4th redirect is refused")
	assert.Equal(t, hits+4, srv.hits.Load(), "the 4th redirect's target is not requested")

	both := newClient(t, guardedfetch.Config{AllowAddrPorts: []netip.AddrPort{srv.addrPort(), other.addrPort()}})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/to-other?sig=abc", nil)
	require.NoError(t, err)
	req.Header.Set("x-user", "access-token")
	resp, err := both.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, `x-user="" referer=""`, string(b), "a token header never follows a redirect to another origin")
}

// TestTooLarge: a body past MaxBytes fails, whether Content-Length announces it or not; a body of
// exactly MaxBytes passes.
func TestTooLarge(t *testing.T) {
	const limit = 64 << 10
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/%d", &n)
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		}
		chunk := strings.Repeat("a", 1024)
		for n > 0 {
			k := min(n, len(chunk))
			io.WriteString(w, chunk[:k])
			w.(http.Flusher).Flush()
			n -= k
		}
	})
	c := newClient(t, guardedfetch.Config{MaxBytes: limit, AllowAddrPorts: []netip.AddrPort{srv.addrPort()}})
	assert.EqualValues(t, limit, c.MaxBytes())

	_, err := c.Get(context.Background(), fmt.Sprintf("%s/%d", srv.URL, limit+1))
	require.ErrorIs(t, err, guardedfetch.ErrTooLarge, "refused on Content-Length")

	body, err := fetch(c, fmt.Sprintf("%s/%d?chunked=1", srv.URL, 10*limit))
	require.ErrorIs(t, err, guardedfetch.ErrTooLarge, "refused while reading")
	assert.LessOrEqual(t, len(body), limit)

	for _, q := range []string{"", "?chunked=1"} {
		body, err = fetch(c, fmt.Sprintf("%s/%d%s", srv.URL, limit, q))
		require.NoError(t, err)
		assert.Len(t, body, limit)
	}
}

// TestTimeout: a server that never answers fails the fetch at the deadline.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := newClient(t, guardedfetch.Config{Timeout: 50 * time.Millisecond, AllowAddrPorts: []netip.AddrPort{srv.addrPort()}})
	_, err := fetch(c, srv.URL)
	require.Error(t, err)
	assert.False(t, errors.Is(err, guardedfetch.ErrRefused), "a timeout is not a refusal: it may be retried")
	var te interface{ Timeout() bool }
	require.ErrorAs(t, err, &te)
	assert.True(t, te.Timeout())
}

// TestConfigValidation: New reports every problem at once.
func TestConfigValidation(t *testing.T) {
	_, err := guardedfetch.New(guardedfetch.Config{MaxBytes: -1, Timeout: -1, MaxRedirects: 11,
		Allow: []netip.Prefix{{}}, AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}})
	require.Error(t, err)
	for _, field := range []string{"MaxBytes", "Timeout", "MaxRedirects", "Allow[0]", "AllowAddrPorts[0]"} {
		assert.Contains(t, err.Error(), field)
	}
	_, err = guardedfetch.New(guardedfetch.Config{MaxRedirects: -1})
	require.Error(t, err)
}

func TestRedact(t *testing.T) {
	assert.Equal(t, "https://cdn.test/…", guardedfetch.Redact("https://user:pw@cdn.test/a/b.png?sig=1#x"))
	assert.Equal(t, "javascript:…", guardedfetch.Redact("javascript:alert(document.cookie)"))
	assert.Equal(t, "(invalid URL)", guardedfetch.Redact("::"))
}
