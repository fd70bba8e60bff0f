package meta

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dakenh/dakenh/channels/adapterkit"
	"github.com/dakenh/dakenh/guardedfetch"
	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
	"golang.org/x/time/rate"
)

// Channel kinds: webhooks of the Page object arrive at /webhooks/messenger, those of the
// Instagram object at /webhooks/instagram.
const (
	KindMessenger omnichannel.Kind = "messenger"
	KindInstagram omnichannel.Kind = "instagram"
)

// Defaults of Config.
const (
	// DefaultGraphBaseURL is the Graph API host (documented by the provider).
	DefaultGraphBaseURL = "https://graph.facebook.com"
	// DefaultDialogBaseURL is the host of the login dialog (documented by the provider).
	DefaultDialogBaseURL = "https://www.facebook.com"
	// DefaultGraphVersion is the pinned Graph API version (v25.0 lives until
	// 2028-07-29).
	DefaultGraphVersion = "v25.0"
	// DefaultRequestsPerSecond paces Graph calls at the Instagram Send API's published 100 calls a
	// second per account, the lower of Meta's figures (Messenger allows 300 a second per Page).
	DefaultRequestsPerSecond = 100
)

// Limits reported by Capabilities.
const (
	// MessengerMaxText is Messenger's text limit in characters.
	MessengerMaxText = 2000
	// InstagramMaxTextBytes is Instagram's text limit in UTF-8 bytes.
	InstagramMaxTextBytes = 1000
	// MessengerMaxBytes is the largest Messenger attachment.
	MessengerMaxBytes = 25 << 20
	// InstagramMaxImageBytes is the largest Instagram image; files (PDF) may be 25 MB.
	InstagramMaxImageBytes = 8 << 20
	// InstagramMaxImages is how many images one Instagram message carries.
	InstagramMaxImages = 10
	// ReplyWindow is the standard window after the customer's last message.
	ReplyWindow = 24 * time.Hour
	// HumanAgentWindow is how long a person may answer with the HUMAN_AGENT tag.
	HumanAgentWindow = 7 * 24 * time.Hour
)

// DefaultScopes are the permissions Meta documents for messaging (classic login; with Config.ConfigID the
// Facebook Login for Business configuration fixes them instead).
func DefaultScopes() []string {
	return []string{"pages_messaging", "pages_manage_metadata", "pages_read_engagement", "pages_show_list",
		"instagram_basic", "instagram_manage_messages", "business_management"}
}

// Config configures the adapters of one Meta app (both kinds share it).
type Config struct {
	// AppID and AppSecret are the Meta app's. AppSecret signs webhooks (X-Hub-Signature-256) and
	// never appears in a log line or an error. Required.
	AppID     string
	AppSecret string
	// VerifyToken is the token typed in the App Dashboard's webhook settings; the GET handshake
	// must carry it. Required.
	VerifyToken string
	// ConfigID is the Facebook Login for Business configuration id; when set the login dialog gets
	// config_id instead of scope.
	ConfigID string
	// Scopes are asked for when ConfigID is empty. Default DefaultScopes().
	Scopes []string
	// HumanAgent says the app has the Human Agent feature approved: agents may then answer up to 7
	// days after the customer's last message (tagged HUMAN_AGENT); otherwise 24 hours.
	HumanAgent bool
	// GraphBaseURL, DialogBaseURL and GraphVersion locate Meta; tests point them at metatest.
	GraphBaseURL  string
	DialogBaseURL string
	GraphVersion  string
	// HTTPClient makes the Graph calls. Default: a client with adapterkit.DefaultTimeout (30 s).
	HTTPClient *http.Client
	// MediaClient fetches inbound media and profile pictures (URLs from webhooks and Graph
	// answers). Default guardedfetch.Default().
	MediaClient *guardedfetch.Client
	// RequestsPerSecond caps this app's Graph calls (client-side, per process). Default
	// DefaultRequestsPerSecond; a negative value turns client-side limiting off.
	RequestsPerSecond int
	// Logger receives the adapter's few log lines (never a token, secret or signature). Default:
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Channel is one Meta adapter: Messenger (Pages) or Instagram Direct (an Instagram professional
// account linked to a Page). Both are the same code with a different kind; see the package doc.
// It implements omnichannel.Channel, Connector, MultiConnector, WebhookHandshaker,
// TokenRefresher, ProfileFetcher, MediaDownloader and HistorySyncer, and is safe for concurrent
// use.
type Channel struct {
	kind   omnichannel.Kind
	cfg    Config
	graph  string // GraphBaseURL/version, no trailing slash
	dialog string // DialogBaseURL/version/dialog/oauth
	log    *slog.Logger
	now    func() time.Time
	// limiter paces every Graph call (Config.RequestsPerSecond).
	limiter *rate.Limiter
	// uploads caches attachment ids by page and content hash (they live 90 days).
	uploads *uploadCache
}

var (
	_ omnichannel.Channel           = (*Channel)(nil)
	_ omnichannel.MultiConnector    = (*Channel)(nil)
	_ omnichannel.WebhookHandshaker = (*Channel)(nil)
	_ omnichannel.TokenRefresher    = (*Channel)(nil)
	_ omnichannel.ProfileFetcher    = (*Channel)(nil)
	_ omnichannel.MediaDownloader   = (*Channel)(nil)
	_ omnichannel.HistorySyncer     = (*Channel)(nil)
)

// New returns the adapter of kind (KindMessenger or KindInstagram). Every problem of cfg is
// reported at once in one *omnichannel.ValidationError (errors.Is(err, omnichannel.ErrInvalid));
// no problem quotes a secret. Defaults are those of package adapterkit.
func New(kind omnichannel.Kind, cfg Config) (*Channel, error) {
	p := model.ConfigProblems{Source: "meta"}
	if kind != KindMessenger && kind != KindInstagram {
		p.Add("", model.ProblemNotAllowed, "unknown kind %q (want %q or %q)", kind, KindMessenger, KindInstagram)
	}
	adapterkit.Required(&p, "AppID", cfg.AppID, "AppSecret", cfg.AppSecret, "VerifyToken", cfg.VerifyToken)
	if cfg.GraphVersion == "" {
		cfg.GraphVersion = DefaultGraphVersion
	}
	graph := adapterkit.BaseURL(&p, "GraphBaseURL", cfg.GraphBaseURL, DefaultGraphBaseURL)
	dialog := adapterkit.BaseURL(&p, "DialogBaseURL", cfg.DialogBaseURL, DefaultDialogBaseURL)
	if strings.ContainsAny(cfg.GraphVersion, "/?#") {
		p.Add("GraphVersion", model.ProblemInvalid, "Config.GraphVersion must be like v25.0")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes()
	}
	cfg.Scopes = append([]string(nil), cfg.Scopes...)
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
	return &Channel{
		kind:    kind,
		cfg:     cfg,
		graph:   graph + "/" + cfg.GraphVersion,
		dialog:  dialog + "/" + cfg.GraphVersion + "/dialog/oauth",
		limiter: adapterkit.PerSecond(cfg.RequestsPerSecond),
		log:     cfg.Logger,
		now:     cfg.Now,
		uploads: &uploadCache{m: map[string]cachedUpload{}},
	}, nil
}

// NewPair returns the Messenger and the Instagram adapters of one app, to register both.
func NewPair(cfg Config) (messenger, instagram *Channel, err error) {
	if messenger, err = New(KindMessenger, cfg); err != nil {
		return nil, nil, err
	}
	instagram, err = New(KindInstagram, cfg)
	return messenger, instagram, err
}

// Kind returns KindMessenger or KindInstagram.
func (c *Channel) Kind() omnichannel.Kind { return c.kind }

// instagram reports whether this is the Instagram adapter.
func (c *Channel) instagram() bool { return c.kind == KindInstagram }

// Capabilities: Messenger takes text up to 2,000 characters, Instagram up to 1,000 bytes; one
// attachment per message (Instagram: up to 10 images; the adapter refuses other mixes), sent apart
// from text (images; files: any type on Messenger, PDF on
// Instagram); echoes; the 24-hour window, extended to 7 days for agents when Config.HumanAgent.
func (c *Channel) Capabilities() omnichannel.Capabilities {
	caps := omnichannel.Capabilities{
		Images: true, Files: true, MaxAttachments: 1,
		NoCaption:   []omnichannel.MessageType{omnichannel.MessageImage, omnichannel.MessageFile, omnichannel.MessageVideo, omnichannel.MessageAudio},
		ReplyWindow: ReplyWindow, Echoes: true,
	}
	if c.cfg.HumanAgent {
		caps.HumanAgentWindow = HumanAgentWindow
	}
	if c.instagram() {
		caps.MaxTextBytes = InstagramMaxTextBytes
		caps.MaxAttachments = InstagramMaxImages
		caps.ImageTypes = []string{"image/png", "image/jpeg"}
		caps.MaxImageBytes = InstagramMaxImageBytes
		caps.FileTypes = []string{"application/pdf"}
		caps.MaxFileBytes = MessengerMaxBytes
	} else {
		caps.MaxTextLength = MessengerMaxText
		caps.ImageTypes = []string{"image/png", "image/jpeg", "image/gif"}
		caps.MaxImageBytes = MessengerMaxBytes
		caps.MaxFileBytes = MessengerMaxBytes
	}
	return caps
}

// RefreshSkew is zero: Page tokens have no expiry date; the engine re-derives one only when Meta
// refuses it (error 190).
func (c *Channel) RefreshSkew() time.Duration { return 0 }

// uploadCache remembers attachment ids (reuse: they live 90 days; kept 80).
type uploadCache struct {
	mu sync.Mutex
	m  map[string]cachedUpload
}

type cachedUpload struct {
	id string
	at time.Time
}

const uploadReuse = 80 * 24 * time.Hour

func (u *uploadCache) get(key string, now time.Time) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if e, ok := u.m[key]; ok && now.Sub(e.at) < uploadReuse {
		return e.id
	}
	return ""
}

func (u *uploadCache) put(key, id string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) >= 10000 {
		for k, e := range u.m {
			if now.Sub(e.at) >= uploadReuse || len(u.m) >= 10000 {
				delete(u.m, k)
			}
		}
	}
	u.m[key] = cachedUpload{id: id, at: now}
}
