package postgres

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
)

// ErrSealed is wrapped by the error of a read whose connection credentials (or OAuth code
// verifier) are stored encrypted and cannot be opened: the Store has no key of that value
// (Config.Keyring, or Config.CredentialsKey for values sealed with it), has another key under the
// same id, or the value was modified or copied from another row. With a Keyring the error also
// wraps the seal package's reason (seal.ErrUnknownKey, seal.ErrTampered).
var ErrSealed = errors.New("postgres: connection credentials are encrypted with another key")

// ErrNoKeyring is returned by ResealCredentials on a Store opened without Config.Keyring.
var ErrNoKeyring = errors.New("postgres: no Config.Keyring to seal credentials with")

// ResealBatchSize is how many connections ResealCredentials rewrites per transaction.
const ResealBatchSize = 100

// Stored forms of the credentials column (jsonb):
//   - plain: the JSON object of omnichannel.Credentials (no key configured);
//   - keyring: a JSON string, seal.Keyring.Seal of that JSON ("sealed:v1:<key id>:..."), with
//     credentialsAD as associated data;
//   - legacy (Config.CredentialsKey): {"sealed": base64 of nonce + AES-GCM of that JSON}, with the
//     connection id as additional data.
type legacySealed struct {
	Sealed []byte `json:"sealed"`
}

// The associated data of keyring-sealed values binds each to its row: a value copied to another
// connection (or OAuth state) does not open there.
func credentialsAD(connectionID string) []byte {
	return []byte("connection-credentials\x00" + connectionID)
}

func verifierAD(state string) []byte {
	return []byte("oauth-code-verifier\x00" + state)
}

// sealer encrypts provider secrets at rest; a nil sealer stores them as plain JSON.
type sealer struct {
	keys   *seal.Keyring // seals when set; opens keyring values
	legacy cipher.AEAD   // Config.CredentialsKey: opens legacy values, seals when keys is nil
}

// newSealer returns the sealer of c's Keyring and CredentialsKey, nil when neither is set.
func newSealer(c Config) (*sealer, error) {
	p := model.ConfigProblems{Source: "postgres"}
	s := &sealer{keys: c.Keyring}
	if c.Keyring != nil && c.Keyring.Len() == 0 {
		p.Add("Keyring", model.ProblemInvalid, "Config.Keyring holds no key (make it with seal.NewKeyring or seal.ParseKeyring)")
	}
	if len(c.CredentialsKey) > 0 {
		block, err := aes.NewCipher(c.CredentialsKey)
		if err != nil {
			p.Add("CredentialsKey", model.ProblemInvalid, "Config.CredentialsKey must be 16, 24 or 32 bytes (AES-128, -192 or -256)")
		} else if s.legacy, err = cipher.NewGCM(block); err != nil {
			p.Add("CredentialsKey", model.ProblemInvalid, "Config.CredentialsKey: %v", err)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.keys == nil && s.legacy == nil {
		return nil, nil
	}
	return s, nil
}

// seal returns the jsonb value of c's credentials.
func (s *sealer) seal(connectionID string, c omnichannel.Credentials) ([]byte, error) {
	plain, err := jsonArg(c)
	if err != nil || s == nil {
		return plain, err
	}
	if s.keys != nil {
		token, err := s.keys.Seal(plain, credentialsAD(connectionID))
		if err != nil {
			return nil, fmt.Errorf("postgres: sealing the credentials of connection %q: %w", connectionID, err)
		}
		return json.Marshal(token)
	}
	nonce := make([]byte, s.legacy.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("postgres: sealing credentials: %w", err)
	}
	return jsonArg(legacySealed{Sealed: s.legacy.Seal(nonce, nonce, plain, []byte(connectionID))})
}

// open decodes a stored credentials value in any of its forms. Plain values are accepted with a
// key too (rows written before the key was set are sealed on their next write).
func (s *sealer) open(connectionID string, stored []byte, c *omnichannel.Credentials) error {
	plain, err := s.openBytes(connectionID, stored)
	if err != nil {
		return err
	}
	return fromJSON(plain, c)
}

// openBytes returns the credentials JSON of a stored value.
func (s *sealer) openBytes(connectionID string, stored []byte) ([]byte, error) {
	stored = bytes.TrimSpace(stored)
	if len(stored) > 0 && stored[0] == '"' {
		var token string
		if err := json.Unmarshal(stored, &token); err != nil {
			return nil, fmt.Errorf("postgres: credentials of connection %q: %w", connectionID, err)
		}
		var keys *seal.Keyring
		if s != nil {
			keys = s.keys
		}
		plain, err := keys.Open(token, credentialsAD(connectionID))
		if err != nil {
			return nil, fmt.Errorf("connection %q: %w: %w", connectionID, ErrSealed, err)
		}
		return plain, nil
	}
	var probe legacySealed
	if err := json.Unmarshal(stored, &probe); err != nil {
		return nil, fmt.Errorf("postgres: credentials of connection %q: %w", connectionID, err)
	}
	if probe.Sealed == nil {
		return stored, nil
	}
	if s == nil || s.legacy == nil || len(probe.Sealed) < s.legacy.NonceSize() {
		return nil, fmt.Errorf("connection %q: %w", connectionID, ErrSealed)
	}
	n := s.legacy.NonceSize()
	plain, err := s.legacy.Open(nil, probe.Sealed[:n], probe.Sealed[n:], []byte(connectionID))
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", connectionID, ErrSealed)
	}
	return plain, nil
}

// sealedWithCurrent reports whether a stored value is sealed with the keyring's current key.
func (s *sealer) sealedWithCurrent(stored []byte) bool {
	var token string
	if s == nil || s.keys == nil || json.Unmarshal(stored, &token) != nil {
		return false
	}
	return s.keys.SealedWithCurrent(token)
}

// sealVerifier returns the stored form of an OAuth state's PKCE code verifier: sealed with the
// Keyring, plain without one (CredentialsKey alone leaves verifiers plain, as before).
func (s *sealer) sealVerifier(state, verifier string) (string, error) {
	if s == nil || s.keys == nil || verifier == "" {
		return verifier, nil
	}
	sealed, err := s.keys.Seal([]byte(verifier), verifierAD(state))
	if err != nil {
		return "", fmt.Errorf("postgres: sealing an oauth code verifier: %w", err)
	}
	return sealed, nil
}

// openVerifier reverses sealVerifier; plain verifiers pass through.
func (s *sealer) openVerifier(state, stored string) (string, error) {
	if !seal.IsSealed(stored) {
		return stored, nil
	}
	var keys *seal.Keyring
	if s != nil {
		keys = s.keys
	}
	plain, err := keys.Open(stored, verifierAD(state))
	if err != nil {
		return "", fmt.Errorf("postgres: oauth code verifier: %w: %w", ErrSealed, err)
	}
	return string(plain), nil
}

// ResealCredentials rewrites the credentials of every connection that are not sealed with the
// Keyring's current key (plain rows, rows of older keys, rows sealed with Config.CredentialsKey),
// in transactions of ResealBatchSize connections, and returns how many it rewrote. It is safe
// while Engines in any process use the database: a row is rewritten only if it still holds the
// value that was read, and its Version is left alone. Every process should run with the new
// Keyring before the re-seal, or its later writes still use the old key. Rows that cannot be
// opened are left as they are and reported in the error, joined, after the others were done.
//
// Once it returns nil the older keys (and CredentialsKey) can be dropped. PostgreSQL keeps the
// replaced row versions until VACUUM reclaims them; a dump never contains them. Pending OAuth
// states (at most the Engine's OAuthStateTTL old) are not rewritten: keep an old key at least that
// long after the re-seal, or those connect flows fail and are started again. ErrNoKeyring without a
// Keyring.
func (s *Store) ResealCredentials(ctx context.Context) (int, error) {
	if s.sealer == nil || s.sealer.keys == nil {
		return 0, ErrNoKeyring
	}
	var total int
	var failures []error
	after := ""
	for {
		var batch []storedCredentials
		var resealed int
		var failed []error
		err := s.Update(ctx, func(tx omnichannel.Tx) error {
			t := tx.(*txn)
			resealed, failed = 0, nil // fn runs again after a serialization failure
			var err error
			if batch, err = t.credentialsAfter(after, ResealBatchSize); err != nil {
				return err
			}
			for _, row := range batch {
				if t.sealer.sealedWithCurrent(row.stored) {
					continue
				}
				plain, err := t.sealer.openBytes(row.id, row.stored)
				if err != nil {
					failed = append(failed, err)
					continue
				}
				var c omnichannel.Credentials
				if err := fromJSON(plain, &c); err != nil {
					failed = append(failed, fmt.Errorf("postgres: credentials of connection %q: %w", row.id, err))
					continue
				}
				sealed, err := t.sealer.seal(row.id, c)
				if err != nil {
					return err
				}
				tag, err := t.exec("reseal credentials", `UPDATE connections SET credentials = $1
					WHERE id = $2 AND credentials = $3::jsonb`, sealed, row.id, string(row.stored))
				if err != nil {
					return err
				}
				resealed += int(tag.RowsAffected())
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += resealed
		failures = append(failures, failed...)
		if len(batch) < ResealBatchSize {
			return total, errors.Join(failures...)
		}
		after = batch[len(batch)-1].id
	}
}

// storedCredentials is a connection id and its credentials column as stored.
type storedCredentials struct {
	id     string
	stored []byte
}

// credentialsAfter returns up to limit connections with an id greater than after, by id.
func (t *txn) credentialsAfter(after string, limit int) ([]storedCredentials, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT id, credentials FROM connections WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, t.fail("read credentials", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedCredentials, error) {
		var c storedCredentials
		err := r.Scan(&c.id, &c.stored)
		return c, err
	})
	if err != nil {
		return nil, t.fail("read credentials", err)
	}
	return out, nil
}
