// Package channeltest is the conformance harness every channel adapter must pass, in the manner of
// testing/fstest and log/slog/slogtest: the adapter's own test calls Run with the adapter, its
// provider emulator and a few fixtures, and Run checks the omnichannel.Channel contract.
//
// What Run checks (each group is a subtest; optional inputs that are nil or empty skip their checks
// with a message naming what was not run):
//
//   - Kind is a non-empty URL path segment; Capabilities are sane and not aliased between calls.
//   - Every Fixture verifies with its signature and parses to its Want events; verifying and
//     parsing do not modify the body.
//   - Signatures: one tampered byte, an appended or dropped byte, missing signature headers (all of
//     them, and each one alone), garbage or empty header values, a signature made with another key,
//     and the signature of another body all fail with an error wrapping omnichannel.ErrBadSignature
//     that does not contain the expected signature.
//   - Freshness (when SignAt is given): a delivery signed inside Window verifies, one signed long
//     before it fails with ErrBadSignature (a replay after the window is such a delivery), and a
//     delivery replayed inside the window parses to identical events, so the engine's idempotent
//     ingest absorbs it.
//   - Malformed bodies are refused with ErrMalformed; an unknown event type yields no event and no
//     error.
//   - Concurrency: all fixtures are signed, verified and parsed from 8 goroutines at once (run the
//     tests with -race), and 4 sends run at once.
//   - Send: a text message returns a non-empty provider id and Status sent (or later), exactly one
//     message reaches the provider, the connection is not modified, and a canceled context fails
//     without sending.
//   - Faults: rate limiting, server errors, expired tokens and a closed reply window are classified
//     (errors.Is with ErrRateLimited, ErrTokenExpired, ErrOutsideWindow; omnichannel.IsRetryable),
//     nothing is sent, and the next send succeeds.
//   - Optional interfaces found on the Channel: ProfileFetcher, MediaDownloader, Connector (the
//     consent URL carries the state but not the PKCE verifier; a refused consent is an error; a
//     granted one yields credentials) and TokenRefresher (refreshed credentials work; a dead refresh
//     token wraps ErrNeedsReconnect; with SingleUseRefresh, reusing a refresh token does too).
//   - No secret (Harness.Secrets, and every token, code and verifier seen during the run) appears in
//     any error returned by the adapter or in the captured log output.
//
// Not checked, because the engine owns it: text longer than Capabilities.MaxTextLength and other
// requests the engine refuses before calling the adapter. The exact requests an adapter makes are
// provider-specific: assert them in the adapter's own tests against its emulator's recording.
package channeltest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// FaultKind is a provider failure the harness asks the emulator to produce (see Harness.Fault).
type FaultKind int

// Faults the harness checks the classification of.
const (
	// FaultRateLimit: the provider throttles the call (HTTP 429 or the provider's equivalent).
	// Send must return an error matching omnichannel.ErrRateLimited that omnichannel.IsRetryable
	// accepts.
	FaultRateLimit FaultKind = iota + 1
	// FaultServerError: the provider fails (HTTP 5xx). The error must be retryable.
	FaultServerError
	// FaultTokenExpired: the provider refuses the access token as expired. The error must match
	// omnichannel.ErrTokenExpired.
	FaultTokenExpired
	// FaultWindowClosed: the provider refuses because the reply window is closed. The error must
	// match omnichannel.ErrOutsideWindow and must not be retryable.
	FaultWindowClosed
)

// String returns the fault's name.
func (k FaultKind) String() string {
	switch k {
	case FaultRateLimit:
		return "RateLimit"
	case FaultServerError:
		return "ServerError"
	case FaultTokenExpired:
		return "TokenExpired"
	case FaultWindowClosed:
		return "WindowClosed"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fixture is one webhook delivery and the events it must parse to.
type Fixture struct {
	// Name names the subtest. Required, unique.
	Name string
	// Header holds non-signature headers the provider sends with the delivery (Content-Type, an
	// event-type header, …). Optional; the signature headers from Harness.Sign are set over it.
	Header http.Header
	// Body is the raw delivery, byte for byte as the provider sends it. Required, non-empty.
	Body []byte
	// Want are the events ParseWebhook must return, in order (none for an empty Want). Compared
	// exactly: Type, ExternalAccountID, ExternalUserID, Direction, ProviderMessageID, MessageType,
	// Text, QuoteProviderMessageID, Status, ProviderMessageIDs, Referral, NeedsFetch, and the number
	// of attachments with each one's Kind, RemoteURL and ProviderRef. Compared only when set in
	// Want: Time, UpTo, each attachment's Name, ContentType and Size, and Profile (when Want.Profile
	// is non-nil: its non-empty string fields, and Follower when non-nil).
	Want []omnichannel.InboundEvent
}

// Media is an inbound attachment the emulator serves, for the MediaDownloader check.
type Media struct {
	// Attachment as ParseWebhook produced it (RemoteURL, ProviderRef, …).
	Attachment omnichannel.Attachment
	// Content is the exact content DownloadMedia must return.
	Content []byte
	// ContentType, when set, is the media type DownloadMedia must report (parameters ignored).
	ContentType string
}

// Harness is what Run needs to know about an adapter and its emulator. Only Channel, Sign and
// Fixtures are required; every other field enables more checks.
type Harness struct {
	// Channel is the adapter under test, configured to talk to the emulator. Required.
	Channel omnichannel.Channel

	// Conn is a connection of the emulator's account with valid credentials. Run works on a copy
	// and never modifies it; after the TokenRefresher checks its credentials may be rotated at the
	// provider (single-use refresh tokens), so do not reuse it after Run. Optional: without it the
	// send, fault and optional-interface checks are skipped.
	Conn *omnichannel.Connection

	// Sign returns the headers of a correctly signed delivery of body, as the provider sends it now.
	// Run deletes, blanks and garbles each of these headers to check refusals, so return only the
	// signature headers (put other headers in Fixture.Header). Must be safe for concurrent use.
	// Required.
	Sign func(body []byte) http.Header
	// SignWrongKey returns the same headers computed with a different key. Optional.
	SignWrongKey func(body []byte) http.Header
	// SignAt returns a delivery of body signed as if sent at time at, for adapters that refuse
	// stale deliveries: the headers, and the body as delivered (body itself for schemes with the
	// timestamp in a header; a copy with the timestamp rewritten for schemes that carry it inside
	// the body). Optional: without it the freshness checks are skipped.
	SignAt func(body []byte, at time.Time) (http.Header, []byte)
	// Window is how old a delivery the adapter still accepts. Required when SignAt is set.
	Window time.Duration

	// Fixtures are real-shaped deliveries, ideally one per event kind the adapter maps. At least one
	// is required; the first is used where a single delivery is needed.
	Fixtures []Fixture
	// Malformed are bodies that a correctly signed delivery must still refuse with an error wrapping
	// omnichannel.ErrMalformed (from ParseWebhook; a VerifyWebhook that must decode the body to check
	// the signature may refuse them with ErrMalformed or ErrBadSignature instead). Optional.
	Malformed [][]byte
	// UnknownEvent is a body whose only event has a type the adapter does not know: it must parse to
	// no event and no error. Optional.
	UnknownEvent []byte

	// Recipient is a provider user id of the emulator that messages can be sent to. Required for
	// the send and fault checks.
	Recipient string
	// SentCount returns how many messages the emulator has accepted on its send endpoint so far
	// (calls it refused, for example through Fault, are not counted). Required for the send checks.
	SentCount func() int
	// Fault arms the emulator so that the next send call, and only that one, fails as kind, and
	// reports whether the emulator can produce that fault at all (false skips the check). Optional.
	Fault func(kind FaultKind) bool

	// KnownUserID is a user the emulator's profile endpoint knows, for the ProfileFetcher check.
	// Optional.
	KnownUserID string
	// Media are attachments the emulator serves, for the MediaDownloader check. Optional.
	Media []Media
	// Consent plays the account owner approving on the provider's consent page at authCodeURL and
	// returns the query the provider redirects back with, for the Connector check. Optional: without
	// it only the consent URL and a refused consent are checked.
	Consent func(ctx context.Context, authCodeURL string) (url.Values, error)
	// SingleUseRefresh says the provider invalidates a refresh token once used; the harness then
	// checks that reusing one fails with ErrNeedsReconnect.
	SingleUseRefresh bool

	// Secrets are values that must never appear in an error string or in Logs: webhook secrets, API
	// keys. Conn's credentials and every token, code and verifier of the run are added by Run.
	// Values shorter than 6 bytes are ignored (they would match by accident).
	Secrets []string
	// Logs returns everything the adapter logged during the run (for example the contents of a
	// buffer behind the adapter's slog.Logger). Optional.
	Logs func() string
}

// minSecretLen is the shortest secret searched for in errors and logs.
const minSecretLen = 6

// Run checks the adapter described by h. It calls t.Fatal when a required field is missing.
func Run(t *testing.T, h Harness) {
	t.Helper()
	switch {
	case h.Channel == nil:
		t.Fatal("channeltest: Harness.Channel is nil")
	case h.Sign == nil:
		t.Fatal("channeltest: Harness.Sign is nil")
	case len(h.Fixtures) == 0:
		t.Fatal("channeltest: Harness.Fixtures is empty")
	case h.SignAt != nil && h.Window <= 0:
		t.Fatal("channeltest: Harness.SignAt is set but Harness.Window is not positive")
	}
	names := map[string]bool{}
	for i, f := range h.Fixtures {
		if f.Name == "" || names[f.Name] || len(f.Body) == 0 {
			t.Fatalf("channeltest: Harness.Fixtures[%d] needs a unique Name and a non-empty Body", i)
		}
		names[f.Name] = true
	}
	r := &runner{h: h}
	if h.Conn != nil {
		c := *h.Conn
		r.conn = &c
		r.addSecrets(credentialSecrets(c.Credentials)...)
	}
	r.addSecrets(h.Secrets...)

	t.Run("Kind", r.kind)
	t.Run("Capabilities", r.capabilities)
	t.Run("Fixtures", r.fixtures)
	t.Run("Signature", r.signature)
	t.Run("Freshness", r.freshness)
	t.Run("Malformed", r.malformed)
	t.Run("UnknownEvent", r.unknownEvent)
	t.Run("Concurrency", r.concurrency)
	t.Run("Send", r.send)
	t.Run("Faults", r.faults)
	t.Run("ProfileFetcher", r.profileFetcher)
	t.Run("MediaDownloader", r.mediaDownloader)
	t.Run("Connector", r.connector)
	t.Run("TokenRefresher", r.tokenRefresher) // last: it may rotate the connection's tokens
	t.Run("NoSecrets", r.noSecrets)
}

// runner carries the state of one Run.
type runner struct {
	h    Harness
	conn *omnichannel.Connection // private copy of h.Conn; credentials replaced after a refresh

	mu      sync.Mutex
	errs    []string // every error the adapter returned, as text
	secrets []string
}

// seen records an error returned by the adapter for the NoSecrets check.
func (r *runner) seen(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err.Error(), fmt.Sprintf("%+v", err))
}

func (r *runner) addSecrets(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range s {
		if len(v) >= minSecretLen {
			r.secrets = append(r.secrets, v)
		}
	}
}

func credentialSecrets(c omnichannel.Credentials) []string {
	s := []string{c.AccessToken, c.RefreshToken}
	for _, v := range c.Extra {
		s = append(s, v)
	}
	return s
}

// headers returns the headers of a delivery as the adapter receives them over HTTP: extra overlaid
// with the signature headers, every key canonicalized (as net/http does on the way in, so a
// non-canonical key in a literal http.Header behaves as it would in production).
func headers(extra, signed http.Header) http.Header {
	h := http.Header{}
	for k, v := range extra {
		h[textproto.CanonicalMIMEHeaderKey(k)] = append([]string(nil), v...)
	}
	for k, v := range signed {
		h[textproto.CanonicalMIMEHeaderKey(k)] = append([]string(nil), v...)
	}
	return h
}

func (r *runner) kind(t *testing.T) {
	k := string(r.h.Channel.Kind())
	if k == "" || k == "." || k == ".." || url.PathEscape(k) != k || strings.ContainsAny(k, "/?#") {
		t.Errorf("Kind() = %q, want a non-empty URL path segment", k)
	}
}

func (r *runner) capabilities(t *testing.T) {
	c := r.h.Channel.Capabilities()
	nonNeg := map[string]int64{
		"MaxTextLength": int64(c.MaxTextLength), "MaxImageBytes": c.MaxImageBytes, "MaxFileBytes": c.MaxFileBytes,
		"MaxAttachments": int64(c.MaxAttachments), "ReplyWindow": int64(c.ReplyWindow),
		"MaxRepliesInWindow": int64(c.MaxRepliesInWindow),
	}
	for name, v := range nonNeg {
		if v < 0 {
			t.Errorf("Capabilities().%s = %d, want >= 0", name, v)
		}
	}
	for _, typ := range c.ImageTypes {
		if !strings.HasPrefix(typ, "image/") || !validMediaType(typ) {
			t.Errorf("Capabilities().ImageTypes has %q, want image/* media types", typ)
		}
	}
	for _, typ := range c.FileTypes {
		if !validMediaType(typ) {
			t.Errorf("Capabilities().FileTypes has %q, want media types", typ)
		}
	}
	if !c.Images && (len(c.ImageTypes) > 0 || c.MaxImageBytes > 0) {
		t.Errorf("Capabilities() lists image types or sizes but Images is false")
	}
	if !c.Files && (len(c.FileTypes) > 0 || c.MaxFileBytes > 0) {
		t.Errorf("Capabilities() lists file types or sizes but Files is false")
	}
	// The engine may keep and modify what it gets: the adapter must hand out fresh slices.
	before := fmt.Sprintf("%v", r.h.Channel.Capabilities())
	if len(c.ImageTypes) > 0 {
		c.ImageTypes[0] = "image/x-channeltest"
	}
	if len(c.FileTypes) > 0 {
		c.FileTypes[0] = "application/x-channeltest"
	}
	if after := fmt.Sprintf("%v", r.h.Channel.Capabilities()); after != before {
		t.Errorf("Capabilities() returns slices shared between calls: modifying one result changed the next\nbefore: %s\n after: %s", before, after)
	}
}

func validMediaType(s string) bool {
	typ, sub, ok := strings.Cut(s, "/")
	return ok && typ != "" && sub != "" && !strings.ContainsAny(s, " ;,")
}

// verifyAndParse runs both steps on a signed delivery and returns the events. Modifying the body
// is reported as an error.
func (r *runner) verifyAndParse(h http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	orig := string(body)
	if err := r.h.Channel.VerifyWebhook(h, body); err != nil {
		r.seen(err)
		return nil, fmt.Errorf("VerifyWebhook: %w", err)
	}
	if string(body) != orig {
		return nil, errors.New("VerifyWebhook modified the body")
	}
	events, err := r.h.Channel.ParseWebhook(h, body)
	if err != nil {
		r.seen(err)
		return nil, fmt.Errorf("ParseWebhook: %w", err)
	}
	if string(body) != orig {
		return nil, errors.New("ParseWebhook modified the body")
	}
	return events, nil
}

func (r *runner) fixtures(t *testing.T) {
	for _, f := range r.h.Fixtures {
		t.Run(f.Name, func(t *testing.T) {
			got, err := r.verifyAndParse(headers(f.Header, r.h.Sign(f.Body)), f.Body)
			if err != nil {
				t.Fatalf("correctly signed delivery refused: %v", err)
			}
			for _, d := range compareEvents(got, f.Want) {
				t.Error(d)
			}
		})
	}
}

// refuse checks that VerifyWebhook refuses the delivery with ErrBadSignature, without echoing any
// long token of the signature that would have been right (expected).
func (r *runner) refuse(t *testing.T, what string, h http.Header, body []byte, expected http.Header) {
	t.Helper()
	err := r.h.Channel.VerifyWebhook(h, body)
	r.seen(err)
	if err == nil {
		t.Errorf("%s: VerifyWebhook accepted it, want an error wrapping omnichannel.ErrBadSignature", what)
		return
	}
	if !errors.Is(err, omnichannel.ErrBadSignature) {
		t.Errorf("%s: VerifyWebhook error %q does not wrap omnichannel.ErrBadSignature", what, err)
	}
	for _, vs := range expected {
		for _, v := range vs {
			for _, tok := range strings.FieldsFunc(v, func(c rune) bool { return strings.ContainsRune(" ,;=:", c) }) {
				if len(tok) >= 16 && strings.Contains(err.Error(), tok) {
					t.Errorf("%s: VerifyWebhook error %q contains the expected signature", what, err)
				}
			}
		}
	}
}

func (r *runner) signature(t *testing.T) {
	for _, f := range r.h.Fixtures {
		t.Run(f.Name, func(t *testing.T) {
			signed := headers(nil, r.h.Sign(f.Body))
			if len(signed) == 0 {
				t.Fatal("Harness.Sign returned no headers")
			}
			good := headers(f.Header, signed)

			for _, pos := range []int{0, len(f.Body) / 2, len(f.Body) - 1} {
				b := append([]byte(nil), f.Body...)
				b[pos] ^= 0x01
				r.refuse(t, fmt.Sprintf("body byte %d changed", pos), good, b, r.h.Sign(b))
			}
			longer := append(append([]byte(nil), f.Body...), ' ')
			r.refuse(t, "byte appended to the body", good, longer, r.h.Sign(longer))
			shorter := f.Body[:len(f.Body)-1]
			r.refuse(t, "last byte of the body dropped", good, shorter, r.h.Sign(shorter))

			stripped := good.Clone()
			for k := range signed {
				stripped.Del(k)
			}
			r.refuse(t, "no signature headers", stripped, f.Body, signed)
			for k := range signed {
				if len(signed) > 1 {
					one := good.Clone()
					one.Del(k)
					r.refuse(t, "header "+k+" missing", one, f.Body, signed)
				}
				for _, bad := range []string{"", "garbage", "sha256=" + strings.Repeat("0", 64)} {
					g := good.Clone()
					g.Set(k, bad)
					r.refuse(t, fmt.Sprintf("header %s = %q", k, bad), g, f.Body, signed)
				}
			}
			if r.h.SignWrongKey != nil {
				r.refuse(t, "signed with another key", headers(f.Header, r.h.SignWrongKey(f.Body)), f.Body, signed)
			} else {
				t.Log("Harness.SignWrongKey is nil: a signature made with another key was not checked")
			}
			for _, other := range r.h.Fixtures {
				if string(other.Body) != string(f.Body) {
					r.refuse(t, "signature of fixture "+other.Name, headers(f.Header, r.h.Sign(other.Body)), f.Body, signed)
					break
				}
			}
		})
	}
}

func (r *runner) freshness(t *testing.T) {
	if r.h.SignAt == nil {
		notChecked(t, "Harness.SignAt is nil: stale and replayed deliveries were not checked")
		return
	}
	f := r.h.Fixtures[0]
	now := time.Now()

	h, body := r.h.SignAt(f.Body, now.Add(-r.h.Window/2))
	first, err := r.verifyAndParse(headers(f.Header, h), body)
	if err != nil {
		t.Errorf("delivery signed Window/2 ago refused: %v", err)
	}

	// A provider retry or a replay inside the window must parse to the same events, so that the
	// engine's idempotent ingest (on provider message ids) absorbs it.
	again, err := r.verifyAndParse(headers(f.Header, h), body)
	if err != nil {
		t.Errorf("the same delivery replayed inside the window refused: %v", err)
	} else if diffs := compareEvents(again, first); len(diffs) > 0 {
		t.Errorf("a replayed delivery parsed differently:\n%s", strings.Join(diffs, "\n"))
	}

	old := now.Add(-2*r.h.Window - time.Minute)
	h, body = r.h.SignAt(f.Body, old)
	r.refuse(t, "delivery signed before the window (stale or replayed)", headers(f.Header, h), body, nil)
}

func (r *runner) malformed(t *testing.T) {
	if len(r.h.Malformed) == 0 {
		notChecked(t, "Harness.Malformed is empty: refusal of malformed bodies was not checked")
		return
	}
	for i, body := range r.h.Malformed {
		h := headers(nil, r.h.Sign(body))
		if err := r.h.Channel.VerifyWebhook(h, body); err != nil {
			r.seen(err)
			if !errors.Is(err, omnichannel.ErrMalformed) && !errors.Is(err, omnichannel.ErrBadSignature) {
				t.Errorf("Malformed[%d]: VerifyWebhook error %q wraps neither ErrMalformed nor ErrBadSignature", i, err)
			} else {
				t.Logf("Malformed[%d]: refused by VerifyWebhook: %v", i, err)
			}
			continue
		}
		events, err := r.h.Channel.ParseWebhook(h, body)
		r.seen(err)
		if !errors.Is(err, omnichannel.ErrMalformed) {
			t.Errorf("Malformed[%d] %q: ParseWebhook = %d events, %v; want an error wrapping omnichannel.ErrMalformed",
				i, truncate(body, 80), len(events), err)
		}
	}
}

func (r *runner) unknownEvent(t *testing.T) {
	if r.h.UnknownEvent == nil {
		notChecked(t, "Harness.UnknownEvent is nil: unknown event types were not checked")
		return
	}
	events, err := r.verifyAndParse(headers(nil, r.h.Sign(r.h.UnknownEvent)), r.h.UnknownEvent)
	if err != nil {
		t.Fatalf("an unknown event type must be accepted and ignored: %v", err)
	}
	if len(events) != 0 {
		t.Errorf("an unknown event type produced %d events, want none: %s", len(events), describe(events))
	}
}

func (r *runner) concurrency(t *testing.T) {
	const workers = 8
	var wg sync.WaitGroup
	problems := make(chan string, workers*len(r.h.Fixtures))
	start := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, f := range r.h.Fixtures {
				_ = r.h.Channel.Capabilities()
				got, err := r.verifyAndParse(headers(f.Header, r.h.Sign(f.Body)), f.Body)
				if err != nil {
					problems <- fmt.Sprintf("fixture %s: %v", f.Name, err)
					continue
				}
				if d := compareEvents(got, f.Want); len(d) > 0 {
					problems <- fmt.Sprintf("fixture %s: %s", f.Name, strings.Join(d, "; "))
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error("concurrent parse: " + p)
	}
}

// sendReady skips t unless the send checks can run.
func (r *runner) sendReady(t *testing.T) {
	t.Helper()
	var missing []string
	if r.conn == nil {
		missing = append(missing, "Conn")
	}
	if r.h.Recipient == "" {
		missing = append(missing, "Recipient")
	}
	if r.h.SentCount == nil {
		missing = append(missing, "SentCount")
	}
	if len(missing) > 0 {
		notChecked(t, fmt.Sprintf("Harness.%s not set: %s was not checked", strings.Join(missing, ", Harness."), t.Name()))
		return
	}
}

func (r *runner) message(id string) *omnichannel.OutboundMessage {
	return &omnichannel.OutboundMessage{
		ConversationID: "channeltest-conversation",
		MessageID:      "channeltest-" + id,
		RecipientID:    r.h.Recipient,
		Text:           "channeltest " + id + ": xin chào ✓",
	}
}

// sendOnce sends one text and checks the result; it returns false (after reporting) on failure.
func (r *runner) sendOnce(t *testing.T, ctx context.Context, conn *omnichannel.Connection, id string) bool {
	t.Helper()
	before := r.h.SentCount()
	res, err := r.h.Channel.Send(ctx, conn, r.message(id))
	r.seen(err)
	if err != nil {
		t.Errorf("Send %s: %v", id, err)
		return false
	}
	ok := true
	if res.ProviderMessageID == "" {
		t.Errorf("Send %s: empty ProviderMessageID", id)
		ok = false
	}
	if res.Status.Rank() < omnichannel.MessageSent.Rank() || res.Status == omnichannel.MessageFailed {
		t.Errorf("Send %s: Status = %q, want %q (or delivered / seen)", id, res.Status, omnichannel.MessageSent)
		ok = false
	}
	if n := r.h.SentCount() - before; n != 1 {
		t.Errorf("Send %s: the provider received %d messages, want exactly 1", id, n)
		ok = false
	}
	return ok
}

func (r *runner) send(t *testing.T) {
	r.sendReady(t)
	ctx := context.Background()

	t.Run("Text", func(t *testing.T) {
		conn := *r.conn
		before := fmt.Sprintf("%#v %v %v", conn, conn.Credentials.AccessToken, conn.Credentials.RefreshToken)
		r.sendOnce(t, ctx, &conn, "text")
		if after := fmt.Sprintf("%#v %v %v", conn, conn.Credentials.AccessToken, conn.Credentials.RefreshToken); after != before {
			t.Errorf("Send modified the connection")
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		before := r.h.SentCount()
		_, err := r.h.Channel.Send(cctx, r.conn, r.message("canceled"))
		r.seen(err)
		if err == nil {
			t.Errorf("Send with a canceled context succeeded, want an error")
		}
		if n := r.h.SentCount() - before; n != 0 {
			t.Errorf("Send with a canceled context reached the provider (%d messages)", n)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		const n = 4
		before := r.h.SentCount()
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn := *r.conn
				res, err := r.h.Channel.Send(ctx, &conn, r.message(fmt.Sprintf("concurrent-%d", i)))
				ids[i], errs[i] = res.ProviderMessageID, err
			}()
		}
		wg.Wait()
		distinct := map[string]bool{}
		for i := 0; i < n; i++ {
			r.seen(errs[i])
			if errs[i] != nil {
				t.Errorf("concurrent Send %d: %v", i, errs[i])
				continue
			}
			if ids[i] == "" || distinct[ids[i]] {
				t.Errorf("concurrent Send %d: ProviderMessageID %q is empty or repeated", i, ids[i])
			}
			distinct[ids[i]] = true
		}
		if got := r.h.SentCount() - before; got != n {
			t.Errorf("%d concurrent sends: the provider received %d messages", n, got)
		}
	})
}

func (r *runner) faults(t *testing.T) {
	r.sendReady(t)
	if r.h.Fault == nil {
		notChecked(t, "Harness.Fault is nil: error classification (rate limit, server error, expired token, closed window) was not checked")
		return
	}
	kind := r.h.Channel.Kind()
	for _, fk := range []FaultKind{FaultRateLimit, FaultServerError, FaultTokenExpired, FaultWindowClosed} {
		t.Run(fk.String(), func(t *testing.T) {
			if !r.h.Fault(fk) {
				notChecked(t, fmt.Sprintf("the emulator cannot produce %s", fk))
				return
			}
			before := r.h.SentCount()
			conn := *r.conn
			_, err := r.h.Channel.Send(context.Background(), &conn, r.message("fault-"+fk.String()))
			r.seen(err)
			if err == nil {
				t.Fatalf("Send succeeded despite the %s fault", fk)
			}
			if n := r.h.SentCount() - before; n != 0 {
				t.Errorf("a refused send was counted as sent (%d)", n)
			}
			var pe *omnichannel.ProviderError
			if errors.As(err, &pe) && pe.Provider != kind {
				t.Errorf("ProviderError.Provider = %q, want %q", pe.Provider, kind)
			}
			switch fk {
			case FaultRateLimit:
				if !errors.Is(err, omnichannel.ErrRateLimited) {
					t.Errorf("error %q does not wrap omnichannel.ErrRateLimited", err)
				}
				if !omnichannel.IsRetryable(err) {
					t.Errorf("a rate-limited send is not retryable: %v", err)
				}
				if pe != nil && pe.RetryAfter < 0 {
					t.Errorf("RetryAfter = %v, want >= 0", pe.RetryAfter)
				}
			case FaultServerError:
				if !omnichannel.IsRetryable(err) {
					t.Errorf("a provider server error is not retryable: %v", err)
				}
				for _, final := range []error{omnichannel.ErrOutsideWindow, omnichannel.ErrNeedsReconnect, omnichannel.ErrInvalid} {
					if errors.Is(err, final) {
						t.Errorf("a provider server error is classified as %v", final)
					}
				}
			case FaultTokenExpired:
				if !errors.Is(err, omnichannel.ErrTokenExpired) {
					t.Errorf("error %q does not wrap omnichannel.ErrTokenExpired", err)
				}
			case FaultWindowClosed:
				if !errors.Is(err, omnichannel.ErrOutsideWindow) {
					t.Errorf("error %q does not wrap omnichannel.ErrOutsideWindow", err)
				}
				if omnichannel.IsRetryable(err) {
					t.Errorf("a send outside the reply window is retryable: %v", err)
				}
			}
			// The fault was for one call only: the next send goes through.
			r.sendOnce(t, context.Background(), &conn, "after-"+fk.String())
		})
	}
}

func (r *runner) profileFetcher(t *testing.T) {
	pf, ok := r.h.Channel.(omnichannel.ProfileFetcher)
	if !ok {
		notChecked(t, "the adapter does not implement omnichannel.ProfileFetcher")
		return
	}
	if r.conn == nil || r.h.KnownUserID == "" {
		notChecked(t, "Harness.Conn or Harness.KnownUserID not set: FetchProfile was not checked")
		return
	}
	p, err := pf.FetchProfile(context.Background(), r.conn, r.h.KnownUserID)
	r.seen(err)
	switch {
	case err != nil:
		t.Errorf("FetchProfile(%q): %v", r.h.KnownUserID, err)
	case p == nil:
		t.Errorf("FetchProfile(%q) returned a nil profile and no error", r.h.KnownUserID)
	case p.ExternalUserID != "" && p.ExternalUserID != r.h.KnownUserID:
		t.Errorf("FetchProfile(%q).ExternalUserID = %q", r.h.KnownUserID, p.ExternalUserID)
	}
}

func (r *runner) mediaDownloader(t *testing.T) {
	md, ok := r.h.Channel.(omnichannel.MediaDownloader)
	if !ok {
		notChecked(t, "the adapter does not implement omnichannel.MediaDownloader")
		return
	}
	if r.conn == nil || len(r.h.Media) == 0 {
		notChecked(t, "Harness.Conn or Harness.Media not set: DownloadMedia was not checked")
		return
	}
	for i, m := range r.h.Media {
		rc, ct, err := md.DownloadMedia(context.Background(), r.conn, m.Attachment)
		r.seen(err)
		if err != nil {
			t.Errorf("Media[%d]: DownloadMedia: %v", i, err)
			continue
		}
		data, err := readAllClose(rc)
		if err != nil {
			t.Errorf("Media[%d]: reading: %v", i, err)
		}
		if string(data) != string(m.Content) {
			t.Errorf("Media[%d]: got %d bytes, want the %d bytes the emulator serves", i, len(data), len(m.Content))
		}
		if m.ContentType != "" {
			if got, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(got), m.ContentType) {
				t.Errorf("Media[%d]: content type %q, want %q", i, ct, m.ContentType)
			}
		}
	}
}

func (r *runner) connector(t *testing.T) {
	cn, ok := r.h.Channel.(omnichannel.Connector)
	if !ok {
		notChecked(t, "the adapter does not implement omnichannel.Connector")
		return
	}
	ctx := context.Background()
	state := "channeltest-state-" + fmt.Sprint(time.Now().UnixNano())
	verifier := "channeltest-verifier-" + strings.Repeat("v", 30) + fmt.Sprint(time.Now().UnixNano())
	redirect := "https://crm.example/oauth/callback?x=1"
	r.addSecrets(verifier)

	raw := cn.AuthCodeURL(state, verifier, redirect)
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") {
		t.Fatalf("AuthCodeURL = %q, want an absolute http(s) URL", raw)
	}
	if !strings.Contains(raw, url.QueryEscape(state)) {
		t.Errorf("AuthCodeURL = %q does not carry the state", raw)
	}
	if strings.Contains(raw, verifier) || strings.Contains(raw, url.QueryEscape(verifier)) {
		t.Errorf("AuthCodeURL carries the PKCE verifier itself; send its challenge")
	}

	denied := map[string][]string{"error": {"access_denied"}, "error_description": {"The user denied"}, "state": {state}}
	conn, err := cn.Exchange(ctx, omnichannel.CallbackParams{Query: denied, CodeVerifier: verifier, RedirectURI: redirect})
	r.seen(err)
	if err == nil || conn != nil {
		t.Errorf("Exchange of a refused consent = %v, %v; want nil and an error", conn, err)
	} else if strings.TrimSpace(err.Error()) == "" {
		t.Errorf("Exchange of a refused consent returned an empty error message")
	}

	empty := map[string][]string{"state": {state}}
	conn, err = cn.Exchange(ctx, omnichannel.CallbackParams{Query: empty, CodeVerifier: verifier, RedirectURI: redirect})
	r.seen(err)
	if err == nil || conn != nil {
		t.Errorf("Exchange of a callback without code = %v, %v; want nil and an error", conn, err)
	}

	if r.h.Consent == nil {
		t.Log("Harness.Consent is nil: a granted consent and the code exchange were not checked")
		return
	}
	q, err := r.h.Consent(ctx, raw)
	if err != nil {
		t.Fatalf("Harness.Consent: %v", err)
	}
	for _, k := range []string{"code", "auth_code", "authorization_code"} {
		r.addSecrets(q.Get(k))
	}
	conn, err = cn.Exchange(ctx, omnichannel.CallbackParams{Query: q, CodeVerifier: verifier, RedirectURI: redirect})
	r.seen(err)
	if err != nil {
		t.Fatalf("Exchange after a granted consent: %v", err)
	}
	if conn == nil {
		t.Fatal("Exchange returned a nil connection and no error")
	}
	r.addSecrets(credentialSecrets(conn.Credentials)...)
	if conn.ExternalID == "" || conn.Credentials.AccessToken == "" {
		t.Errorf("Exchange returned ExternalID %q and an access token set: %v; want both", conn.ExternalID, conn.Credentials.AccessToken != "")
	}
	if conn.Kind != "" && conn.Kind != r.h.Channel.Kind() {
		t.Errorf("Exchange returned Kind %q, want %q", conn.Kind, r.h.Channel.Kind())
	}
}

func (r *runner) tokenRefresher(t *testing.T) {
	tr, ok := r.h.Channel.(omnichannel.TokenRefresher)
	if !ok {
		notChecked(t, "the adapter does not implement omnichannel.TokenRefresher")
		return
	}
	if r.conn == nil {
		notChecked(t, "Harness.Conn is nil: RefreshTokens was not checked")
		return
	}
	if skew := tr.RefreshSkew(); skew < 0 {
		t.Errorf("RefreshSkew() = %v, want >= 0", skew)
	}
	ctx := context.Background()

	dead := *r.conn
	dead.Credentials.RefreshToken = "channeltest-invalid-refresh-token"
	_, err := tr.RefreshTokens(ctx, &dead)
	r.seen(err)
	if !errors.Is(err, omnichannel.ErrNeedsReconnect) {
		t.Errorf("RefreshTokens with a refresh token the provider refuses = %v, want an error wrapping omnichannel.ErrNeedsReconnect", err)
	}

	old := *r.conn
	oldCreds := fmt.Sprintf("%#v|%s|%s", old.Credentials, old.Credentials.AccessToken, old.Credentials.RefreshToken)
	creds, err := tr.RefreshTokens(ctx, &old)
	r.seen(err)
	if err != nil {
		t.Fatalf("RefreshTokens: %v", err)
	}
	r.addSecrets(credentialSecrets(creds)...)
	if fmt.Sprintf("%#v|%s|%s", old.Credentials, old.Credentials.AccessToken, old.Credentials.RefreshToken) != oldCreds {
		t.Errorf("RefreshTokens modified the connection it was given")
	}
	if creds.AccessToken == "" {
		t.Fatalf("RefreshTokens returned no access token")
	}
	if creds.RefreshToken == "" {
		t.Errorf("RefreshTokens returned no refresh token (return the old one when the provider does not rotate it)")
	}
	if !creds.AccessExpiry.IsZero() && !creds.AccessExpiry.After(time.Now()) {
		t.Errorf("RefreshTokens returned AccessExpiry %v, already past", creds.AccessExpiry)
	}
	fresh := *r.conn
	fresh.Credentials = creds
	r.conn = &fresh // later checks use the live credentials

	if r.h.SingleUseRefresh {
		_, err := tr.RefreshTokens(ctx, &old)
		r.seen(err)
		if !errors.Is(err, omnichannel.ErrNeedsReconnect) {
			t.Errorf("reusing a spent refresh token = %v, want an error wrapping omnichannel.ErrNeedsReconnect", err)
		} else if omnichannel.IsRetryable(err) {
			t.Errorf("a dead refresh token is reported retryable: %v", err)
		}
	}

	if r.h.Recipient != "" && r.h.SentCount != nil {
		r.sendOnce(t, ctx, &fresh, "after-refresh")
	}
}

func (r *runner) noSecrets(t *testing.T) {
	r.mu.Lock()
	errs := append([]string(nil), r.errs...)
	secrets := append([]string(nil), r.secrets...)
	r.mu.Unlock()
	if len(secrets) == 0 {
		notChecked(t, "no secrets to look for (Harness.Secrets and Harness.Conn are empty)")
		return
	}
	for _, e := range errs {
		if s := firstContained(e, secrets); s != "" {
			t.Errorf("an adapter error contains a secret (%s): %q", mask(s), strings.ReplaceAll(e, s, "«SECRET»"))
		}
	}
	if r.h.Logs == nil {
		t.Log("Harness.Logs is nil: log output was not searched for secrets")
		return
	}
	logs := r.h.Logs()
	if s := firstContained(logs, secrets); s != "" {
		t.Errorf("the adapter logged a secret (%s)", mask(s))
	}
}

func firstContained(s string, secrets []string) string {
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			return sec
		}
	}
	return ""
}

// mask describes a secret so a failing test names it without printing it.
func mask(s string) string {
	if len(s) <= 8 {
		return fmt.Sprintf("%d bytes", len(s))
	}
	return fmt.Sprintf("%d bytes starting %q", len(s), s[:2])
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// notChecked records, in the test log, a check the harness could not run for this adapter (an optional
// interface it does not implement, or a Harness input left empty). The subtest passes: the check is
// not applicable, which is different from a skipped test.
func notChecked(t *testing.T, why string) {
	t.Helper()
	t.Log("not checked: " + why)
}
