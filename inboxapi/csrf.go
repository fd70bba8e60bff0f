package inboxapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CSRFHeader is the request header that marks a request as sent by the host's own front end. Every
// request with an unsafe method (POST, PUT, PATCH, DELETE, …) whose body is not JSON must carry it
// with the value "1": a multipart upload, a body-less POST such as mark done. A web page of another
// origin can set neither this header nor a JSON Content-Type without a CORS preflight, which the
// API never grants.
const CSRFHeader = "X-Dakenh-Csrf"

// CrossSiteGuard refuses cross-site request forgery. A request with an unsafe method passes only
// when both hold:
//
//   - it is same-origin: its Origin header, when present, is an allowed origin, and its
//     Sec-Fetch-Site header, when present, is "same-origin" (or its Origin is explicitly allowed).
//     Without allowed origins configured, an Origin is allowed when its host equals the request's
//     Host. A request with neither header does not come from a browser's page (browsers send
//     Origin on every unsafe request) and passes this part;
//   - it has a JSON Content-Type or carries CSRFHeader: "1".
//
// Safe methods (GET, HEAD, OPTIONS, TRACE) always pass: they must not change anything.
type CrossSiteGuard struct {
	origins map[string]bool
}

// NewCrossSiteGuard returns a guard allowing the given origins ("https://crm.example.com": scheme,
// host and port, no path). With none, an Origin must name the request's own Host.
func NewCrossSiteGuard(allowedOrigins ...string) (*CrossSiteGuard, error) {
	g := &CrossSiteGuard{origins: map[string]bool{}}
	for _, o := range allowedOrigins {
		norm, err := normalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		g.origins[norm] = true
	}
	return g, nil
}

// normalizeOrigin checks that s is an http(s) origin without path, query or user and returns it
// lower-cased without a trailing slash.
func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin such as https://crm.example.com", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// originOf returns the origin of an absolute URL (scheme://host[:port]).
func originOf(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

// Allow reports whether r may proceed.
func (g *CrossSiteGuard) Allow(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return g.sameOrigin(r) && (hasMediaType(r, "application/json") || r.Header.Get(CSRFHeader) == "1")
}

func (g *CrossSiteGuard) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	site := r.Header.Get("Sec-Fetch-Site")
	trusted := false
	if origin != "" {
		switch {
		case len(g.origins) > 0:
			trusted = g.origins[strings.ToLower(strings.TrimSuffix(origin, "/"))]
		default:
			u, err := url.Parse(origin)
			trusted = err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
		}
		if !trusted {
			return false // includes "null", an opaque origin
		}
	}
	if site != "" && site != "same-origin" {
		// same-site (another port or subdomain), cross-site, none (typed or bookmarked): only an
		// explicitly configured origin may send them.
		return trusted && len(g.origins) > 0
	}
	return true
}

// Wrap refuses what Allow does not allow with 403 and the code "cross_site", before next runs.
func (g *CrossSiteGuard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.Allow(r) {
			writeCrossSite(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeCrossSite(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, ErrorResponse{Error: ErrorDetail{Code: "cross_site",
		Message: "refused: the request does not come from this site's own pages"}})
}
