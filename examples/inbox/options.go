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
	// PublicURL is the base URL providers reach for webhooks and OAuth redirects (default
	// http://Addr). Only real providers need it to be public.
	PublicURL string
	// Zalo and TikTok hold real provider credentials; when none is set the app runs in demo mode
	// with the in-process emulators.
	Zalo   ZaloCredentials
	TikTok TikTokCredentials
	// Quiet silences request logs (tests).
	Quiet bool

	// Endpoints point the real adapters at other provider URLs (sandboxes, proxies, emulators in
	// another process); see ProviderEndpoints.
	Endpoints ProviderEndpoints
	// JobLease is how long the engine's worker holds a job before another worker (or this process
	// after a restart) may take it over; 0 keeps the engine's default (2 min). A killed process's
	// jobs wait that long, so crash tests shorten it.
	JobLease time.Duration

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

func (z ZaloCredentials) set() bool   { return z.AppID != "" || z.AppSecret != "" || z.OASecretKey != "" }
func (t TikTokCredentials) set() bool { return t.ClientKey != "" || t.ClientSecret != "" }

// Demo reports whether the app runs the emulators (no real provider credentials given).
func (o Options) Demo() bool { return !o.Zalo.set() && !o.TikTok.set() }

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
	fs.StringVar(&o.PublicURL, "public-url", env("DAKENH_PUBLIC_URL", ""), "base URL the providers reach (env DAKENH_PUBLIC_URL; default http://<addr>)")
	fs.StringVar(&o.Zalo.AppID, "zalo-app-id", env("DAKENH_ZALO_APP_ID", ""), "Zalo app id (env DAKENH_ZALO_APP_ID)")
	fs.StringVar(&o.Zalo.AppSecret, "zalo-app-secret", env("DAKENH_ZALO_APP_SECRET", ""), "Zalo app secret key (env DAKENH_ZALO_APP_SECRET)")
	fs.StringVar(&o.Zalo.OASecretKey, "zalo-oa-secret", env("DAKENH_ZALO_OA_SECRET", ""), "Zalo OA secret key for webhook signatures (env DAKENH_ZALO_OA_SECRET)")
	fs.StringVar(&o.TikTok.ClientKey, "tiktok-client-key", env("DAKENH_TIKTOK_CLIENT_KEY", ""), "TikTok app client key (env DAKENH_TIKTOK_CLIENT_KEY)")
	fs.StringVar(&o.TikTok.ClientSecret, "tiktok-client-secret", env("DAKENH_TIKTOK_CLIENT_SECRET", ""), "TikTok app client secret (env DAKENH_TIKTOK_CLIENT_SECRET)")

	// Provider endpoint overrides (endpoints.go).
	o.Endpoints.registerFlags(fs, env)
	jobLease := fs.String("job-lease", env("DAKENH_JOB_LEASE", ""), "how long a worker holds a job before another may take it, e.g. 5s (env DAKENH_JOB_LEASE; default the engine's 2m)")

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
	if o.PublicURL == "" {
		o.PublicURL = "http://" + o.Addr
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
	if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("-public-url %q: want an absolute http(s) URL", o.PublicURL))
	}
	if o.Zalo.set() && (o.Zalo.AppID == "" || o.Zalo.AppSecret == "" || o.Zalo.OASecretKey == "") {
		errs = append(errs, errors.New("Zalo needs all of -zalo-app-id, -zalo-app-secret and -zalo-oa-secret"))
	}
	if o.TikTok.set() && (o.TikTok.ClientKey == "" || o.TikTok.ClientSecret == "") {
		errs = append(errs, errors.New("TikTok needs both -tiktok-client-key and -tiktok-client-secret"))
	}
	errs = append(errs, o.Endpoints.problems()...)
	errs = append(errs, o.secretKeysProblems()...)
	return errors.Join(errs...)
}
