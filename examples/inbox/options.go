package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Options configure the example inbox. Every field can be set by a flag or by an environment
// variable (the flag wins); parseOptions documents each with its default.
type Options struct {
	// Addr is where the web server listens (default 127.0.0.1:8080).
	Addr string
	// DataDir holds the SQLite database and the attachments (default ./data).
	DataDir string
	// DB is the SQLite database file (default DataDir/inbox.db).
	DB string
	// Postgres, when set, is a PostgreSQL URL used instead of SQLite.
	Postgres string
	// OTelStdout prints OpenTelemetry spans and metrics (every OTelInterval) as JSON on standard
	// output.
	OTelStdout   bool
	OTelInterval time.Duration
	// PublicURL is the base URL the browsers and the providers reach (webhooks, OAuth redirects):
	// required with real providers, where it is normally https (cookies are then Secure). In demo
	// mode it defaults to the listen address. Unsafe requests must come from its origin (CSRF).
	PublicURL string
	// Zalo and TikTok hold real provider credentials; when none is set the app runs in demo mode
	// with the in-process emulators.
	Zalo   ZaloCredentials
	TikTok TikTokCredentials
	Meta   MetaCredentials
	// Quiet silences request logs (tests).
	Quiet bool

	// Endpoints point the real adapters at other provider URLs (sandboxes, proxies, emulators in
	// another process); see ProviderEndpoints.
	Endpoints ProviderEndpoints
	// JobLease is how long the engine's worker holds a job before another worker (or this process
	// after a restart) may take it over; 0 keeps the engine's default (2 min). A killed process's
	// jobs wait that long, so crash tests shorten it.
	JobLease time.Duration

	// Supervisor is the first supervisor's account, created at start outside demo mode when no
	// account exists yet. From the environment only (DAKENH_SUPERVISOR_ID, DAKENH_SUPERVISOR_NAME,
	// DAKENH_SUPERVISOR_PASSWORD): a flag would show the password in the process list.
	Supervisor NewAccount
	// AddUser, when AddUser.ID is set (-add-user), creates that account (password read from
	// standard input) and exits instead of serving.
	AddUser NewAccount
	// Timeouts of the HTTP server (server.go); zero fields take the defaults.
	Timeouts ServerTimeouts
	// clock is the time of sessions and login throttling (tests); nil is time.Now.
	clock func() time.Time

	// SecretKeys encrypts provider tokens at rest: "id:secret" entries separated by commas, the
	// current key first, each secret 32 bytes in base64 or hex (see package seal). Empty: the key
	// file in DataDir (secrets.go), generated in demo mode.
	SecretKeys string
}

// ZaloCredentials are a Zalo OA app's secrets (developers.zalo.me).
type ZaloCredentials struct {
	AppID     string
	AppSecret string
	// OASecretKey signs the OA's webhooks.
	OASecretKey string
}

// TikTokCredentials are a TikTok Business Messaging app's secrets.
type TikTokCredentials struct {
	ClientKey    string
	ClientSecret string
}

// MetaCredentials are a Meta app's (Messenger and Instagram) settings (developers.facebook.com).
type MetaCredentials struct {
	AppID     string
	AppSecret string
	// VerifyToken is the token typed in the App Dashboard's webhook settings.
	VerifyToken string
	// ConfigID is the Facebook Login for Business configuration id (optional).
	ConfigID string
	// HumanAgent says the app has the Human Agent feature approved (7-day replies).
	HumanAgent bool
}

func (m MetaCredentials) set() bool { return m.AppID != "" || m.AppSecret != "" || m.VerifyToken != "" }

func (z ZaloCredentials) set() bool   { return z.AppID != "" || z.AppSecret != "" || z.OASecretKey != "" }
func (t TikTokCredentials) set() bool { return t.ClientKey != "" || t.ClientSecret != "" }

// Demo reports whether the app runs the emulators (no real provider credentials given).
func (o Options) Demo() bool { return !o.Zalo.set() && !o.TikTok.set() && !o.Meta.set() }

// parseOptions reads flags from args and falls back to the environment through getenv.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("inbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.Addr, "addr", env("DAKENH_ADDR", "127.0.0.1:8080"), "listen address (env DAKENH_ADDR)")
	fs.StringVar(&o.DataDir, "data", env("DAKENH_DATA", "data"), "data directory for the database and attachments (env DAKENH_DATA)")
	fs.StringVar(&o.DB, "db", env("DAKENH_DB", ""), "SQLite database file (env DAKENH_DB; default <data>/inbox.db)")
	fs.StringVar(&o.Postgres, "postgres", env("DAKENH_POSTGRES_URL", ""), "PostgreSQL URL instead of SQLite (env DAKENH_POSTGRES_URL)")
	fs.BoolVar(&o.OTelStdout, "otel-stdout", env("DAKENH_OTEL_STDOUT", "") == "1", "print OpenTelemetry spans and metrics as JSON on standard output (env DAKENH_OTEL_STDOUT=1)")
	fs.DurationVar(&o.OTelInterval, "otel-interval", 30*time.Second, "with -otel-stdout: how often metrics are printed")
	fs.StringVar(&o.PublicURL, "public-url", env("DAKENH_PUBLIC_URL", ""), "base URL the browsers and providers reach, https behind a TLS proxy (env DAKENH_PUBLIC_URL; required with real providers; demo default http://<addr>)")
	fs.StringVar(&o.Zalo.AppID, "zalo-app-id", env("DAKENH_ZALO_APP_ID", ""), "Zalo app id (env DAKENH_ZALO_APP_ID)")
	fs.StringVar(&o.Zalo.AppSecret, "zalo-app-secret", env("DAKENH_ZALO_APP_SECRET", ""), "Zalo app secret key (env DAKENH_ZALO_APP_SECRET)")
	fs.StringVar(&o.Zalo.OASecretKey, "zalo-oa-secret", env("DAKENH_ZALO_OA_SECRET", ""), "Zalo OA secret key for webhook signatures (env DAKENH_ZALO_OA_SECRET)")
	fs.StringVar(&o.TikTok.ClientKey, "tiktok-client-key", env("DAKENH_TIKTOK_CLIENT_KEY", ""), "TikTok app client key (env DAKENH_TIKTOK_CLIENT_KEY)")
	fs.StringVar(&o.TikTok.ClientSecret, "tiktok-client-secret", env("DAKENH_TIKTOK_CLIENT_SECRET", ""), "TikTok app client secret (env DAKENH_TIKTOK_CLIENT_SECRET)")
	fs.StringVar(&o.Meta.AppID, "meta-app-id", env("DAKENH_META_APP_ID", ""), "Meta app id for Messenger and Instagram (env DAKENH_META_APP_ID)")
	fs.StringVar(&o.Meta.AppSecret, "meta-app-secret", env("DAKENH_META_APP_SECRET", ""), "Meta app secret (env DAKENH_META_APP_SECRET)")
	fs.StringVar(&o.Meta.VerifyToken, "meta-verify-token", env("DAKENH_META_VERIFY_TOKEN", ""), "the Verify Token typed in the Meta App Dashboard's webhook settings (env DAKENH_META_VERIFY_TOKEN)")
	fs.StringVar(&o.Meta.ConfigID, "meta-config-id", env("DAKENH_META_CONFIG_ID", ""), "Facebook Login for Business configuration id (env DAKENH_META_CONFIG_ID; optional)")
	fs.BoolVar(&o.Meta.HumanAgent, "meta-human-agent", env("DAKENH_META_HUMAN_AGENT", "") == "1", "the Meta app has the Human Agent feature approved: agents may reply up to 7 days (env DAKENH_META_HUMAN_AGENT=1)")

	// Provider endpoint overrides (endpoints.go).
	o.Endpoints.registerFlags(fs, env)
	jobLease := fs.String("job-lease", env("DAKENH_JOB_LEASE", ""), "how long a worker holds a job before another may take it, e.g. 5s (env DAKENH_JOB_LEASE; default the engine's 2m)")

	// Accounts (accounts.go): -add-user creates one and exits.
	fs.StringVar(&o.AddUser.ID, "add-user", "", "create (or reset) the account of this user id, reading the password from standard input, and exit")
	fs.StringVar(&o.AddUser.Name, "user-name", "", "with -add-user: the display name")
	fs.StringVar(&o.AddUser.Email, "user-email", "", "with -add-user: the e-mail address")
	userRole := fs.String("user-role", "agent", "with -add-user: agent or supervisor")
	userTeams := fs.String("user-teams", "", "with -add-user: team ids, comma-separated (e.g. team-cskh)")
	o.Supervisor = NewAccount{ID: getenv("DAKENH_SUPERVISOR_ID"), Name: getenv("DAKENH_SUPERVISOR_NAME"),
		Password: getenv("DAKENH_SUPERVISOR_PASSWORD"), Role: omnichannel.RoleSupervisor}

	// Encryption of provider tokens at rest (secrets.go).
	fs.StringVar(&o.SecretKeys, "secret-keys", env("DAKENH_SECRET_KEYS", ""), "keys that encrypt provider tokens at rest, id:base64-or-hex of 32 bytes, comma-separated, current first (env DAKENH_SECRET_KEYS; default <data>/"+SecretKeysFile+", generated in demo mode)")

	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *jobLease != "" {
		d, err := time.ParseDuration(*jobLease)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("-job-lease %q: want a positive duration such as 5s", *jobLease)
		}
		o.JobLease = d
	}
	if o.DB == "" {
		o.DB = filepath.Join(o.DataDir, "inbox.db")
	}
	o.AddUser.Role = omnichannel.Role(*userRole)
	for _, id := range strings.Split(*userTeams, ",") {
		if id = strings.TrimSpace(id); id != "" {
			o.AddUser.TeamIDs = append(o.AddUser.TeamIDs, id)
		}
	}
	return o, o.validate()
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		errs = append(errs, fmt.Errorf("-addr %q: want host:port", o.Addr))
	}
	if o.DataDir == "" {
		errs = append(errs, errors.New("-data must not be empty"))
	}
	if o.PublicURL != "" {
		if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("-public-url %q: want an absolute http(s) URL without path, such as https://inbox.example.com", o.PublicURL))
		}
	} else if !o.Demo() && o.AddUser.ID == "" {
		errs = append(errs, errors.New("-public-url is required with real provider credentials: the https address the browsers and providers reach (the request's Host header is never trusted)"))
	}
	if o.Supervisor.ID != "" || o.Supervisor.Password != "" {
		for _, err := range o.Supervisor.problems(true) {
			errs = append(errs, fmt.Errorf("DAKENH_SUPERVISOR_*: %w", err))
		}
	}
	if o.AddUser.ID != "" {
		for _, err := range o.AddUser.problems(false) { // the password is read later
			errs = append(errs, fmt.Errorf("-add-user: %w", err))
		}
	}
	if o.Zalo.set() && (o.Zalo.AppID == "" || o.Zalo.AppSecret == "" || o.Zalo.OASecretKey == "") {
		errs = append(errs, errors.New("the Zalo connection needs all of -zalo-app-id, -zalo-app-secret and -zalo-oa-secret"))
	}
	if o.TikTok.set() && (o.TikTok.ClientKey == "" || o.TikTok.ClientSecret == "") {
		errs = append(errs, errors.New("the TikTok connection needs both -tiktok-client-key and -tiktok-client-secret"))
	}
	if o.Meta.set() && (o.Meta.AppID == "" || o.Meta.AppSecret == "" || o.Meta.VerifyToken == "") {
		errs = append(errs, errors.New("the Meta connections need all of -meta-app-id, -meta-app-secret and -meta-verify-token"))
	}
	errs = append(errs, o.Endpoints.problems()...)
	errs = append(errs, o.secretKeysProblems()...)
	return errors.Join(errs...)
}
