package zalooa

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/dakenh/dakenh/channels/adapterkit"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// Kind is the channel kind of Zalo Official Accounts; webhooks arrive at /webhooks/zalo.
const Kind omnichannel.Kind = "zalo"

// Default provider hosts (Config.OAuthBaseURL and Config.APIBaseURL when left empty).
const (
	DefaultOAuthBaseURL = "https://oauth.zaloapp.com"
	DefaultAPIBaseURL   = "https://openapi.zalo.me"
)

// Limits and defaults of the Zalo OA Open API, as reported by Capabilities and used by the adapter.
const (
	// MaxTextLength is the longest text of one message, in characters (runes). Longer texts are
	// refused, not split (see the package documentation).
	MaxTextLength = 2000
	// MaxImageBytes is the largest image the adapter sends: Zalo's image upload takes JPG/PNG up
	// to 1 MB (GIFs up to 5 MB, but the engine has one image limit, so the smaller one applies).
	MaxImageBytes = 1 << 20
	// MaxFileBytes is the largest PDF/DOC/DOCX document Zalo's file upload takes.
	MaxFileBytes = 5 << 20
	// ReplyWindow is how long after the customer's last interaction the OA may answer through the
	// Open API (Zalo refuses later sends with -230 / -232).
	ReplyWindow = 7 * 24 * time.Hour
	// FreeReplyWindow is how long after the customer's last interaction replies are free (later
	// ones, up to ReplyWindow, are billed).
	FreeReplyWindow = 48 * time.Hour
	// AccessTokenLifetime is the lifetime Zalo gives access tokens (90000 s); used when a token
	// answer carries no expires_in.
	AccessTokenLifetime = 25 * time.Hour
	// RefreshTokenLifetime is how long a (single-use) refresh token stays valid.
	RefreshTokenLifetime = 90 * 24 * time.Hour
	// DefaultRequestsPerMinute is Zalo's per-app limit on OA API calls.
	DefaultRequestsPerMinute = 4000
	// DefaultRefreshSkew is how long before expiry tokens are refreshed.
	DefaultRefreshSkew = 2 * time.Hour
	// DefaultWebhookMaxAge is the oldest webhook accepted: Zalo resends an undelivered event after
	// 30 s, 5, 15 and 30 min and 1 h (2 h 20 min 30 s in all), so 3 h keeps every retry.
	DefaultWebhookMaxAge = 3 * time.Hour
	// DefaultHistoryMaxUsers and DefaultHistoryMaxMessagesPerUser bound a history sync.
	DefaultHistoryMaxUsers           = 500
	DefaultHistoryMaxMessagesPerUser = 100
)

// maxResponseBytes caps how much of a provider answer the adapter reads.
const maxResponseBytes = 1 << 20

// Config configures a Channel. One Channel serves every OA connected to one Zalo app.
type Config struct {
	// AppID is the Zalo app's id (developers.zalo.me). Required.
	AppID string
	// AppSecret is the app's "Secret Key", sent in the secret_key header of token requests.
	// Required.
	AppSecret string
	// OASecretKey is the "OA Secret Key" of the app's Webhook settings, the key of
	// X-ZEvent-Signature (not the app secret). Required.
	OASecretKey string
	// ExtraOASecretKeys are further webhook keys also accepted: during a key rotation, or when the
	// app's OAs show different OA secret keys. Optional.
	ExtraOASecretKeys []string

	// OAuthBaseURL is the OAuth host (permission page and token endpoint). Default
	// DefaultOAuthBaseURL; tests point it at zalotest.
	OAuthBaseURL string
	// APIBaseURL is the Open API host (messages, uploads, users, history). Default
	// DefaultAPIBaseURL.
	APIBaseURL string
	// HTTPClient makes every provider call. Default: a client with adapterkit.DefaultTimeout (30 s).
	HTTPClient *http.Client
	// MediaClient fetches the media URLs webhooks and history carry (DownloadMedia): URLs a
	// customer's message supplied, so they go through the guarded client, never HTTPClient.
	// Default: guardedfetch.Default() (public addresses only); zalotest's Config
	// allows the emulator's own listener.
	MediaClient *guardedfetch.Client
	// Logger receives the adapter's logs (never a token, secret, signature or customer text).
	// Default slog.Default().
	Logger *slog.Logger

	// RequestsPerMinute caps this Channel's API calls (client-side, per process). Default
	// DefaultRequestsPerMinute; when several processes share an app, give each its share. A
	// negative value turns client-side limiting off.
	RequestsPerMinute int
	// RefreshSkew is how long before expiry the engine refreshes tokens. Default
	// DefaultRefreshSkew.
	RefreshSkew time.Duration
	// WebhookMaxAge is the oldest webhook timestamp accepted (stale deliveries are refused as bad
	// signatures). Default DefaultWebhookMaxAge; negative disables the check.
	WebhookMaxAge time.Duration
	// AppSecretProof adds the appsecret_proof header (hex HMAC-SHA256 of the access token keyed
	// with AppSecret) to API calls; enable it when the app requires it in its settings.
	AppSecretProof bool
	// StateInRedirectURI also carries the OAuth state inside redirect_uri, for the case where the
	// callback does not echo state (unsettled, see the package documentation). Zalo must then
	// accept the redirect URI with its query.
	StateInRedirectURI bool
	// HistoryMaxUsers and HistoryMaxMessagesPerUser bound SyncHistory. Defaults
	// DefaultHistoryMaxUsers and DefaultHistoryMaxMessagesPerUser.
	HistoryMaxUsers           int
	HistoryMaxMessagesPerUser int
	// InfoRequestTitle and InfoRequestSubtitle are the wording of the request_user_info card
	// (Engine.RequestInfo); InfoRequestImageURL its image, a public https URL (default: the OA's
	// avatar). Defaults DefaultInfoRequestTitle and DefaultInfoRequestSubtitle.
	InfoRequestTitle    string
	InfoRequestSubtitle string
	InfoRequestImageURL string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Default wording of the request_user_info card.
const (
	DefaultInfoRequestTitle    = "Chia sẻ thông tin liên hệ"
	DefaultInfoRequestSubtitle = "Để shop liên hệ và giao hàng cho bạn, vui lòng chia sẻ số điện thoại và địa chỉ."
)

// Channel is the Zalo OA adapter. It implements omnichannel.Channel, Connector, TokenRefresher,
// ProfileFetcher, MediaDownloader and HistorySyncer, holds no per-conversation state and is safe
// for concurrent use.
type Channel struct {
	cfg       Config
	oauthBase string
	apiBase   string
	keys      [][]byte
	http      *resty.Client
	limiter   *rate.Limiter
	log       *slog.Logger
	now       func() time.Time

	unknownMu   sync.Mutex
	unknownSeen map[string]bool
}

var (
	_ omnichannel.Channel         = (*Channel)(nil)
	_ omnichannel.Connector       = (*Channel)(nil)
	_ omnichannel.TokenRefresher  = (*Channel)(nil)
	_ omnichannel.ProfileFetcher  = (*Channel)(nil)
	_ omnichannel.MediaDownloader = (*Channel)(nil)
	_ omnichannel.HistorySyncer   = (*Channel)(nil)
	_ omnichannel.Reactor         = (*Channel)(nil)
)

// New validates cfg and returns an adapter. Every problem of cfg is reported at once in one
// *omnichannel.ValidationError (errors.Is(err, omnichannel.ErrInvalid)); no problem quotes a
// secret. Defaults are those of package adapterkit.
func New(cfg Config) (*Channel, error) {
	p := model.ConfigProblems{Source: "zalooa"}
	adapterkit.Required(&p, "AppID", cfg.AppID, "AppSecret", cfg.AppSecret, "OASecretKey", cfg.OASecretKey)
	for i, k := range cfg.ExtraOASecretKeys {
		if strings.TrimSpace(k) == "" {
			p.Add("ExtraOASecretKeys", model.ProblemRequired, "Config.ExtraOASecretKeys[%d] is empty", i)
		}
	}
	oauthBase := adapterkit.BaseURL(&p, "OAuthBaseURL", cfg.OAuthBaseURL, DefaultOAuthBaseURL)
	apiBase := adapterkit.BaseURL(&p, "APIBaseURL", cfg.APIBaseURL, DefaultAPIBaseURL)
	p.NonNegative(map[string]int64{
		"RefreshSkew":     int64(cfg.RefreshSkew),
		"HistoryMaxUsers": int64(cfg.HistoryMaxUsers), "HistoryMaxMessagesPerUser": int64(cfg.HistoryMaxMessagesPerUser),
	})
	if err := p.Err(); err != nil {
		return nil, err
	}
	setDefaults(&cfg)
	keys := [][]byte{[]byte(cfg.OASecretKey)}
	for _, k := range cfg.ExtraOASecretKeys {
		keys = append(keys, []byte(k))
	}
	return &Channel{
		cfg:         cfg,
		oauthBase:   oauthBase,
		apiBase:     apiBase,
		keys:        keys,
		http:        adapterkit.Resty(cfg.HTTPClient, maxResponseBytes),
		limiter:     adapterkit.PerMinute(cfg.RequestsPerMinute),
		log:         cfg.Logger,
		now:         cfg.Now,
		unknownSeen: map[string]bool{},
	}, nil
}

func setDefaults(c *Config) {
	c.HTTPClient = adapterkit.HTTPClient(c.HTTPClient)
	if c.MediaClient == nil {
		c.MediaClient = guardedfetch.Default()
	}
	c.Logger = adapterkit.Logger(c.Logger)
	if c.RequestsPerMinute == 0 {
		c.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if c.RefreshSkew == 0 {
		c.RefreshSkew = DefaultRefreshSkew
	}
	if c.WebhookMaxAge == 0 {
		c.WebhookMaxAge = DefaultWebhookMaxAge
	}
	if c.HistoryMaxUsers == 0 {
		c.HistoryMaxUsers = DefaultHistoryMaxUsers
	}
	if c.HistoryMaxMessagesPerUser == 0 {
		c.HistoryMaxMessagesPerUser = DefaultHistoryMaxMessagesPerUser
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.InfoRequestTitle == "" {
		c.InfoRequestTitle = DefaultInfoRequestTitle
	}
	if c.InfoRequestSubtitle == "" {
		c.InfoRequestSubtitle = DefaultInfoRequestSubtitle
	}
}

// Kind returns "zalo".
func (c *Channel) Kind() omnichannel.Kind { return Kind }

// Capabilities reports what Zalo takes, so the engine refuses the rest before any network call:
// text up to 2,000 characters; one attachment per message, either a JPEG/PNG/GIF image up to 1 MB
// or a PDF/DOC/DOCX document up to 5 MB; quotes of customer messages; echoes of OA messages; and
// the 7-day window after the customer's last interaction (messages, follows and shared
// information; reactions are not counted), of which the first 48 hours are free; and the
// request_user_info card. The slices are fresh on every call.
func (c *Channel) Capabilities() omnichannel.Capabilities {
	return omnichannel.Capabilities{
		MaxTextLength:  MaxTextLength,
		Images:         true,
		ImageTypes:     []string{"image/jpeg", "image/png", "image/gif"},
		MaxImageBytes:  MaxImageBytes,
		Files:          true,
		FileTypes:      append([]string(nil), fileTypes...),
		MaxFileBytes:   MaxFileBytes,
		MaxAttachments: 1,
		NoCaption:      []omnichannel.MessageType{omnichannel.MessageFile}, // a file message has no text
		ReplyWindow:    ReplyWindow,
		Quotes:         true,
		Echoes:         true,
		// Zalo's window runs from the user's last interaction.
		FreeReplyWindow:        FreeReplyWindow,
		InteractionsOpenWindow: true,
		InfoRequest:            true,
	}
}

// fileTypes are the document types Zalo's file upload takes (PDF, DOC, DOCX).
var fileTypes = []string{
	"application/pdf",
	"application/msword",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

// RefreshSkew returns Config.RefreshSkew (default 2 h of the 25 h access token lifetime).
func (c *Channel) RefreshSkew() time.Duration { return c.cfg.RefreshSkew }
