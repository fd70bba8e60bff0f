package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/internal/sealtest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
	"github.com/dakenh/dakenh/store/sqlite"
)

func testKeyring(t *testing.T, ids ...string) *seal.Keyring {
	t.Helper()
	var keys []seal.Key
	for _, id := range ids {
		// The material is derived from the id, so the same id always means the same key.
		k, err := seal.NewKey(id, bytes.Repeat([]byte(id[:1]), seal.KeySize))
		require.NoError(t, err)
		keys = append(keys, k)
	}
	r, err := seal.NewKeyring(keys...)
	require.NoError(t, err)
	return r
}

func openSealed(t *testing.T, path string, keys *seal.Keyring) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Keyring: keys})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// rawColumn reads one column of one row straight from the file.
func rawColumn(t *testing.T, path, query string, args ...any) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var v string
	require.NoError(t, db.QueryRow(query, args...).Scan(&v))
	return v
}

func rawCredentials(t *testing.T, path, id string) string {
	return rawColumn(t, path, `SELECT credentials FROM connections WHERE id = ?`, id)
}

// The grep test: a Zalo OA connected through the Engine and the emulator's consent page leaves
// its tokens and PKCE verifier in the database files in the clear without a keyring, and nowhere
// in the database, -wal or -shm file with one.
func TestSecretsNotInDatabaseFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		keys *seal.Keyring
	}{{"without keyring", nil}, {"with keyring", testKeyring(t, "k1")}} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "inbox.db")
			s := openSealed(t, path, c.keys)
			secrets := sealtest.ConnectZalo(t, s)
			got, err := sealtest.Get(s, secrets.ConnectionID)
			require.NoError(t, err)
			assert.Equal(t, secrets.AccessToken, got.Credentials.AccessToken)
			assert.Equal(t, secrets.RefreshToken, got.Credentials.RefreshToken)

			files, n := sealtest.ReadFiles(t, path, path+"-wal", path+"-shm")
			require.Equal(t, 3, n, "the database, -wal and -shm files while the store is open")
			found := sealtest.Find(files, secrets.All())
			if c.keys == nil {
				assert.Subset(t, found, []string{secrets.AccessToken, secrets.RefreshToken},
					"the test sees plain tokens when nothing encrypts them")
				return
			}
			assert.Empty(t, found, "plain secrets in the database files")
			require.NoError(t, s.Close())
			files, _ = sealtest.ReadFiles(t, path, path+"-wal", path+"-shm")
			assert.Empty(t, sealtest.Find(files, secrets.All()), "plain secrets in the files after Close")
		})
	}
}

// Credentials round-trip through a keyed store, are stored sealed with the current key and bound
// to their row, and refuse to open with a missing key, another key of the same id, after tampering
// or in another row; no error carries a token.
func TestCredentialsSealedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.db")
	s := openSealed(t, path, testKeyring(t, "k1"))
	want := sealtest.Connection("conn-1")
	sealtest.Put(t, s, want, sealtest.Connection("conn-2"))

	raw := rawCredentials(t, path, "conn-1")
	assert.True(t, strings.HasPrefix(raw, "sealed:v1:k1:"), raw)
	assert.NotContains(t, raw, "SECRET")
	got, err := sealtest.Get(s, "conn-1")
	require.NoError(t, err)
	assert.Equal(t, want.Credentials.AccessToken, got.Credentials.AccessToken)
	assert.Equal(t, want.Credentials.RefreshToken, got.Credentials.RefreshToken)
	assert.True(t, want.Credentials.AccessExpiry.Equal(got.Credentials.AccessExpiry))
	assert.Equal(t, want.Credentials.Scopes, got.Credentials.Scopes)
	assert.Equal(t, want.Credentials.Extra, got.Credentials.Extra)

	// An update through UpdateConnection seals again (a new nonce) and keeps the values.
	got.Credentials.AccessToken = "at-SECRET-rotated"
	require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error { return tx.UpdateConnection(got) }))
	assert.NotEqual(t, raw, rawCredentials(t, path, "conn-1"))
	assert.NotContains(t, rawCredentials(t, path, "conn-1"), "SECRET")
	got, err = sealtest.Get(s, "conn-1")
	require.NoError(t, err)
	assert.Equal(t, "at-SECRET-rotated", got.Credentials.AccessToken)

	refusals := []struct {
		name  string
		store *sqlite.Store
		want  error
	}{
		{"store without keyring", openSealed(t, path, nil), seal.ErrUnknownKey},
		{"keyring without k1", openSealed(t, path, testKeyring(t, "k2")), seal.ErrUnknownKey},
		{"k1 with other material", openSealed(t, path, keyringWithMaterial(t, "k1", 0x77)), seal.ErrTampered},
	}
	for _, r := range refusals {
		_, err := sealtest.Get(r.store, "conn-1")
		require.ErrorIs(t, err, r.want, r.name)
		assert.NotContains(t, err.Error(), "SECRET", r.name)
	}

	// Tampering with the stored value, or copying conn-2's sealed value into conn-1.
	sealed := rawCredentials(t, path, "conn-1")
	i := len(sealed) - 5
	// Another letter of the base64 alphabet: the value still decodes, and only the AEAD check can
	// tell (flipping a bit could make a character outside the alphabet, a decoding error instead).
	swap := byte('A')
	if sealed[i] == 'A' {
		swap = 'B'
	}
	flipped := sealed[:i] + string(swap) + sealed[i+1:]
	for name, v := range map[string]string{"flipped byte": flipped, "copied from conn-2": rawCredentials(t, path, "conn-2")} {
		require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
			return sqlite.ExecInTx(tx, `UPDATE connections SET credentials = ? WHERE id = 'conn-1'`, v)
		}))
		_, err := sealtest.Get(s, "conn-1")
		require.ErrorIs(t, err, seal.ErrTampered, name)
		assert.NotContains(t, err.Error(), "SECRET", name)
	}
}

func keyringWithMaterial(t *testing.T, id string, fill byte) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKey(id, bytes.Repeat([]byte{fill}, seal.KeySize))
	require.NoError(t, err)
	r, err := seal.NewKeyring(k)
	require.NoError(t, err)
	return r
}

// Rotation: plain rows of a store without keys open with a keyring and are sealed by
// ResealCredentials (in batches); after a new key is put first, old rows still open, a re-seal
// moves them to the new key, and then the old key can be dropped. After the re-seal and Compact
// the plain tokens are gone from the database files.
func TestKeyRotationWithReseal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	const n = sqlite.ResealBatchSize + 20
	var conns []*omnichannel.Connection
	var secrets []string
	for i := range n {
		c := sealtest.Connection(fmt.Sprintf("conn-%03d", i))
		conns = append(conns, c)
		secrets = append(secrets, c.Credentials.AccessToken, c.Credentials.RefreshToken)
	}
	plain := openSealed(t, path, nil)
	sealtest.Put(t, plain, conns...)
	_, err := plain.ResealCredentials(ctx)
	require.ErrorIs(t, err, sqlite.ErrNoKeyring)
	require.NoError(t, plain.Close())
	files, _ := sealtest.ReadFiles(t, path, path+"-wal")
	require.Len(t, sealtest.Find(files, secrets), len(secrets), "plain rows are visible before the re-seal")

	v1 := openSealed(t, path, testKeyring(t, "k1"))
	got, err := sealtest.Get(v1, "conn-007")
	require.NoError(t, err, "plain rows open with a keyring")
	assert.Equal(t, "at-SECRET-conn-007", got.Credentials.AccessToken)
	resealed, err := v1.ResealCredentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, resealed)
	assert.True(t, strings.HasPrefix(rawCredentials(t, path, "conn-119"), "sealed:v1:k1:"))
	resealed, err = v1.ResealCredentials(ctx)
	require.NoError(t, err)
	assert.Zero(t, resealed, "rows sealed with the current key are left alone")
	files, _ = sealtest.ReadFiles(t, path, path+"-wal", path+"-shm")
	assert.Less(t, len(sealtest.Find(files, secrets)), len(secrets)/2, "the WAL is truncated, pages rewritten")
	require.NoError(t, v1.Compact(ctx))
	files, _ = sealtest.ReadFiles(t, path, path+"-wal", path+"-shm")
	assert.Empty(t, sealtest.Find(files, secrets), "plain tokens left in the files after re-seal and Compact")
	require.NoError(t, v1.Close())

	v2 := openSealed(t, path, testKeyring(t, "k2", "k1"))
	got, err = sealtest.Get(v2, "conn-007")
	require.NoError(t, err, "k1 rows open with k2 first")
	assert.Equal(t, "rt-SECRET-conn-007", got.Credentials.RefreshToken)
	sealtest.Put(t, v2, sealtest.Connection("conn-new"))
	assert.True(t, strings.HasPrefix(rawCredentials(t, path, "conn-new"), "sealed:v1:k2:"), "new writes use the current key")
	resealed, err = v2.ResealCredentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, resealed, "every k1 row moved, conn-new already on k2")
	require.NoError(t, v2.Close())

	k2only := openSealed(t, path, testKeyring(t, "k2"))
	for _, id := range []string{"conn-000", "conn-119", "conn-new"} {
		got, err := sealtest.Get(k2only, id)
		require.NoError(t, err, "the old key can be dropped after the re-seal")
		assert.Equal(t, "at-SECRET-"+id, got.Credentials.AccessToken)
	}
	_, err = sealtest.Get(openSealed(t, path, testKeyring(t, "k1")), "conn-000")
	assert.ErrorIs(t, err, seal.ErrUnknownKey, "k1 alone no longer opens anything")

	// A row whose key is gone is reported by name and the others are still done.
	require.NoError(t, k2only.Update(ctx, func(tx omnichannel.Tx) error {
		return sqlite.ExecInTx(tx, `UPDATE connections SET credentials = ? WHERE id = 'conn-000'`,
			"sealed:v1:gone:"+strings.Repeat("A", 60))
	}))
	k3 := openSealed(t, path, testKeyring(t, "k3", "k2"))
	resealed, err = k3.ResealCredentials(ctx)
	require.ErrorIs(t, err, seal.ErrUnknownKey)
	assert.Contains(t, err.Error(), "conn-000")
	assert.Equal(t, n, resealed)
}

// ResealCredentials runs while writers update connections: no update is lost, every row ends
// sealed with the current key, and versions are untouched by the re-seal.
func TestResealWhileWriting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	var conns []*omnichannel.Connection
	for i := range 40 {
		conns = append(conns, sealtest.Connection(fmt.Sprintf("conn-%02d", i)))
	}
	sealtest.Put(t, openSealed(t, path, testKeyring(t, "k1")), conns...)
	s := openSealed(t, path, testKeyring(t, "k2", "k1"))

	var wg sync.WaitGroup
	const rounds = 20
	for w := range 4 {
		wg.Go(func() {
			for r := range rounds {
				id := fmt.Sprintf("conn-%02d", w*10+r%10)
				err := s.Update(ctx, func(tx omnichannel.Tx) error {
					c, err := tx.GetConnection("ws", id)
					if err != nil {
						return err
					}
					c.Credentials.AccessToken = fmt.Sprintf("at-%s-round-%d", id, r)
					return tx.UpdateConnection(c)
				})
				assert.NoError(t, err)
			}
		})
	}
	_, err := s.ResealCredentials(ctx)
	require.NoError(t, err)
	wg.Wait()
	_, err = s.ResealCredentials(ctx)
	require.NoError(t, err)

	for w := range 4 {
		for k := range 10 {
			id := fmt.Sprintf("conn-%02d", w*10+k)
			c, err := sealtest.Get(s, id)
			require.NoError(t, err)
			last := rounds - 10 + k
			assert.Equal(t, fmt.Sprintf("at-%s-round-%d", id, last), c.Credentials.AccessToken)
			assert.Equal(t, int64(2), c.Version, "two updates per connection, none by the re-seal")
			assert.True(t, strings.HasPrefix(rawCredentials(t, path, id), "sealed:v1:k2:"))
		}
	}
}

// The PKCE code verifier of a pending connect flow is sealed and bound to its state; plain rows
// written without a keyring still open.
func TestOAuthVerifierSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	plain := openSealed(t, path, nil)
	s := openSealed(t, path, testKeyring(t, "k1"))
	insert := func(st *sqlite.Store, state, verifier string) { sealtest.InsertOAuthState(t, st, state, verifier) }
	take := func(state string) (*omnichannel.OAuthState, error) { return sealtest.TakeOAuthState(s, state) }
	insert(s, "st-1", "cv-SECRET-1")
	insert(s, "st-2", "cv-SECRET-2")
	insert(plain, "st-old", "cv-plain")
	raw := rawColumn(t, path, `SELECT code_verifier FROM oauth_states WHERE state = 'st-1'`)
	assert.True(t, strings.HasPrefix(raw, "sealed:v1:k1:"), raw)

	got, err := take("st-1")
	require.NoError(t, err)
	assert.Equal(t, "cv-SECRET-1", got.CodeVerifier)
	got, err = take("st-old")
	require.NoError(t, err)
	assert.Equal(t, "cv-plain", got.CodeVerifier)

	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		return sqlite.ExecInTx(tx, `UPDATE oauth_states SET code_verifier = ? WHERE state = 'st-2'`, raw)
	}))
	_, err = take("st-2")
	require.ErrorIs(t, err, seal.ErrTampered, "st-1's verifier copied to st-2")
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestKeyringConfigValidated(t *testing.T) {
	_, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "x.db"), Keyring: &seal.Keyring{}})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
	assert.Contains(t, err.Error(), "Keyring")
}
