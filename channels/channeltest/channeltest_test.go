package channeltest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
)

// The harness is tested by running it against deliberately broken adapters (mutations of
// fakechannel) in a child process: each must make Run fail with the message naming the broken rule,
// and the unbroken adapter must pass. The wrapper adds a timestamped signature (like TikTok's) so the
// freshness checks run too.

const (
	secret          = "harness-self-test-secret"
	timestampHeader = "X-Test-Timestamp"
	window          = time.Minute
)

// mutation replaces some methods of the wrapped fake adapter.
type mutation struct {
	verify  func(c *wrapped, h http.Header, body []byte) error
	parse   func(c *wrapped, h http.Header, body []byte) ([]omnichannel.InboundEvent, error)
	send    func(c *wrapped, ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error)
	caps    func(c *wrapped) omnichannel.Capabilities
	authURL func(c *wrapped, state, verifier, redirect string) string
	refresh func(c *wrapped, ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error)
	// want is a fragment of the failure the harness must report; "" means the harness must pass.
	want string
}

var sharedTypes = []string{"image/png"}

var mutations = map[string]mutation{
	"none": {},
	"accepts_any_signature": {
		verify: func(*wrapped, http.Header, []byte) error { return nil },
		want:   "VerifyWebhook accepted it",
	},
	"echoes_expected_signature": {
		verify: func(c *wrapped, h http.Header, body []byte) error {
			if err := c.correctVerify(h, body); err != nil {
				return fmt.Errorf("%w (expected %s)", err, fakechannel.Sign(secret, signed(h.Get(timestampHeader), body)))
			}
			return nil
		},
		want: "contains the expected signature",
	},
	"wrong_sentinel": {
		verify: func(c *wrapped, h http.Header, body []byte) error {
			if c.correctVerify(h, body) != nil {
				return errors.New("signature mismatch")
			}
			return nil
		},
		want: "does not wrap omnichannel.ErrBadSignature",
	},
	"ignores_timestamp": {
		verify: func(c *wrapped, h http.Header, body []byte) error {
			return c.Channel.VerifyWebhook(h, signed(h.Get(timestampHeader), body))
		},
		want: "signed before the window",
	},
	"drops_text": {
		parse: func(c *wrapped, h http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
			events, err := c.Channel.ParseWebhook(h, body)
			for i := range events {
				events[i].Text = ""
			}
			return events, err
		},
		want: "Text = \"\", want \"hi\"",
	},
	"accepts_malformed": {
		parse: func(c *wrapped, h http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
			events, err := c.Channel.ParseWebhook(h, body)
			if err != nil {
				return nil, nil
			}
			return events, nil
		},
		want: "want an error wrapping omnichannel.ErrMalformed",
	},
	"unclassified_errors": {
		send: func(c *wrapped, ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
			res, err := c.Channel.Send(ctx, conn, msg)
			if err != nil {
				return res, errors.New("send failed: " + err.Error())
			}
			return res, nil
		},
		want: "does not wrap omnichannel.ErrRateLimited",
	},
	"leaks_token": {
		send: func(c *wrapped, ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
			res, err := c.Channel.Send(ctx, conn, msg)
			if err != nil {
				return res, fmt.Errorf("send with token %s: %w", conn.Credentials.AccessToken, err)
			}
			return res, nil
		},
		want: "an adapter error contains a secret",
	},
	"double_send": {
		send: func(c *wrapped, ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
			_, _ = c.Channel.Send(ctx, conn, msg)
			return c.Channel.Send(ctx, conn, msg)
		},
		want: "the provider received 2 messages, want exactly 1",
	},
	"no_status": {
		send: func(c *wrapped, ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
			res, err := c.Channel.Send(ctx, conn, msg)
			res.Status = ""
			return res, err
		},
		want: "Status = \"\"",
	},
	"shared_capabilities": {
		caps: func(c *wrapped) omnichannel.Capabilities {
			return omnichannel.Capabilities{Images: true, ImageTypes: sharedTypes}
		},
		want: "returns slices shared between calls",
	},
	"verifier_in_url": {
		authURL: func(c *wrapped, state, verifier, redirect string) string {
			return c.Channel.AuthCodeURL(state, verifier, redirect) + "&code_verifier=" + verifier
		},
		want: "carries the PKCE verifier",
	},
	"dead_grant_not_reconnect": {
		refresh: func(c *wrapped, ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error) {
			creds, err := c.Channel.RefreshTokens(ctx, conn)
			if err != nil {
				return creds, errors.New("refresh failed")
			}
			return creds, nil
		},
		want: "want an error wrapping omnichannel.ErrNeedsReconnect",
	},
}

// wrapped is the fake adapter with a timestamped signature and an optional mutation.
type wrapped struct {
	*fakechannel.Channel
	m mutation
}

// signed is what the timestamped signature covers.
func signed(ts string, body []byte) []byte { return append([]byte(ts+"."), body...) }

func (c *wrapped) correctVerify(h http.Header, body []byte) error {
	sec, err := strconv.ParseInt(h.Get(timestampHeader), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad or missing %s", omnichannel.ErrBadSignature, timestampHeader)
	}
	if age := time.Since(time.Unix(sec, 0)); age > window || age < -window {
		return fmt.Errorf("%w: stale delivery", omnichannel.ErrBadSignature)
	}
	return c.Channel.VerifyWebhook(h, signed(h.Get(timestampHeader), body))
}

func (c *wrapped) VerifyWebhook(h http.Header, body []byte) error {
	if c.m.verify != nil {
		return c.m.verify(c, h, body)
	}
	return c.correctVerify(h, body)
}

func (c *wrapped) ParseWebhook(h http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	if c.m.parse != nil {
		return c.m.parse(c, h, body)
	}
	return c.Channel.ParseWebhook(h, body)
}

func (c *wrapped) Send(ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
	if c.m.send != nil {
		return c.m.send(c, ctx, conn, msg)
	}
	return c.Channel.Send(ctx, conn, msg)
}

func (c *wrapped) Capabilities() omnichannel.Capabilities {
	if c.m.caps != nil {
		return c.m.caps(c)
	}
	return c.Channel.Capabilities()
}

func (c *wrapped) AuthCodeURL(state, verifier, redirect string) string {
	if c.m.authURL != nil {
		return c.m.authURL(c, state, verifier, redirect)
	}
	return c.Channel.AuthCodeURL(state, verifier, redirect)
}

func (c *wrapped) RefreshTokens(ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error) {
	if c.m.refresh != nil {
		return c.m.refresh(c, ctx, conn)
	}
	return c.Channel.RefreshTokens(ctx, conn)
}

func signAt(key string, body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{timestampHeader: {ts}, fakechannel.SignatureHeader: {fakechannel.Sign(key, signed(ts, body))}}
}

// TestMutantChild runs the harness on the mutation named by $CHANNELTEST_MUTANT.
func TestMutantChild(t *testing.T) {
	name := os.Getenv("CHANNELTEST_MUTANT")
	if name == "" {
		return // only as the child process of TestHarnessCatchesBrokenAdapters
	}
	p := fakechannel.NewProvider(secret)
	t.Cleanup(p.Close)
	inner, err := fakechannel.New(fakechannel.Config{Secret: secret, BaseURL: p.URL()})
	if err != nil {
		t.Fatal(err)
	}
	p.AddUser("u1", "Lan", "")
	body := fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: "u1", MessageID: "m1", Text: "hi"},
	}}.JSON()
	status := fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{
		{Type: "status", Status: "seen", MessageIDs: []string{"pm-1"}},
	}}.JSON()
	channeltest.Run(t, channeltest.Harness{
		Channel:      &wrapped{Channel: inner, m: mutations[name]},
		Conn:         p.Connection(),
		Sign:         func(b []byte) http.Header { return signAt(secret, b, time.Now()) },
		SignWrongKey: func(b []byte) http.Header { return signAt("other-key", b, time.Now()) },
		SignAt:       func(b []byte, at time.Time) (http.Header, []byte) { return signAt(secret, b, at), b },
		Window:       window,
		Fixtures: []channeltest.Fixture{
			{Name: "text", Body: body, Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundMessage,
				ExternalAccountID: "acc1", ExternalUserID: "u1", Direction: omnichannel.DirectionIn,
				ProviderMessageID: "m1", MessageType: omnichannel.MessageText, Text: "hi"}}},
			{Name: "status", Body: status, Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundStatus,
				ExternalAccountID: "acc1", Status: omnichannel.MessageSeen, ProviderMessageIDs: []string{"pm-1"}}}},
		},
		Malformed:    [][]byte{[]byte(`{`)},
		UnknownEvent: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{Type: "typing"}}}.JSON(),
		Recipient:    "u1",
		SentCount:    func() int { return len(p.Sent()) },
		Fault: func(k channeltest.FaultKind) bool {
			status := map[channeltest.FaultKind]int{channeltest.FaultRateLimit: 429, channeltest.FaultServerError: 500,
				channeltest.FaultTokenExpired: 401, channeltest.FaultWindowClosed: 403}[k]
			p.FailNext(status, map[bool]string{true: "window_closed"}[k == channeltest.FaultWindowClosed], 1)
			return true
		},
		KnownUserID:      "u1",
		Consent:          p.Consent,
		SingleUseRefresh: true,
		Secrets:          []string{secret},
	})
}

func TestHarnessCatchesBrokenAdapters(t *testing.T) {
	if testing.Short() {
		return // -short: the mutations spawn one child test process each
	}
	for name, m := range mutations {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutantChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "CHANNELTEST_MUTANT="+name)
			out, err := cmd.CombinedOutput()
			switch {
			case m.want == "" && err != nil:
				t.Errorf("the harness failed a correct adapter: %v\n%s", err, out)
			case m.want != "" && err == nil:
				t.Errorf("the harness passed a broken adapter (%s)\n%s", name, out)
			case m.want != "" && !strings.Contains(string(out), m.want):
				t.Errorf("the harness failed %s without saying %q:\n%s", name, m.want, out)
			}
		})
	}
}
