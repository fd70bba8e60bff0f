// Package guardedfetch fetches URLs that a provider or a customer supplied (inbound media, download
// links) without letting them reach the host's own network.
//
// The contract of a Client:
//
//   - Only http and https URLs are fetched (ErrScheme), at the first request and at every redirect.
//   - The destination is checked when the connection is made, after DNS, in the net.Dialer's Control
//     hook: the address the socket is about to connect to must be public. Loopback, private
//     (RFC 1918), shared (CGNAT 100.64/10), link-local (169.254/16, fe80::/10), unique-local
//     (fc00::/7), site-local, multicast, unspecified, reserved and "this network" addresses are
//     refused before any packet is sent (ErrBlockedAddress), as are their IPv4-mapped forms
//     (::ffff:a.b.c.d) and the IPv4 addresses embedded in NAT64 (64:ff9b::/96) and 6to4
//     (2002::/16) addresses. A name that resolves (or rebinds) to such an address cannot pass,
//     because the check sees the address actually dialled. Environment proxies are not used.
//   - Redirects are followed at most MaxRedirects times (default 3; ErrTooManyRedirects), each one
//     checked like the first request. Headers the caller set (tokens) are only sent to the first
//     URL's origin, and no Referer is sent.
//   - The whole exchange, body included, has a deadline (Timeout, default 30 s).
//   - A body larger than MaxBytes fails with ErrTooLarge, never silently truncated: the response is
//     refused when Content-Length announces too much, and reading past MaxBytes returns ErrTooLarge.
//
// Addresses the host must reach although they are not public (an emulator on loopback in tests
// and demos, an internal CDN) are allowed only through Config.Allow or Config.AllowAddrPorts;
// nothing is allowed by default.
//
// Every refusal matches ErrRefused and its specific sentinel with errors.Is, and has a method
// Permanent() bool returning true (the engine does not retry it). Errors never contain the full URL (signed links are credentials): Redact keeps the scheme and host only.
package guardedfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/dakenh/dakenh/model"
)

// Defaults of Config.
const (
	DefaultMaxBytes     = 25 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 3
	// MaxRedirectsLimit is the largest MaxRedirects New accepts.
	MaxRedirectsLimit = 10
)

// refusal is a fetch the guard refused; every refusal matches ErrRefused.
type refusal struct{ msg string }

func (r *refusal) Error() string        { return "guardedfetch: " + r.msg }
func (r *refusal) Is(target error) bool { return target == ErrRefused }

// Permanent reports that the same fetch would be refused again (omnichannel.IsRetryable reads it).
func (r *refusal) Permanent() bool { return true }

// Errors. Test with errors.Is; each specific error also matches ErrRefused. A refused fetch will be
// refused again: callers should not retry it.
var (
	// ErrRefused matches every refusal below.
	ErrRefused = errors.New("guardedfetch: refused")
	// ErrScheme: the URL (or a redirect) is not http or https, or has no host.
	ErrScheme error = &refusal{"only http and https URLs with a host are fetched"}
	// ErrBlockedAddress: the destination address is not public and not allowed by the Config.
	ErrBlockedAddress error = &refusal{"destination address is not public"}
	// ErrTooManyRedirects: more than MaxRedirects redirects.
	ErrTooManyRedirects error = &refusal{"too many redirects"}
	// ErrTooLarge: the body is larger than MaxBytes.
	ErrTooLarge error = &refusal{"response body is larger than the limit"}
)

// Config configures a Client. The zero Config is valid: public addresses only, the defaults below.
type Config struct {
	// Allow lists address ranges that may be reached although they are not public, e.g.
	// netip.MustParsePrefix("10.20.0.0/16") for an internal CDN. IPv4-mapped IPv6 addresses are
	// matched as IPv4. Empty by default.
	Allow []netip.Prefix
	// AllowAddrPorts lists single listeners (address and port) that may be reached although they are
	// not public: an emulator on 127.0.0.1 in tests and demos. Other ports of the same address stay
	// refused. Empty by default.
	AllowAddrPorts []netip.AddrPort
	// MaxBytes is the largest body accepted. Default DefaultMaxBytes (25 MiB).
	MaxBytes int64
	// Timeout bounds a whole fetch, redirects and body included. Default DefaultTimeout (30 s).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed, at most MaxRedirectsLimit. 0 means
	// DefaultMaxRedirects (3).
	MaxRedirects int
	// Lookup resolves a host name to addresses. Default net.DefaultResolver.LookupNetIP(ctx, "ip",
	// host). Tests inject a stub; whatever it returns is still checked at dial time.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Client fetches untrusted URLs under the package's rules. It is safe for concurrent use.
type Client struct {
	cfg    Config
	dialer net.Dialer
	hc     *http.Client
}

// New validates cfg, applies the defaults and returns a Client. Every problem is reported at once
// in one *model.ValidationError (errors.Is(err, omnichannel.ErrInvalid)).
func New(cfg Config) (*Client, error) {
	p := model.ConfigProblems{Source: "guardedfetch"}
	if cfg.MaxBytes < 0 {
		p.Add("MaxBytes", model.ProblemInvalid, "Config.MaxBytes must not be negative")
	}
	if cfg.Timeout < 0 {
		p.Add("Timeout", model.ProblemInvalid, "Config.Timeout must not be negative")
	}
	if cfg.MaxRedirects < 0 || cfg.MaxRedirects > MaxRedirectsLimit {
		p.Add("MaxRedirects", model.ProblemInvalid, "Config.MaxRedirects must be between 0 and %d", MaxRedirectsLimit)
	}
	for i, prefix := range cfg.Allow {
		if !prefix.IsValid() {
			p.Add("Allow", model.ProblemInvalid, "Config.Allow[%d] is not a valid prefix", i)
		}
	}
	for i, ap := range cfg.AllowAddrPorts {
		if !ap.IsValid() || ap.Port() == 0 {
			p.Add("AllowAddrPorts", model.ProblemInvalid, "Config.AllowAddrPorts[%d] is not a valid address and port", i)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.Lookup == nil {
		cfg.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	cfg.Allow = append([]netip.Prefix(nil), cfg.Allow...)
	cfg.AllowAddrPorts = append([]netip.AddrPort(nil), cfg.AllowAddrPorts...)
	c := &Client{cfg: cfg}
	c.dialer = net.Dialer{Timeout: cfg.Timeout, ControlContext: c.control}
	c.hc = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would connect on our behalf, past the check
			DialContext:           c.dial,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// Default returns a Client of the zero Config: public addresses only and the defaults. Adapters use
// it when they are given no client.
func Default() *Client {
	c, err := New(Config{})
	if err != nil {
		panic(err) // the zero Config is valid
	}
	return c
}

// AllowingListeners returns a Client of the zero Config that may also reach the given TCP
// listeners and nothing else that is not public: what a provider emulator on loopback hands its
// adapter for tests and demos. It panics when a listener is not a TCP listener.
func AllowingListeners(ls ...net.Listener) *Client {
	cfg := Config{}
	for _, l := range ls {
		cfg.AllowAddrPorts = append(cfg.AllowAddrPorts, l.Addr().(*net.TCPAddr).AddrPort())
	}
	c, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return c
}

// MaxBytes is the largest body the Client accepts.
func (c *Client) MaxBytes() int64 { return c.cfg.MaxBytes }

// Get fetches rawURL with GET.
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("guardedfetch: %s: %w", Redact(rawURL), err)
	}
	return c.Do(req)
}

// Do sends req under the package's rules and returns the response whatever its status; the caller
// closes the body. The body fails with ErrTooLarge past MaxBytes. Errors name the URL redacted.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if _, err := checkURL(req.URL.String()); err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = Redact(ue.URL)
		}
		return nil, err
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("%w (Content-Length %d, limit %d): %s", ErrTooLarge, resp.ContentLength, c.cfg.MaxBytes, Redact(req.URL.String()))
	}
	resp.Body = LimitBody(resp.Body, c.cfg.MaxBytes)
	return resp, nil
}

// checkURL parses rawURL and refuses anything but http(s) with a host.
func checkURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %s", ErrScheme, Redact(rawURL))
	}
	return u, nil
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, c.cfg.MaxRedirects)
	}
	if _, err := checkURL(req.URL.String()); err != nil {
		return err
	}
	req.Header.Del("Referer") // the previous URL may be a signed link
	first := via[0].URL
	if !strings.EqualFold(first.Scheme, req.URL.Scheme) || !strings.EqualFold(first.Host, req.URL.Host) {
		req.Header = http.Header{} // the caller's headers (tokens) stay with the first origin
	}
	return nil
}

// dial resolves the host with cfg.Lookup and dials each address in turn; the Control hook checks
// every one of them before its connect.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = c.cfg.Lookup(ctx, host); err != nil {
		return nil, err
	} else if len(ips) == 0 {
		return nil, fmt.Errorf("guardedfetch: no address for %s", host)
	}
	var first error
	for _, ip := range ips {
		addr := net.JoinHostPort(ip.String(), port)
		if ap, err := netip.ParseAddrPort(addr); err != nil || !c.allowed(ap) {
			// Refused before a socket is even made; the Control hook checks again at connect.
			if first == nil {
				first = &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%w: %s", ErrBlockedAddress, ip.WithZone(""))}
			}
			continue
		}
		conn, err := c.dialer.DialContext(ctx, network, addr)
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// control runs after the socket is created and before it connects: the last moment to refuse.
func (c *Client) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	if !c.allowed(ap) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr().WithZone(""))
	}
	return nil
}

func (c *Client) allowed(ap netip.AddrPort) bool {
	a := ap.Addr().WithZone("").Unmap()
	for _, p := range c.cfg.AllowAddrPorts {
		if p.Port() == ap.Port() && p.Addr().WithZone("").Unmap() == a {
			return true
		}
	}
	for _, p := range c.cfg.Allow {
		if p.Contains(a) || (p.Addr().Is4In6() && netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Contains(a)) {
			return true
		}
	}
	return IsPublic(a)
}

// blocked lists the ranges IsPublic refuses (IPv4-mapped addresses are unmapped first).
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network", unspecified
		"10.0.0.0/8",     // private
		"100.64.0.0/10",  // shared address space (CGNAT)
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local (cloud metadata services)
		"172.16.0.0/12",  // private
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // private
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, broadcast
		"::/96",          // unspecified, loopback, IPv4-compatible (deprecated)
		"64:ff9b:1::/48", // local-use NAT64
		"100::/64",       // discard
		"2001::/32",      // Teredo (an IPv4 address in disguise)
		"fc00::/7",       // unique-local
		"fe80::/10",      // link-local
		"fec0::/10",      // site-local (deprecated)
		"ff00::/8",       // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// IsPublic reports whether a may be fetched without an allow-list entry: it is valid and in none of
// the ranges the package documentation lists, in any of its IPv4-mapped or embedding forms.
func IsPublic(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.WithZone("").Unmap()
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return IsPublic(netip.AddrFrom4([4]byte(b[12:16])))
	case sixTo4.Contains(a):
		return IsPublic(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// LimitBody returns rc reading at most max bytes: reading past them fails with ErrTooLarge, so
// a caller copying it somewhere sees an error instead of a silently truncated copy.
func LimitBody(rc io.ReadCloser, max int64) io.ReadCloser {
	return &limitedBody{rc: rc, left: max}
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64 // bytes still allowed; negative once the limit was passed
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte more than allowed tells "too large" from "exactly the limit"
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), ErrTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Redact keeps a URL's scheme and host only ("https://cdn.example/…"): paths and queries of media
// links are often credentials. Unparsable input gives "(invalid URL)".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return "(invalid URL)"
	}
	if u.Host == "" {
		return u.Scheme + ":…"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
