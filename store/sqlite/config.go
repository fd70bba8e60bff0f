package sqlite

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/seal"
)

// Synchronous is SQLite's PRAGMA synchronous setting for the writer connection.
type Synchronous string

// Synchronous settings. In WAL mode both keep every acknowledged commit through a crash of the
// process (SIGKILL, panic, OOM kill): a commit is in the WAL file, that is in the operating system,
// before Update returns. They differ on a power loss or kernel crash.
const (
	// SyncFull fsyncs the WAL at every commit: an acknowledged commit also survives a power loss.
	// Group commit pays one fsync per batch, not per Update. The default.
	SyncFull Synchronous = "FULL"
	// SyncNormal fsyncs only at checkpoints: faster, but the last commits before a power loss or a
	// kernel crash may be lost (never corrupted).
	SyncNormal Synchronous = "NORMAL"
)

// Defaults of Config.
const (
	DefaultBusyTimeout      = 5 * time.Second
	DefaultMaxBatchSize     = 128
	DefaultMaxBatchDuration = 20 * time.Millisecond
	DefaultQueueSize        = 1024
	// DefaultDiskReserve is Config.DiskReserve's default: 8 MiB.
	DefaultDiskReserve = 8 << 20
)

// Config configures a Store. Only Path is required; zero values take the documented defaults.
type Config struct {
	// Path is the database file; it is created when missing. SQLite keeps "-wal" and "-shm" files
	// beside it. Required; ":memory:" and URIs with "?" are refused (the writer and the readers
	// are separate connections and must see the same file).
	Path string
	// ReadConns is the size of the read pool that View uses. Default: max(4, GOMAXPROCS).
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another process sharing the
	// file (another Store over the same path) before failing. Default 5 s.
	BusyTimeout time.Duration
	// Synchronous is the durability of a commit. Default SyncFull: an acknowledged Update survives a
	// killed process and a power loss. SyncNormal survives a killed process only, for less latency
	// (one fsync per group commit saved); the package documentation has the measured difference.
	Synchronous Synchronous
	// MaxBatchSize caps how many Update calls share one SQLite transaction (group commit).
	// Default 128; 1 turns group commit off.
	MaxBatchSize int
	// MaxBatchDuration stops a batch from taking more Update calls once it has been running this
	// long, which bounds the wait of the first caller of a batch. Default 20 ms.
	MaxBatchDuration time.Duration
	// QueueSize is how many Update calls may wait for the writer before Update blocks. Default 1024.
	QueueSize int
	// Keyring, when set, encrypts provider secrets at rest with AES-256-GCM: connection credentials
	// (access and refresh tokens, scopes, extra values) and the PKCE code verifiers of pending
	// connect flows, each bound to its row. Its current (first) key seals; every key opens. Rows
	// written without a keyring are read as they are and sealed on their next write, or at once by
	// Store.ResealCredentials, which also moves rows to a new current key after a rotation (then
	// Store.Compact removes what the replaced values left in free space of the file). Every process
	// sharing the file needs the keys of the values it reads.
	//
	// Default: none. Without a keyring, credentials are stored as plain JSON and verifiers as plain
	// text, readable by anyone who can read the database file (or its -wal file or backups).
	Keyring *seal.Keyring
	// DiskReserve is the size of a reserve file the store keeps beside the database (Path +
	// "-reserve") so that a full disk never leaves it unable to open or to shrink its WAL. When the
	// disk fills (a write fails with SQLITE_FULL or an I/O error), the store deletes the reserve and
	// answers every write with an error wrapping omnichannel.ErrUnavailable (webhooks answer 503, so
	// providers redeliver; nothing is acknowledged that is not stored) while reads go on; it tries
	// every second to write the reserve again, with as much again free, and takes writes once that
	// works, by itself. A store opened on a full disk deletes the reserve to open, then behaves the
	// same. Default DefaultDiskReserve; a negative value keeps no reserve (writes still fail with
	// ErrUnavailable on a full disk and are retried, but opening on a full disk may fail).
	DiskReserve int64
	// SkipMigrations keeps Open from migrating the schema: Open then checks that the file's schema
	// is this build's and otherwise fails with an error wrapping store.ErrMigrationsPending (a new
	// file, at version 0, fails the same way). Hosts that migrate from a deploy step (Migrate) set
	// it so that an application process never changes the schema. Default false: Open migrates.
	SkipMigrations bool
}

// validate reports every problem of c at once, as one *omnichannel.ValidationError.
func (c Config) validate() error {
	p := model.ConfigProblems{Source: "sqlite"}
	bad := func(format string, args ...any) {
		field, _, _ := strings.Cut(format, " ")
		code := model.ProblemInvalid
		if strings.HasSuffix(format, " is required") {
			code = model.ProblemRequired
		}
		p.Add(field, code, "Config."+format, args...)
	}
	switch {
	case c.Path == "":
		bad("Path is required")
	case c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:") || strings.Contains(c.Path, "?"):
		bad("Path %q must be a plain file path (no :memory:, file: URI or query)", c.Path)
	}
	if c.ReadConns < 0 {
		bad("ReadConns must not be negative")
	}
	if c.BusyTimeout < 0 {
		bad("BusyTimeout must not be negative")
	}
	switch c.Synchronous {
	case "", SyncFull, SyncNormal:
	default:
		bad("Synchronous %q must be %q or %q", c.Synchronous, SyncFull, SyncNormal)
	}
	if c.MaxBatchSize < 0 {
		bad("MaxBatchSize must not be negative")
	}
	if c.MaxBatchDuration < 0 {
		bad("MaxBatchDuration must not be negative")
	}
	if c.QueueSize < 0 {
		bad("QueueSize must not be negative")
	}
	if c.Keyring != nil && c.Keyring.Len() == 0 {
		bad("Keyring holds no key (make it with seal.NewKeyring or seal.ParseKeyring)")
	}
	return p.Err()
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.ReadConns == 0 {
		c.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.Synchronous == "" {
		c.Synchronous = SyncFull
	}
	if c.MaxBatchSize == 0 {
		c.MaxBatchSize = DefaultMaxBatchSize
	}
	if c.MaxBatchDuration == 0 {
		c.MaxBatchDuration = DefaultMaxBatchDuration
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.DiskReserve == 0 {
		c.DiskReserve = DefaultDiskReserve
	}
	return c
}

// dsn is the driver's data source name: the path and the pragmas every connection runs.
func (c Config) dsn(readOnly bool) string { return c.dsnSync(readOnly, c.Synchronous) }

// writerDSN is the writer connection's dsn. With SyncFull its commits do not fsync the WAL: the
// store does, off the writer's path (walSyncer), before it answers the batch.
func (c Config) writerDSN() string {
	if c.Synchronous == SyncFull {
		return c.dsnSync(false, SyncNormal)
	}
	return c.dsn(false)
}

// dsnSync is dsn with the synchronous setting sync.
func (c Config) dsnSync(readOnly bool, sync Synchronous) string {
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", c.BusyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(" + string(sync) + ")",
		// Deleted rows' bytes are overwritten with zeros where that costs no extra write (a
		// data-protection delete should not leave a customer's text readable in the file).
		"_pragma=secure_delete(FAST)",
	}
	if readOnly {
		params = append(params, "_pragma=query_only(1)")
	}
	return c.Path + "?" + strings.Join(params, "&")
}
