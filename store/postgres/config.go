package postgres

import (
	"errors"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/seal"
)

// Config configures a Store. Exactly one of URL and Pool is required; every other field has the
// documented default. Open validates the whole config and reports every problem at once.
type Config struct {
	// URL is the PostgreSQL connection string, as a URL ("postgres://user:pass@host:5432/db") or in
	// key=value form. It is a secret: it never appears in errors or logs.
	URL string
	// Pool, in place of URL, is the host's own connection pool: the store's transactions, its
	// migrations and its bulk loads run on the pool's connections (within the pool's MaxConns, and
	// MaxConns below is ignored), and Close leaves the pool open. Every connection of the pool must
	// have Schema first in its search_path, which the host sets in the pool's config, e.g.
	// cfg.ConnConfig.RuntimeParams["search_path"] = "dakenh,public" (or with an AfterConnect hook);
	// the store checks each connection once and fails its transaction with ErrSearchPath otherwise.
	// The few long-lived connections of the store (the event listeners', the event relay's and the
	// round-robin positions', see MaxConns) are opened outside the pool from its ConnConfig, with
	// Schema as their search_path.
	Pool *pgxpool.Pool
	// Schema holds the store's tables; Open creates it and migrates it. Processes that share a
	// database share a schema. Lower-case letters, digits and underscores, starting with a letter or
	// an underscore, at most 48 characters. Default "dakenh".
	Schema string
	// MaxConns caps the connections of the store's transactions. Besides them the store opens the
	// event listener's connection, one for relaying events and up to four for round-robin positions
	// (taken outside transactions, see Tx.NextRotation). Default 10.
	MaxConns int
	// MaxRetries bounds how many times Update re-runs fn after a serialization failure (SQLSTATE
	// 40001) or a deadlock (40P01). Default 10.
	MaxRetries int
	// EventPollInterval is how often ListenEvents reads the events table without being notified,
	// which covers notifications lost with a broken listener connection. Default 1 s.
	EventPollInterval time.Duration
	// EventRetention is how long relayed event refs stay in the events table. Default 10 min.
	EventRetention time.Duration
	// Logger receives the listener's connection problems (never the URL). Default slog.Default().
	Logger *slog.Logger
	// Keyring, when set, encrypts provider secrets at rest with AES-256-GCM: connection credentials
	// (access and refresh tokens, scopes, extra values) and the PKCE code verifiers of pending
	// connect flows, each bound to its row. Its current (first) key seals; every key opens. Rows
	// written without it are read as they are and sealed on their next write, or at once by
	// Store.ResealCredentials, which also moves rows to a new current key after a rotation. Every
	// process sharing the database needs the keys of the values it reads.
	//
	// Default: none. Without a Keyring (and without CredentialsKey), credentials are stored as
	// plain JSON and verifiers as plain text, readable by anyone who can read the database or its
	// dumps and backups.
	Keyring *seal.Keyring
	// CredentialsKey is the single AES key (16, 24 or 32 bytes) of earlier versions; use Keyring.
	// Alone it seals connection credentials in its own format, as before. Next to a Keyring it only
	// opens the rows it sealed: keep it set until Store.ResealCredentials has moved them to the
	// Keyring, then drop it.
	CredentialsKey []byte
	// SkipMigrations keeps Open from migrating the schema: Open then checks that the schema is this
	// build's and otherwise fails with an error wrapping store.ErrMigrationsPending (a schema never
	// migrated is at version 0). Hosts that migrate from a deploy step (Migrate) set it so that an
	// application process never changes the schema. Default false: Open migrates.
	SkipMigrations bool
}

// Defaults of Config.
const (
	DefaultSchema            = "dakenh"
	DefaultMaxConns          = 10
	DefaultMaxRetries        = 10
	DefaultEventPollInterval = time.Second
	DefaultEventRetention    = 10 * time.Minute
)

var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,47}$`)

// ErrInvalidConfig is what Open's error for a refused Config matches, as it matches
// omnichannel.ErrInvalid: they are one sentinel (model.ErrInvalid). The error is a
// *omnichannel.ValidationError listing every problem.
//
// Deprecated: test with errors.Is(err, omnichannel.ErrInvalid).
var ErrInvalidConfig = model.ErrInvalid

// ErrSearchPath is wrapped by the error of a transaction that got a connection of the host's pool
// (Config.Pool) whose search_path does not start with the store's Schema.
var ErrSearchPath = errors.New("postgres: host pool connection has the wrong search_path")

// validate applies the defaults and returns the parsed connection config, or every problem at
// once as one *omnichannel.ValidationError.
func (c *Config) validate() (*pgx.ConnConfig, error) {
	p := model.ConfigProblems{Source: "postgres"}
	var conn *pgx.ConnConfig
	switch {
	case c.URL == "" && c.Pool == nil:
		p.Add("URL", model.ProblemRequired, "Config.URL or Config.Pool is required")
	case c.URL != "" && c.Pool != nil:
		p.Add("Pool", model.ProblemNotAllowed, "Config.URL and Config.Pool are exclusive: set one")
	case c.Pool != nil:
		conn = c.Pool.Config().ConnConfig.Copy()
	case c.URL != "":
		// The parser's message may quote the URL; keep the secret out of the error.
		cc, err := pgx.ParseConfig(c.URL)
		if err != nil {
			p.Add("URL", model.ProblemInvalid, "Config.URL is not a valid PostgreSQL connection string")
		} else {
			conn = cc
		}
	}
	if _, err := newSealer(*c); err != nil {
		p.AddError("", err)
	}
	if c.Schema == "" {
		c.Schema = DefaultSchema
	} else if !schemaPattern.MatchString(c.Schema) {
		p.Add("Schema", model.ProblemInvalid, "Config.Schema %q must match %s", c.Schema, schemaPattern)
	}
	p.NonNegative(map[string]int64{
		"MaxConns": int64(c.MaxConns), "MaxRetries": int64(c.MaxRetries),
		"EventPollInterval": int64(c.EventPollInterval), "EventRetention": int64(c.EventRetention),
	})
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.EventPollInterval == 0 {
		c.EventPollInterval = DefaultEventPollInterval
	}
	if c.EventRetention == 0 {
		c.EventRetention = DefaultEventRetention
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	conn.RuntimeParams["search_path"] = c.Schema
	if conn.RuntimeParams["application_name"] == "" {
		conn.RuntimeParams["application_name"] = "dakenh-" + c.Schema // for pg_stat_activity
	}
	return conn, nil
}
