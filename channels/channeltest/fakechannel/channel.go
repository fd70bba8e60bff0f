// Package fakechannel is a small but complete channel adapter for "fake", a made-up provider, and
// the in-process emulator of that provider (Provider).
//
// It exists so the engine's tests and the examples have a channel with every optional ability
// (OAuth connect, token refresh, profile fetch, media download) and every failure mode (rate
// limits, server errors, expired tokens, a closed reply window) without a real provider account.
// It is also the reference adapter for vendors: it passes channels/channeltest.
//
// The provider's API, as the adapter and the emulator speak it:
//
//   - Webhooks: POST with a JSON body (see Webhook) signed in the X-Fake-Signature header as
//     "sha256=" + hex(HMAC-SHA256(secret, raw body)).
//   - POST {BaseURL}/messages with "Authorization: Bearer <access token>" and
//     {"recipient","text","quote_id","attachments":[{"type","name","content_type","data"}]} (data is
//     base64) answers 200 {"message_id":"pm-…"}.
//   - Errors are {"error":{"code","message"}} with an HTTP status: 401 bad or expired token, 429
//     throttled (with Retry-After), 403 "window_closed", 5xx provider trouble, other 4xx refusals.
//   - POST {BaseURL}/token (form) with grant_type refresh_token or authorization_code answers
//     {"access_token","refresh_token","expires_in"} (+ "account_id","account_name" for a code).
//     Refresh tokens are single use; a dead one answers 400 {"error":{"code":"invalid_grant"}}.
//   - GET {BaseURL}/users/{id} answers {"id","name","avatar","phone"}.
//   - GET {BaseURL}/consent?client_id=fake&state&code_challenge&redirect_uri is the consent page.
package fakechannel

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// Kind is the channel kind of the fake provider.
const Kind omnichannel.Kind = "fake"

// ClientID is the OAuth client id the adapter presents to the fake provider.
const ClientID = "fake"

// Limits of the fake provider, as reported by Channel.Capabilities and enforced by the emulator.
const (
	MaxTextLength = 1000
	MaxImageBytes = 5 << 20
	MaxFileBytes  = 10 << 20
)

// Config configures a Channel.
type Config struct {
	// Secret is the webhook HMAC key shared with the provider. Required.
	Secret string
	// BaseURL is the provider API root, e.g. Provider.URL(). Required: absolute http(s) URL; a
	// trailing slash is ignored.
	BaseURL string
	// HTTPClient makes every provider call; nil means http.DefaultClient.
	HTTPClient *http.Client
	// MediaClient fetches attachment URLs from webhooks (DownloadMedia), which customers supply.
	// Default: a guardedfetch client that reaches public addresses and, when BaseURL's host is an IP
	// address, that address and port (the provider emulator on loopback), nothing else.
	MediaClient *guardedfetch.Client
}

// Channel is the fake provider's adapter. It implements omnichannel.Channel, Connector,
// TokenRefresher, ProfileFetcher and MediaDownloader. It holds no mutable state and is safe for
// concurrent use.
type Channel struct {
	secret []byte
	base   *url.URL // no trailing slash in Path
	client *http.Client
	media  *guardedfetch.Client
}

var (
	_ omnichannel.Channel         = (*Channel)(nil)
	_ omnichannel.Connector       = (*Channel)(nil)
	_ omnichannel.TokenRefresher  = (*Channel)(nil)
	_ omnichannel.ProfileFetcher  = (*Channel)(nil)
	_ omnichannel.MediaDownloader = (*Channel)(nil)
)

// New validates cfg and returns an adapter. Every problem of cfg is reported at once in one
// *omnichannel.ValidationError.
func New(cfg Config) (*Channel, error) {
	p := model.ConfigProblems{Source: "fakechannel"}
	if cfg.Secret == "" {
		p.Add("Secret", model.ProblemRequired, "Config.Secret is required")
	}
	var base *url.URL
	if cfg.BaseURL == "" {
		p.Add("BaseURL", model.ProblemRequired, "Config.BaseURL is required")
	} else {
		u, err := url.Parse(cfg.BaseURL)
		switch {
		case err != nil:
			p.Add("BaseURL", model.ProblemInvalid, "Config.BaseURL: %v", err)
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			p.Add("BaseURL", model.ProblemInvalid, "Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
		case u.RawQuery != "" || u.Fragment != "":
			p.Add("BaseURL", model.ProblemInvalid, "Config.BaseURL %q must not have a query or fragment", cfg.BaseURL)
		default:
			u.Path = strings.TrimSuffix(u.Path, "/")
			u.RawPath = ""
			base = u
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	media := cfg.MediaClient
	if media == nil {
		var allow []netip.AddrPort
		if ap, err := netip.ParseAddrPort(base.Host); err == nil {
			allow = append(allow, ap)
		}
		var err error
		if media, err = guardedfetch.New(guardedfetch.Config{AllowAddrPorts: allow}); err != nil {
			return nil, fmt.Errorf("fakechannel: media client: %w", err)
		}
	}
	return &Channel{secret: []byte(cfg.Secret), base: base, client: client, media: media}, nil
}

// Kind returns "fake".
func (c *Channel) Kind() omnichannel.Kind { return Kind }

// Capabilities reports the fake provider's limits: text up to 1000 runes, one attachment per
// message (PNG or JPEG images up to 5 MB, PDF files up to 10 MB), quotes, echoes, no reply window.
func (c *Channel) Capabilities() omnichannel.Capabilities {
	return omnichannel.Capabilities{
		MaxTextLength:  MaxTextLength,
		Images:         true,
		ImageTypes:     []string{"image/png", "image/jpeg"},
		MaxImageBytes:  MaxImageBytes,
		Files:          true,
		FileTypes:      []string{"application/pdf"},
		MaxFileBytes:   MaxFileBytes,
		MaxAttachments: 1,
		Quotes:         true,
		Echoes:         true,
	}
}

// VerifyWebhook checks the X-Fake-Signature header against the HMAC-SHA256 of body in constant
// time. A missing, malformed or wrong signature returns an error wrapping
// omnichannel.ErrBadSignature that names neither the secret nor the expected value. The fake provider
// has no timestamp in its signature, so replays are left to the engine's idempotent ingest.
func (c *Channel) VerifyWebhook(h http.Header, body []byte) error {
	values := h.Values(SignatureHeader)
	switch {
	case len(values) == 0 || values[0] == "":
		return fmt.Errorf("fakechannel: %w: missing %s header", omnichannel.ErrBadSignature, SignatureHeader)
	case len(values) > 1:
		return fmt.Errorf("fakechannel: %w: several %s headers", omnichannel.ErrBadSignature, SignatureHeader)
	}
	v := strings.TrimSpace(values[0])
	hexSum, ok := strings.CutPrefix(v, signaturePrefix)
	if !ok {
		return fmt.Errorf("fakechannel: %w: %s does not start with %q", omnichannel.ErrBadSignature, SignatureHeader, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != 32 {
		return fmt.Errorf("fakechannel: %w: %s is not a hex SHA-256 sum", omnichannel.ErrBadSignature, SignatureHeader)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(string(c.secret), body), signaturePrefix))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("fakechannel: %w: signature does not match the body", omnichannel.ErrBadSignature)
	}
	return nil
}

// ParseWebhook decodes a verified body into events (see Webhook for the format). It returns an error
// wrapping omnichannel.ErrMalformed when the body is not JSON of that shape, has no account_id, or an
// event lacks a field its type requires. Unknown event types, and status events with an unknown
// status, produce no event. It makes no network call.
func (c *Channel) ParseWebhook(_ http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	var w Webhook
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("fakechannel: %w: %v", omnichannel.ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("fakechannel: %w: data after the JSON object", omnichannel.ErrMalformed)
	}
	if w.AccountID == "" {
		return nil, fmt.Errorf("fakechannel: %w: missing account_id", omnichannel.ErrMalformed)
	}
	events := make([]omnichannel.InboundEvent, 0, len(w.Events))
	for i, e := range w.Events {
		ev, ok, err := convert(w.AccountID, e)
		if err != nil {
			return nil, fmt.Errorf("fakechannel: %w: events[%d] (%s): %s", omnichannel.ErrMalformed, i, e.Type, err)
		}
		if ok {
			events = append(events, ev)
		}
	}
	return events, nil
}

// convert maps one wire event; ok is false for events to ignore.
func convert(account string, e WebhookEvent) (ev omnichannel.InboundEvent, ok bool, err error) {
	ev = omnichannel.InboundEvent{
		ExternalAccountID: account,
		ExternalUserID:    e.UserID,
		Time:              msTime(e.Time),
	}
	needUser := func() error {
		if e.UserID == "" {
			return errors.New("missing user_id")
		}
		return nil
	}
	switch e.Type {
	case "message":
		if err := needUser(); err != nil {
			return ev, false, err
		}
		if e.MessageID == "" {
			return ev, false, errors.New("missing message_id")
		}
		switch e.Direction {
		case "", "in":
			ev.Direction = omnichannel.DirectionIn
		case "out":
			ev.Direction = omnichannel.DirectionOut
		default:
			return ev, false, fmt.Errorf("unknown direction %q", e.Direction)
		}
		ev.Type = omnichannel.InboundMessage
		ev.ProviderMessageID = e.MessageID
		ev.Text = e.Text
		ev.QuoteProviderMessageID = e.QuoteID
		ev.Profile = profileOf(e)
		for _, a := range e.Attachments {
			if a.URL == "" {
				return ev, false, errors.New("attachment without url")
			}
			ev.Attachments = append(ev.Attachments, omnichannel.Attachment{
				Kind:        attachmentKind(a.Type),
				Name:        a.Name,
				ContentType: a.ContentType,
				Size:        a.Size,
				RemoteURL:   a.URL,
			})
		}
		switch {
		case len(ev.Attachments) > 0:
			ev.MessageType = ev.Attachments[0].Kind
		case e.Text != "":
			ev.MessageType = omnichannel.MessageText
		default:
			ev.MessageType = omnichannel.MessageOther
		}
	case "reaction":
		if err := needUser(); err != nil {
			return ev, false, err
		}
		if e.QuoteID == "" {
			return ev, false, errors.New("missing quote_id (the message reacted to)")
		}
		ev.Type, ev.Direction = omnichannel.InboundReaction, omnichannel.DirectionIn
		if e.Direction == "out" {
			ev.Direction = omnichannel.DirectionOut
		}
		ev.ReactionTargetID, ev.Reaction, ev.ReactionRemoved = e.QuoteID, e.Emoji, e.Removed
	case "status":
		switch e.Status {
		case "delivered":
			ev.Status = omnichannel.MessageDelivered
		case "seen":
			ev.Status = omnichannel.MessageSeen
		default:
			return ev, false, nil // a state the engine does not track
		}
		if len(e.MessageIDs) == 0 {
			return ev, false, errors.New("missing message_ids")
		}
		ev.Type = omnichannel.InboundStatus
		ev.ProviderMessageIDs = append([]string(nil), e.MessageIDs...)
	case "profile":
		if err := needUser(); err != nil {
			return ev, false, err
		}
		ev.Type = omnichannel.InboundProfile
		ev.Profile = profileOf(e)
		if ev.Profile == nil {
			ev.Profile = &omnichannel.Profile{ExternalUserID: e.UserID}
		}
	case "follow", "unfollow":
		if err := needUser(); err != nil {
			return ev, false, err
		}
		follower := e.Type == "follow"
		ev.Type = omnichannel.InboundFollow
		if !follower {
			ev.Type = omnichannel.InboundUnfollow
		}
		ev.Profile = profileOf(e)
		if ev.Profile == nil {
			ev.Profile = &omnichannel.Profile{ExternalUserID: e.UserID}
		}
		ev.Profile.Follower = &follower
	case "referral":
		if err := needUser(); err != nil {
			return ev, false, err
		}
		ev.Type = omnichannel.InboundReferral
		ev.Referral = e.Referral
	default:
		return ev, false, nil
	}
	return ev, true, nil
}

// profileOf returns the profile data carried by e, or nil when it carries none.
func profileOf(e WebhookEvent) *omnichannel.Profile {
	if e.UserName == "" && e.Avatar == "" && e.Phone == "" {
		return nil
	}
	return &omnichannel.Profile{
		ExternalUserID: e.UserID,
		DisplayName:    e.UserName,
		AvatarURL:      e.Avatar,
		Phone:          e.Phone,
	}
}

func attachmentKind(t string) omnichannel.MessageType {
	switch t {
	case "image":
		return omnichannel.MessageImage
	case "audio":
		return omnichannel.MessageAudio
	case "video":
		return omnichannel.MessageVideo
	case "sticker":
		return omnichannel.MessageSticker
	default:
		return omnichannel.MessageFile
	}
}

func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
