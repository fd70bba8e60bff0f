package tiktok

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/dakenh/dakenh/channels/adapterkit"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// Kind is the channel kind of TikTok: webhooks arrive at /webhooks/tiktok.
const Kind omnichannel.Kind = "tiktok"

// Defaults of Config.
const (
	// DefaultAPIBaseURL is the Business API root (documented by the provider).
	DefaultAPIBaseURL = "https://business-api.tiktok.com/open_api/v1.3"
	// DefaultAuthorizeURL is the consent page of Business Messaging (documented by the provider).
	DefaultAuthorizeURL = "https://www.tiktok.com/v2/auth/authorize"
	// DefaultSignatureTolerance is how far in the future a webhook signature may be (clock skew).
	// TikTok's sample uses 5 s, which drops live deliveries.
	DefaultSignatureTolerance = 300 * time.Second
	// DefaultSignatureMaxAge is how old a webhook signature may be: TikTok retries a failed
	// delivery for up to 72 hours, and whether a retry keeps its original t is UNCERTAIN, so the default keeps every retry (72 h plus an hour of slack). Replays are
	// harmless in any case: the engine ingests a message id once.
	DefaultSignatureMaxAge = 73 * time.Hour
	// DefaultRefreshSkew is how long before the access token expires the engine refreshes it.
	DefaultRefreshSkew = 10 * time.Minute
	// DefaultRequestsPerSecond is the Basic tier of TikTok's API for Business (10 QPS, 600 a
	// minute); apps on a higher tier may raise Config.RequestsPerSecond.
	DefaultRequestsPerSecond = 10
)

// Limits of Business Messaging, reported by Capabilities.
const (
	// MaxTextLength is the longest text message, in characters.
	MaxTextLength = 6000
	// MaxImageBytes is the largest image TikTok accepts on media/upload (JPG or PNG).
	MaxImageBytes = 3 << 20
	// ReplyWindow is how long after the customer's last message the business may answer.
	ReplyWindow = 48 * time.Hour
	// MaxRepliesInWindow is about how many business messages TikTok accepts per reply window.
	MaxRepliesInWindow = 10
)

// DefaultScopes are requested on the consent page when Config.Scopes is empty (the list Chatwoot
// requests, minus the analytics scopes the inbox does not use).
func DefaultScopes() []string {
	return []string{"user.info.basic", "user.info.username", "user.info.profile",
		"message.list.read", "message.list.send", "message.list.manage"}
}

// DefaultRequiredScopes must all be granted, or Exchange refuses the connection: reading,
// sending and managing direct messages.
func DefaultRequiredScopes() []string {
	return []string{"message.list.read", "message.list.send", "message.list.manage"}
}

// Config configures a Channel.
type Config struct {
	// ClientKey is the Business API app id: client_key on the consent page, client_id on the token
	// endpoints. Required.
	ClientKey string
	// ClientSecret is the app secret: client_secret on the token endpoints and the HMAC key of
	// webhook signatures. Required. It never appears in a log line or an error.
	ClientSecret string
	// Scopes are requested on the consent page. Default DefaultScopes().
	Scopes []string
	// RequiredScopes must all be granted for a connection to be accepted. Default
	// DefaultRequiredScopes(). Each must be in Scopes.
	RequiredScopes []string
	// APIBaseURL is the Business API root. Default DefaultAPIBaseURL; tests point it at
	// tiktoktest.Server.APIBaseURL().
	APIBaseURL string
	// AuthorizeURL is the consent page. Default DefaultAuthorizeURL.
	AuthorizeURL string
	// HTTPClient makes every provider call (through resty). Default: a client with
	// adapterkit.DefaultTimeout (30 s).
	HTTPClient *http.Client
	// MediaClient fetches the download_url the media download API returns (DownloadMedia): a URL
	// the API supplied, so it goes through the guarded client, never HTTPClient. Default:
	// guardedfetch.Default() (public addresses only); tiktoktest's Config allows the emulator's own
	// listener.
	MediaClient *guardedfetch.Client
	// SignatureTolerance is how far in the future the signature's t may be. Default
	// DefaultSignatureTolerance (300 s).
	SignatureTolerance time.Duration
	// SignatureMaxAge is how old the signature's t may be. Default DefaultSignatureMaxAge (73 h),
	// which keeps TikTok's retries after an outage of up to 72 hours; a short value (say 5 min)
	// refuses every retry after an outage longer than it, when retries keep their original t, and
	// those messages are then lost. When only SignatureTolerance is set, it bounds the age too
	// (the meaning it had before SignatureMaxAge existed).
	SignatureMaxAge time.Duration
	// RefreshSkew is how long before AccessExpiry the engine refreshes. Default
	// DefaultRefreshSkew.
	RefreshSkew time.Duration
	// RequestsPerSecond caps this Channel's API calls (client-side, per process). Default
	// DefaultRequestsPerSecond, the Basic tier of TikTok's API for Business; a negative value turns
	// client-side limiting off.
	RequestsPerSecond int
	// Logger receives the adapter's few log lines (never a token, secret or signature). Default:
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock used for signature freshness and token expiries. Default time.Now.
	Now func() time.Time
}

// Channel is the TikTok Business Messaging adapter. It implements omnichannel.Channel,
// Connector, TokenRefresher, ProfileFetcher, MediaDownloader, HistorySyncer and ContentFetcher. It
// holds no mutable state and is safe for concurrent use.
type Channel struct {
	cfg       Config
	secret    []byte
	api       string // API root, no trailing slash
	apiURL    *url.URL
	authorize string
	http      *resty.Client
	limiter   *rate.Limiter
	media     *guardedfetch.Client
	log       *slog.Logger
	now       func() time.Time
}

var (
	_ omnichannel.Channel         = (*Channel)(nil)
	_ omnichannel.Connector       = (*Channel)(nil)
	_ omnichannel.TokenRefresher  = (*Channel)(nil)
	_ omnichannel.ProfileFetcher  = (*Channel)(nil)
	_ omnichannel.MediaDownloader = (*Channel)(nil)
	_ omnichannel.HistorySyncer   = (*Channel)(nil)
	_ omnichannel.ContentFetcher  = (*Channel)(nil)
)

// New validates cfg, fills its defaults and returns an adapter. Every problem of cfg is reported
// at once in one *omnichannel.ValidationError (errors.Is(err, omnichannel.ErrInvalid)); no problem
// quotes a secret. Defaults are those of package adapterkit.
func New(cfg Config) (*Channel, error) {
	p := model.ConfigProblems{Source: "tiktok"}
	adapterkit.Required(&p, "ClientKey", cfg.ClientKey, "ClientSecret", cfg.ClientSecret)
	api := adapterkit.BaseURL(&p, "APIBaseURL", cfg.APIBaseURL, DefaultAPIBaseURL)
	if cfg.AuthorizeURL == "" {
		cfg.AuthorizeURL = DefaultAuthorizeURL
	}
	adapterkit.BaseURL(&p, "AuthorizeURL", cfg.AuthorizeURL, DefaultAuthorizeURL)
	p.NonNegative(map[string]int64{
		"SignatureTolerance": int64(cfg.SignatureTolerance), "SignatureMaxAge": int64(cfg.SignatureMaxAge),
		"RefreshSkew": int64(cfg.RefreshSkew),
	})
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes()
	}
	if len(cfg.RequiredScopes) == 0 {
		cfg.RequiredScopes = DefaultRequiredScopes()
	}
	for _, s := range cfg.RequiredScopes {
		if !containsFold(cfg.Scopes, s) {
			p.Add("RequiredScopes", model.ProblemNotAllowed, "required scope %q is not in Config.Scopes", s)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	apiURL, _ := url.Parse(api) // validated by BaseURL
	if cfg.SignatureMaxAge == 0 {
		cfg.SignatureMaxAge = DefaultSignatureMaxAge
		if cfg.SignatureTolerance != 0 {
			cfg.SignatureMaxAge = cfg.SignatureTolerance
		}
	}
	if cfg.SignatureTolerance == 0 {
		cfg.SignatureTolerance = DefaultSignatureTolerance
	}
	if cfg.RefreshSkew == 0 {
		cfg.RefreshSkew = DefaultRefreshSkew
	}
	cfg.HTTPClient = adapterkit.HTTPClient(cfg.HTTPClient)
	if cfg.MediaClient == nil {
		cfg.MediaClient = guardedfetch.Default()
	}
	cfg.Logger = adapterkit.Logger(cfg.Logger)
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Scopes = append([]string(nil), cfg.Scopes...)
	cfg.RequiredScopes = append([]string(nil), cfg.RequiredScopes...)
	return &Channel{
		cfg:       cfg,
		secret:    []byte(cfg.ClientSecret),
		api:       api,
		apiURL:    apiURL,
		authorize: cfg.AuthorizeURL,
		http:      adapterkit.Resty(cfg.HTTPClient, maxResponseBytes),
		limiter:   adapterkit.PerSecond(cfg.RequestsPerSecond),
		media:     cfg.MediaClient,
		log:       cfg.Logger,
		now:       cfg.Now,
	}, nil
}

// Kind returns "tiktok".
func (c *Channel) Kind() omnichannel.Kind { return Kind }

// Capabilities reports what TikTok accepts: text up to 6,000 characters, one JPG or PNG image up
// to 3 MB per message, no files or other documents, quotes, echoes (im_send_msg), and the reply
// window of 48 hours after the customer's last message with about 10 business messages in it.
func (c *Channel) Capabilities() omnichannel.Capabilities {
	return omnichannel.Capabilities{
		MaxTextLength:      MaxTextLength,
		Images:             true,
		ImageTypes:         []string{"image/jpeg", "image/png"},
		MaxImageBytes:      MaxImageBytes,
		Files:              false,
		MaxAttachments:     1,
		NoCaption:          []omnichannel.MessageType{omnichannel.MessageImage},
		ReplyWindow:        ReplyWindow,
		MaxRepliesInWindow: MaxRepliesInWindow,
		Quotes:             true,
		Echoes:             true,
	}
}

// RefreshSkew returns Config.RefreshSkew.
func (c *Channel) RefreshSkew() time.Duration { return c.cfg.RefreshSkew }

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}
