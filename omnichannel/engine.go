package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/dakenh/dakenh/guardedfetch"
)

// Config configures an Engine. Store, Channels and Router are required; every other field has the
// documented default. New validates the whole config and reports every problem at once.
type Config struct {
	// Store persists everything (store/memory, store/sqlite, store/postgres).
	Store Store
	// Channels are the adapters, one per Kind.
	Channels []Channel
	// Router picks owners for conversations (routing.New()).
	Router Router
	// Authorizer decides who may do what. Default: DefaultAuthorizer.
	Authorizer Authorizer
	// Blobs keeps attachments. Default: DirBlobStore under os.TempDir()/dakenh-blobs.
	Blobs BlobStore
	// Templates supplies canned replies. Default: the templates kept in Store.
	Templates TemplateProvider
	// Relay carries the events each engine process commits to the other processes sharing the
	// Store, so that every process's subscribers (the agents' live streams) see them all. Default:
	// the Store itself when it implements EventRelay (store/postgres relays with LISTEN/NOTIFY),
	// otherwise none. Set it to carry events another way (a message broker) or to give a store
	// without one a relay; NoRelay turns relaying off.
	Relay EventRelay
	// Directory is the host CRM's customer directory for automatic linking (optional).
	Directory ContactDirectory
	// Interactions supplies the host CRM's calls and transactions for the history (optional).
	Interactions InteractionSource
	// Logger receives structured logs; customer text and secrets are never logged. Default:
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time

	// MaxWebhookBytes caps a webhook body; larger bodies get 413. Default 1 MiB.
	MaxWebhookBytes int64
	// MaxAttachmentBytes caps an uploaded or downloaded attachment. Default 25 MiB.
	MaxAttachmentBytes int64
	// MaxSendAttempts bounds provider calls per outgoing message. Default 6.
	MaxSendAttempts int
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff with jitter between attempts.
	// Defaults 2 s and 5 min.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// JobLease is how long a worker holds a job before another may take it. Default 2 min.
	JobLease time.Duration
	// Workers is how many background jobs (media copies, profile fetches, CRM links, history
	// syncs) run at once in Run. Default 4.
	Workers int
	// SendWorkers is how many sends run at once in Run, apart from Workers, so that background
	// work never delays a reply (every store claims jobs by kind: Tx.ClaimJobsOfKinds). Default 2.
	SendWorkers int
	// PollInterval is how often Run looks for due jobs without being woken. Default 1 s.
	PollInterval time.Duration
	// EchoWindow is how old a pending send may be for a provider echo to match it. Default 10 min.
	EchoWindow time.Duration
	// OAuthStateTTL is how long a connect flow may take. Default 10 min.
	OAuthStateTTL time.Duration
	// FeedRetention is how long the durable event feed keeps an entry (Engine.Events); Run
	// prunes older ones. Default 7 days.
	FeedRetention time.Duration
	// WebhookClient makes the outgoing webhook requests (CreateWebhookEndpoint). Default:
	// guardedfetch.Default(), which reaches public addresses only; a host whose receiver is on
	// its own network (or on loopback in tests) allows it with guardedfetch.Config.Allow or
	// AllowAddrPorts.
	WebhookClient *guardedfetch.Client
	// WebhookBatchSize is the most feed entries one delivery carries. Default 100.
	WebhookBatchSize int
	// WebhookMaxFailures is how many deliveries to an endpoint may fail in a row before it is
	// disabled (with a webhook_endpoint.disabled event). Default 10.
	WebhookMaxFailures int
	// WebhookRetryBaseDelay and WebhookRetryMaxDelay shape the backoff between failed deliveries
	// (doubling, with jitter). Defaults 10 s and 1 h: ten failures in a row take about 2 h.
	WebhookRetryBaseDelay time.Duration
	WebhookRetryMaxDelay  time.Duration

	// NeutralCustomerNames maps a workspace id to what {{customer_name}} renders while the
	// customer's name is not known (the provider profile not fetched yet, or the fetch failed), e.g.
	// "quý khách" or "you". Workspaces not listed get DefaultNeutralCustomerName ("anh/chị"). Each
	// value must be one line of at most MaxNeutralNameLength characters, without "{{" or "}}".
	NeutralCustomerNames map[string]string

	// TracerProvider and MeterProvider receive the engine's spans (one per webhook delivery with
	// its verify, parse and ingest steps and the routing; one per send attempt, job and store
	// transaction) and metrics (webhooks by outcome, ack and ingest latency, sends by outcome and
	// class, job runs, waits and the queue's depth and age, token refreshes, transaction times);
	// see telemetry.go for the names. Default: OpenTelemetry's global providers, which do nothing
	// until the host installs its own (otel.SetTracerProvider, otel.SetMeterProvider).
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// Engine is the conversation engine: webhooks in, replies out, assignment, agent operations and
// events. It is safe for concurrent use. Several Engines may share one Store (multi-instance).
type Engine struct {
	cfg      Config
	store    Store
	channels map[Kind]Channel
	log      *slog.Logger
	now      func() time.Time
	bus      bus
	id       string
	wake     chan struct{}

	unknownMu     sync.Mutex
	unknownLogged map[string]bool

	// conns caches the connections webhooks resolve (conncache.go).
	conns connCache
	// tel holds the tracer and the metric instruments (telemetry.go).
	tel *telemetry
	// txUpdate, txGrouped (nil without a GroupCommitter) and txView run store transactions inside
	// their telemetry.
	txUpdate, txGrouped, txView func(context.Context, func(Tx) error) error
	// delivering holds the outgoing webhook endpoints this engine is delivering now (their lease
	// keys), so that two rounds of one engine never deliver one endpoint at once.
	delivering sync.Map

	// life is the state of Run and Close (lifecycle.go).
	life lifecycle
}

// New validates cfg and returns an Engine. It does not start background work: call Run.
func New(cfg Config) (*Engine, error) {
	p := model.ConfigProblems{Source: "omnichannel"}
	if cfg.Store == nil {
		p.Add("Store", ProblemRequired, "Config.Store is required")
	}
	if cfg.Router == nil {
		p.Add("Router", ProblemRequired, "Config.Router is required (routing.New() is the standard one)")
	}
	if len(cfg.Channels) == 0 {
		p.Add("Channels", ProblemRequired, "Config.Channels needs at least one Channel")
	}
	channels := map[Kind]Channel{}
	for i, c := range cfg.Channels {
		field := fmt.Sprintf("Channels[%d]", i)
		switch {
		case c == nil:
			p.Add(field, ProblemRequired, "Config.%s is nil", field)
		case c.Kind() == "" || !validKind(c.Kind()):
			p.Add(field, ProblemInvalid, "Config.%s has an invalid kind %q (want [a-z0-9_-]+)", field, c.Kind())
		case channels[c.Kind()] != nil:
			p.Add(field, ProblemNotAllowed, "Config.%s: kind %q given twice", field, c.Kind())
		default:
			channels[c.Kind()] = c
		}
	}
	p.NonNegative(map[string]int64{
		"MaxWebhookBytes": cfg.MaxWebhookBytes, "MaxAttachmentBytes": cfg.MaxAttachmentBytes,
		"MaxSendAttempts": int64(cfg.MaxSendAttempts), "RetryBaseDelay": int64(cfg.RetryBaseDelay),
		"RetryMaxDelay": int64(cfg.RetryMaxDelay), "JobLease": int64(cfg.JobLease),
		"Workers": int64(cfg.Workers), "SendWorkers": int64(cfg.SendWorkers), "PollInterval": int64(cfg.PollInterval),
		"EchoWindow": int64(cfg.EchoWindow), "OAuthStateTTL": int64(cfg.OAuthStateTTL),
		"FeedRetention": int64(cfg.FeedRetention), "WebhookBatchSize": int64(cfg.WebhookBatchSize),
		"WebhookMaxFailures": int64(cfg.WebhookMaxFailures), "WebhookRetryBaseDelay": int64(cfg.WebhookRetryBaseDelay),
		"WebhookRetryMaxDelay": int64(cfg.WebhookRetryMaxDelay),
	})
	if cfg.RetryBaseDelay > 0 && cfg.RetryMaxDelay > 0 && cfg.RetryMaxDelay < cfg.RetryBaseDelay {
		p.Add("RetryMaxDelay", ProblemInvalid, "Config.RetryMaxDelay must be at least RetryBaseDelay")
	}
	if cfg.WebhookRetryBaseDelay > 0 && cfg.WebhookRetryMaxDelay > 0 && cfg.WebhookRetryMaxDelay < cfg.WebhookRetryBaseDelay {
		p.Add("WebhookRetryMaxDelay", ProblemInvalid, "Config.WebhookRetryMaxDelay must be at least WebhookRetryBaseDelay")
	}
	neutral := neutralNames(&p, cfg.NeutralCustomerNames)
	if err := p.Err(); err != nil {
		return nil, err
	}
	cfg.NeutralCustomerNames = neutral
	setDefaults(&cfg)
	e := &Engine{
		cfg:           cfg,
		store:         cfg.Store,
		channels:      channels,
		log:           cfg.Logger,
		now:           cfg.Now,
		id:            uuid.NewString(),
		wake:          make(chan struct{}, 1),
		unknownLogged: map[string]bool{},
	}
	tel, err := newTelemetry(cfg.TracerProvider, cfg.MeterProvider, e)
	if err != nil {
		return nil, fmt.Errorf("omnichannel: setting up telemetry: %w", err)
	}
	e.tel = tel
	// The store's transaction runners, wrapped once in their span and timing (telemetry.go).
	e.txUpdate = e.instrumentTx("update", e.store.Update)
	e.txView = e.instrumentTx("view", e.store.View)
	if g, ok := e.store.(GroupCommitter); ok {
		e.txGrouped = e.instrumentTx("grouped", g.UpdateGrouped)
	}
	return e, nil
}

func setDefaults(c *Config) {
	if c.Authorizer == nil {
		c.Authorizer = DefaultAuthorizer{}
	}
	if c.Relay == nil {
		c.Relay, _ = c.Store.(EventRelay)
	}
	if c.Relay == NoRelay {
		c.Relay = nil
	}
	if c.Blobs == nil {
		c.Blobs = DirBlobStore{Dir: filepath.Join(os.TempDir(), "dakenh-blobs")}
	}
	if c.Templates == nil {
		c.Templates = storeTemplates{c.Store}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	def := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	if c.MaxWebhookBytes == 0 {
		c.MaxWebhookBytes = 1 << 20
	}
	if c.MaxAttachmentBytes == 0 {
		c.MaxAttachmentBytes = 25 << 20
	}
	if c.MaxSendAttempts == 0 {
		c.MaxSendAttempts = 6
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.SendWorkers == 0 {
		c.SendWorkers = 2
	}
	def(&c.RetryBaseDelay, 2*time.Second)
	def(&c.RetryMaxDelay, 5*time.Minute)
	def(&c.JobLease, 2*time.Minute)
	def(&c.PollInterval, time.Second)
	def(&c.EchoWindow, 10*time.Minute)
	def(&c.OAuthStateTTL, 10*time.Minute)
	def(&c.FeedRetention, 7*24*time.Hour)
	def(&c.WebhookRetryBaseDelay, 10*time.Second)
	def(&c.WebhookRetryMaxDelay, time.Hour)
	if c.WebhookClient == nil {
		c.WebhookClient = guardedfetch.Default()
	}
	if c.WebhookBatchSize == 0 {
		c.WebhookBatchSize = 100
	}
	if c.WebhookMaxFailures == 0 {
		c.WebhookMaxFailures = 10
	}
}

func validKind(k Kind) bool {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Channel returns the adapter of kind, or nil.
func (e *Engine) Channel(kind Kind) Channel { return e.channels[kind] }

// Store returns the engine's store: the low-level escape hatch for hosts (bulk imports, their own
// reports). Writes made through it bypass the engine's validation, events and routing: prefer the
// administration methods (SaveUser, SaveTeam, …) and the readers (ReadWorkspace, ReadAs).
func (e *Engine) Store() Store { return e.store }

// Subscribe returns a live feed of events committed by this engine. Cancel ctx to end it.
func (e *Engine) Subscribe(ctx context.Context, o SubscribeOptions) *Subscription {
	return e.bus.subscribe(ctx, o)
}

func (e *Engine) wakeWorkers() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// change collects what an operation did inside a transaction, published after the commit.
type change struct {
	events []Event
	jobs   bool
	// connections is set when the transaction wrote a connection (see connWatchTx).
	connections bool
	// opening is a conversation opened in this transaction and not stored yet, and pending its
	// entries so far: saveConversation inserts them once the conversation is complete (one
	// insert instead of an insert and an update of a row with a dozen indexes).
	opening *Conversation
	pending []*Message
}

// update runs fn in a store transaction, retrying on ErrConflict, then publishes the events fn
// collected (only those of the committed attempt). A transaction that wrote a connection empties
// the webhook connection cache once it is over, committed or not.
func (e *Engine) update(ctx context.Context, fn func(tx Tx, ch *change) error) error {
	return e.updateWith(ctx, e.txUpdate, fn)
}

// updateGrouped is update through the store's GroupCommitter when it has one: the webhook ingest,
// whose concurrent transactions the store may commit together.
func (e *Engine) updateGrouped(ctx context.Context, fn func(tx Tx, ch *change) error) error {
	if e.txGrouped != nil {
		return e.updateWith(ctx, e.txGrouped, fn)
	}
	return e.update(ctx, fn)
}

// updateWith is update running its transactions with run.
func (e *Engine) updateWith(ctx context.Context, run func(ctx context.Context, fn func(Tx) error) error, fn func(tx Tx, ch *change) error) error {
	var ch *change
	var err error
	wroteConnections := false
	for attempt := 0; attempt < 8; attempt++ {
		ch = &change{}
		err = run(ctx, func(tx Tx) error {
			// A store may run fn again after a serialization failure (Store's contract): only what
			// the last run collected is published.
			*ch = change{}
			if err := fn(connWatchTx{Tx: tx, wrote: &ch.connections}, ch); err != nil {
				return err
			}
			// The events go into the durable feed in the change's own transaction: an entry exists
			// if and only if its change committed (feed.go).
			return e.appendFeed(tx, ch.events)
		})
		wroteConnections = wroteConnections || ch.connections
		if !errors.Is(err, ErrConflict) {
			break
		}
	}
	if wroteConnections {
		e.conns.forget()
	}
	if err != nil {
		return err
	}
	e.bus.publish(ch.events)
	e.relay(ctx, ch.events)
	if ch.jobs {
		e.wakeWorkers()
	}
	return nil
}

func (e *Engine) view(ctx context.Context, fn func(tx Tx) error) error {
	return e.txView(ctx, fn)
}

func (ch *change) emit(ev Event) { ch.events = append(ch.events, ev) }

// Blobs returns the engine's attachment store (to serve attachments to agents).
func (e *Engine) Blobs() BlobStore { return e.cfg.Blobs }

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }
