package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
)

// ErrNoKeyring is returned by ResealCredentials on a Store opened without Config.Keyring.
var ErrNoKeyring = errors.New("sqlite: no Config.Keyring to seal credentials with")

// ResealBatchSize is how many connections ResealCredentials rewrites per transaction.
const ResealBatchSize = 100

// The associated data of sealed values binds each to its row: a value copied to another connection
// (or OAuth state) does not open there.
func credentialsAD(connectionID string) []byte {
	return []byte("connection-credentials\x00" + connectionID)
}

func verifierAD(state string) []byte {
	return []byte("oauth-code-verifier\x00" + state)
}

// sealCredentials returns the stored text of c: its JSON, sealed when keys is set.
func sealCredentials(keys *seal.Keyring, connectionID string, c omnichannel.Credentials) (string, error) {
	plain, err := jsonText(c)
	if err != nil || keys == nil {
		return plain, err
	}
	sealed, err := keys.Seal([]byte(plain), credentialsAD(connectionID))
	if err != nil {
		return "", fmt.Errorf("sqlite: sealing the credentials of connection %q: %w", connectionID, err)
	}
	return sealed, nil
}

// openCredentials decodes stored credentials, sealed or plain JSON (rows written without a key,
// which are sealed on their next write once a key is set). Errors name the connection and wrap the
// seal package's error (seal.ErrUnknownKey, seal.ErrTampered, ...).
func openCredentials(keys *seal.Keyring, connectionID, stored string, c *omnichannel.Credentials) error {
	if !seal.IsSealed(stored) {
		return fromJSON(stored, c)
	}
	plain, err := keys.Open(stored, credentialsAD(connectionID))
	if err != nil {
		return fmt.Errorf("sqlite: opening the credentials of connection %q: %w", connectionID, err)
	}
	if err := json.Unmarshal(plain, c); err != nil {
		return fmt.Errorf("sqlite: credentials of connection %q are not valid JSON", connectionID)
	}
	return nil
}

// sealVerifier returns the stored form of an OAuth state's PKCE code verifier.
func sealVerifier(keys *seal.Keyring, state, verifier string) (string, error) {
	if keys == nil || verifier == "" {
		return verifier, nil
	}
	sealed, err := keys.Seal([]byte(verifier), verifierAD(state))
	if err != nil {
		return "", fmt.Errorf("sqlite: sealing an oauth code verifier: %w", err)
	}
	return sealed, nil
}

// openVerifier reverses sealVerifier; plain verifiers (stored without a key) pass through.
func openVerifier(keys *seal.Keyring, state, stored string) (string, error) {
	if !seal.IsSealed(stored) {
		return stored, nil
	}
	plain, err := keys.Open(stored, verifierAD(state))
	if err != nil {
		return "", fmt.Errorf("sqlite: opening an oauth code verifier: %w", err)
	}
	return string(plain), nil
}

// ResealCredentials rewrites the credentials of every connection that are not sealed with the
// Keyring's current key (plain rows, and rows of the older keys), in transactions of
// ResealBatchSize connections, and returns how many it rewrote. It is safe while Engines use the
// Store: each row is rewritten only if it still holds the value that was read, and the Version is
// left alone. Rows that cannot be opened (their key is not in the Keyring, or they were tampered
// with) are left as they are and reported in the error, joined, after the other rows were done.
//
// Run it after putting a new key first in the Keyring; once it returns nil, the older keys can be
// dropped. When it rewrote rows, it checkpoints the write-ahead log and truncates it, so the
// replaced values do not linger in the -wal file. SQLite may still keep bytes of replaced values
// in unused space of the database file's pages until it reuses that space: run Compact afterwards
// when the replaced values were plain (the first re-seal of a file written without a keyring) or
// sealed with a key that leaked. ErrNoKeyring without a Keyring.
//
// Pending OAuth states (a connect flow started and not finished, at most the Engine's
// OAuthStateTTL old) are not rewritten: keep an old key at least that long after the re-seal, or
// those flows fail and are started again.
func (s *Store) ResealCredentials(ctx context.Context) (int, error) {
	keys := s.cfg.Keyring
	if keys == nil {
		return 0, ErrNoKeyring
	}
	var resealed int
	var failures []error
	after := ""
	for {
		var batch []storedCredentials
		err := s.Update(ctx, func(tx omnichannel.Tx) error {
			t := tx.(*txn)
			var err error
			batch, err = t.credentialsAfter(after, ResealBatchSize)
			if err != nil {
				return err
			}
			for _, row := range batch {
				if keys.SealedWithCurrent(row.stored) {
					continue
				}
				var c omnichannel.Credentials
				if err := openCredentials(keys, row.id, row.stored, &c); err != nil {
					failures = append(failures, err)
					continue
				}
				sealed, err := sealCredentials(keys, row.id, c)
				if err != nil {
					return err
				}
				res, err := t.q.exec(`UPDATE connections SET credentials = ? WHERE id = ? AND credentials = ?`,
					sealed, row.id, row.stored)
				if err != nil {
					return writeError("reseal credentials", err)
				}
				n, _ := res.RowsAffected()
				resealed += int(n)
			}
			return nil
		})
		if err != nil {
			return resealed, err
		}
		if len(batch) < ResealBatchSize {
			break
		}
		after = batch[len(batch)-1].id
	}
	if resealed > 0 {
		if err := s.truncateWAL(ctx); err != nil {
			failures = append(failures, err)
		}
	}
	return resealed, errors.Join(failures...)
}

// Compact rebuilds the database file (SQLite's VACUUM) and truncates the write-ahead log, which
// leaves no bytes of deleted or replaced values in the files. It takes time and disk space in
// proportion to the database and holds the write lock meanwhile (Updates wait, Views go on); run
// it in a quiet moment, typically once after the first ResealCredentials of a file that held plain
// credentials. The conversation search index is rebuilt afterwards (VACUUM renumbers rowids).
func (s *Store) Compact(ctx context.Context) error {
	db, err := sql.Open("sqlite", s.cfg.dsn(false))
	if err != nil {
		return fmt.Errorf("sqlite: compact: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("sqlite: compact: %w", err)
	}
	// VACUUM may renumber the rowids of tables without an INTEGER PRIMARY KEY, and the search index
	// points at conversations by rowid: rebuild it from the table (searches re-check every row, so
	// one running in between misses rows at worst, never returns a wrong one).
	if _, err := db.ExecContext(ctx, "INSERT INTO conversations_search(conversations_search) VALUES('rebuild')"); err != nil {
		return fmt.Errorf("sqlite: compact: rebuilding the search index: %w", err)
	}
	return s.truncateWAL(ctx)
}

// storedCredentials is a connection id and its credentials column as stored.
type storedCredentials struct{ id, stored string }

// credentialsAfter returns up to limit connections with an id greater than after, by id.
func (t *txn) credentialsAfter(after string, limit int) ([]storedCredentials, error) {
	rows, err := t.q.query(`SELECT id, credentials FROM connections WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read credentials: %w", err)
	}
	defer rows.Close()
	var out []storedCredentials
	for rows.Next() {
		var r storedCredentials
		if err := rows.Scan(&r.id, &r.stored); err != nil {
			return nil, fmt.Errorf("sqlite: read credentials: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read credentials: %w", err)
	}
	return out, nil
}

// truncateWAL copies the write-ahead log into the database file and truncates it, on a connection
// of its own (the writer's is inside the group-commit loop). The store's background checkpoint or a
// reader in flight may hold the log for a moment: the checkpoint is tried again until
// Config.BusyTimeout; a log still in use then is reported as an error, and SQLite's next
// checkpoints overwrite it.
func (s *Store) truncateWAL(ctx context.Context) error {
	db, err := sql.Open("sqlite", s.cfg.dsn(false))
	if err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	defer db.Close()
	deadline := time.Now().Add(s.cfg.BusyTimeout)
	for {
		var busy, logFrames, checkpointed int
		if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &checkpointed); err != nil {
			return fmt.Errorf("sqlite: checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("sqlite: checkpoint: the write-ahead log is in use; it keeps the replaced values until a later checkpoint")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
