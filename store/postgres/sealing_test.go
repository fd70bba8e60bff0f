package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/internal/sealtest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestCredentialsEncryptedAtRest: with a CredentialsKey the provider tokens are not readable in the
// database, come back intact through the store, and a store with another key or none refuses them.
func TestCredentialsEncryptedAtRest(t *testing.T) {
	schema := newSchema(t)
	key := bytes.Repeat([]byte{7}, 32)
	plain := openStore(t, schema)
	sealed := openStore(t, schema, func(c *postgres.Config) { c.CredentialsKey = key })
	ctx := context.Background()
	conn := &omnichannel.Connection{WorkspaceID: "ws", ID: "conn-1", Kind: "zalooa", ExternalID: "oa-1",
		Status: omnichannel.ConnectionConnected, Credentials: omnichannel.Credentials{AccessToken: "at-SECRET-1",
			RefreshToken: "rt-SECRET-2", AccessExpiry: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Scopes: []string{"message"}}}
	get := func(s *postgres.Store) (*omnichannel.Connection, error) {
		var c *omnichannel.Connection
		err := s.View(ctx, func(tx omnichannel.Tx) (err error) {
			c, err = tx.FindConnectionByID("conn-1")
			return err
		})
		return c, err
	}
	raw := func() string {
		db, err := pgx.Connect(ctx, databaseURL(t))
		require.NoError(t, err)
		defer db.Close(ctx)
		var v string
		require.NoError(t, db.QueryRow(ctx, "SELECT credentials::text FROM "+schema+".connections WHERE id = 'conn-1'").Scan(&v))
		return v
	}

	// A row written without a key is read with the key, and sealed when it is next written.
	require.NoError(t, plain.Update(ctx, func(tx omnichannel.Tx) error { return tx.PutConnection(conn) }))
	assert.Contains(t, raw(), "at-SECRET-1")
	got, err := get(sealed)
	require.NoError(t, err)
	assert.Equal(t, "rt-SECRET-2", got.Credentials.RefreshToken)

	require.NoError(t, sealed.Update(ctx, func(tx omnichannel.Tx) error { return tx.UpdateConnection(got) }))
	stored := raw()
	assert.NotContains(t, stored, "SECRET")
	assert.Contains(t, stored, "sealed")
	got, err = get(sealed)
	require.NoError(t, err)
	assert.Equal(t, conn.Credentials.AccessToken, got.Credentials.AccessToken)
	assert.Equal(t, conn.Credentials.RefreshToken, got.Credentials.RefreshToken)
	assert.True(t, conn.Credentials.AccessExpiry.Equal(got.Credentials.AccessExpiry))
	assert.Equal(t, conn.Credentials.Scopes, got.Credentials.Scopes)

	_, err = get(plain)
	require.ErrorIs(t, err, postgres.ErrSealed, "a store without the key")
	other := openStore(t, schema, func(c *postgres.Config) { c.CredentialsKey = bytes.Repeat([]byte{8}, 32) })
	_, err = get(other)
	require.ErrorIs(t, err, postgres.ErrSealed, "a store with another key")
	assert.NotContains(t, err.Error(), "SECRET")

	_, err = postgres.Open(ctx, postgres.Config{URL: databaseURL(t), Schema: schema, CredentialsKey: []byte("short")})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
}

func sealKeyring(t *testing.T, ids ...string) *seal.Keyring {
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

// sealDB runs raw SQL against the test database, outside any Store.
func sealDB(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close(ctx) })
	return db
}

func sealRawCredentials(t *testing.T, db *pgx.Conn, schema, id string) string {
	t.Helper()
	var v string
	require.NoError(t, db.QueryRow(context.Background(),
		"SELECT credentials::text FROM "+schema+".connections WHERE id = $1", id).Scan(&v))
	return v
}

// pgDump returns the data of schema as pg_dump prints it. pg_dump comes with the server
// (/usr/lib/postgresql/<version>/bin), which the tests of this package need anyway.
func pgDump(t *testing.T, schema string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		require.NotEmpty(t, found, "pg_dump is not on PATH nor under /usr/lib/postgresql/*/bin")
		bin = found[len(found)-1]
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--data-only", "--schema="+schema, "--dbname="+databaseURL(t))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "pg_dump: %s", stderr.String())
	return out
}

// The grep test: a Zalo OA connected through the Engine and the emulator's consent page leaves
// its tokens in a pg_dump in the clear without a keyring, and no token or verifier with one.
func TestSecretsNotInDump(t *testing.T) {
	for _, c := range []struct {
		name string
		keys *seal.Keyring
	}{{"without keyring", nil}, {"with keyring", sealKeyring(t, "k1")}} {
		t.Run(c.name, func(t *testing.T) {
			schema := newSchema(t)
			s := openStore(t, schema, func(cfg *postgres.Config) { cfg.Keyring = c.keys })
			secrets := sealtest.ConnectZalo(t, s)
			got, err := sealtest.Get(s, secrets.ConnectionID)
			require.NoError(t, err)
			assert.Equal(t, secrets.RefreshToken, got.Credentials.RefreshToken)

			dump := pgDump(t, schema)
			require.Contains(t, string(dump), "COPY "+schema+".connections", "the dump holds the connections table")
			found := sealtest.Find(dump, secrets.All())
			if c.keys == nil {
				assert.Subset(t, found, []string{secrets.AccessToken, secrets.RefreshToken},
					"the test sees plain tokens when nothing encrypts them")
				return
			}
			assert.Empty(t, found, "plain secrets in the dump")
		})
	}
}

// Credentials round-trip through a keyed store, are stored sealed with the current key and bound
// to their row, and refuse to open with a missing key, another key of the same id, after tampering
// or in another row; no error carries a token.
func TestKeyringSealsCredentials(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	s := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k1") })
	db := sealDB(t)
	want := sealtest.Connection("conn-1")
	sealtest.Put(t, s, want, sealtest.Connection("conn-2"))

	raw := sealRawCredentials(t, db, schema, "conn-1")
	assert.True(t, strings.HasPrefix(raw, `"sealed:v1:k1:`), raw)
	assert.NotContains(t, raw, "SECRET")
	got, err := sealtest.Get(s, "conn-1")
	require.NoError(t, err)
	assert.Equal(t, want.Credentials.AccessToken, got.Credentials.AccessToken)
	assert.Equal(t, want.Credentials.RefreshToken, got.Credentials.RefreshToken)
	assert.True(t, want.Credentials.AccessExpiry.Equal(got.Credentials.AccessExpiry))
	assert.Equal(t, want.Credentials.Scopes, got.Credentials.Scopes)
	assert.Equal(t, want.Credentials.Extra, got.Credentials.Extra)

	got.Credentials.AccessToken = "at-SECRET-rotated"
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error { return tx.UpdateConnection(got) }))
	assert.NotContains(t, sealRawCredentials(t, db, schema, "conn-1"), "SECRET")
	got, err = sealtest.Get(s, "conn-1")
	require.NoError(t, err)
	assert.Equal(t, "at-SECRET-rotated", got.Credentials.AccessToken)

	otherMaterial, err := seal.NewKey("k1", bytes.Repeat([]byte{0x77}, seal.KeySize))
	require.NoError(t, err)
	otherRing, err := seal.NewKeyring(otherMaterial)
	require.NoError(t, err)
	for _, r := range []struct {
		name string
		keys *seal.Keyring
		want error
	}{
		{"store without keyring", nil, seal.ErrUnknownKey},
		{"keyring without k1", sealKeyring(t, "k2"), seal.ErrUnknownKey},
		{"k1 with other material", otherRing, seal.ErrTampered},
	} {
		_, err := sealtest.Get(openStore(t, schema, func(c *postgres.Config) { c.Keyring = r.keys }), "conn-1")
		require.ErrorIs(t, err, postgres.ErrSealed, r.name)
		require.ErrorIs(t, err, r.want, r.name)
		assert.NotContains(t, err.Error(), "SECRET", r.name)
	}

	sealed := sealRawCredentials(t, db, schema, "conn-1")
	i := len(sealed) - 6
	// Another letter of the base64 alphabet: the value still decodes, and only the AEAD check can
	// tell (flipping a bit could make a character outside the alphabet, a decoding error instead).
	swap := byte('A')
	if sealed[i] == 'A' {
		swap = 'B'
	}
	flipped := sealed[:i] + string(swap) + sealed[i+1:]
	for name, v := range map[string]string{"flipped byte": flipped, "copied from conn-2": sealRawCredentials(t, db, schema, "conn-2")} {
		_, err := db.Exec(ctx, "UPDATE "+schema+".connections SET credentials = $1::jsonb WHERE id = 'conn-1'", v)
		require.NoError(t, err)
		_, err = sealtest.Get(s, "conn-1")
		require.ErrorIs(t, err, seal.ErrTampered, name)
		assert.NotContains(t, err.Error(), "SECRET", name)
	}

	_, err = postgres.Open(ctx, postgres.Config{URL: databaseURL(t), Schema: schema, Keyring: &seal.Keyring{}})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
}

// Rotation: plain rows and rows sealed with the older CredentialsKey open with a Keyring (keeping
// CredentialsKey beside it); ResealCredentials moves them to the current key in batches, after
// which CredentialsKey can be dropped; after a new key is put first, a re-seal moves every row
// again and the old key can be dropped too.
func TestKeyRotationWithReseal(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	db := sealDB(t)
	legacyKey := bytes.Repeat([]byte{7}, 32)
	const n = postgres.ResealBatchSize + 20
	var plainRows, legacyRows []*omnichannel.Connection
	for i := range n {
		c := sealtest.Connection(fmt.Sprintf("conn-%03d", i))
		if i%2 == 0 {
			plainRows = append(plainRows, c)
		} else {
			legacyRows = append(legacyRows, c)
		}
	}
	plain := openStore(t, schema)
	sealtest.Put(t, plain, plainRows...)
	_, err := plain.ResealCredentials(ctx)
	require.ErrorIs(t, err, postgres.ErrNoKeyring)
	sealtest.Put(t, openStore(t, schema, func(c *postgres.Config) { c.CredentialsKey = legacyKey }), legacyRows...)
	assert.Contains(t, sealRawCredentials(t, db, schema, "conn-001"), `"sealed"`)

	v1 := openStore(t, schema, func(c *postgres.Config) {
		c.Keyring, c.CredentialsKey = sealKeyring(t, "k1"), legacyKey
	})
	for _, id := range []string{"conn-000", "conn-001"} {
		got, err := sealtest.Get(v1, id)
		require.NoError(t, err, "plain and CredentialsKey rows open")
		assert.Equal(t, "at-SECRET-"+id, got.Credentials.AccessToken)
	}
	resealed, err := v1.ResealCredentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, resealed)
	resealed, err = v1.ResealCredentials(ctx)
	require.NoError(t, err)
	assert.Zero(t, resealed, "rows sealed with the current key are left alone")
	dump := string(pgDump(t, schema))
	assert.NotContains(t, dump, "SECRET")

	v2 := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k2", "k1") })
	got, err := sealtest.Get(v2, "conn-001")
	require.NoError(t, err, "CredentialsKey dropped after the re-seal; k1 rows open with k2 first")
	assert.Equal(t, "rt-SECRET-conn-001", got.Credentials.RefreshToken)
	resealed, err = v2.ResealCredentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, resealed)
	assert.True(t, strings.HasPrefix(sealRawCredentials(t, db, schema, "conn-119"), `"sealed:v1:k2:`))

	k2only := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k2") })
	for _, id := range []string{"conn-000", "conn-001", "conn-119"} {
		got, err := sealtest.Get(k2only, id)
		require.NoError(t, err, "the old key can be dropped after the re-seal")
		assert.Equal(t, "at-SECRET-"+id, got.Credentials.AccessToken)
	}
	_, err = sealtest.Get(openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k1") }), "conn-000")
	assert.ErrorIs(t, err, seal.ErrUnknownKey, "k1 alone no longer opens anything")

	// A row whose key is gone is reported by name and the others are still done.
	_, err = db.Exec(ctx, "UPDATE "+schema+".connections SET credentials = to_jsonb($1::text) WHERE id = 'conn-000'",
		"sealed:v1:gone:"+strings.Repeat("A", 60))
	require.NoError(t, err)
	k3 := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k3", "k2") })
	resealed, err = k3.ResealCredentials(ctx)
	require.ErrorIs(t, err, seal.ErrUnknownKey)
	assert.Contains(t, err.Error(), "conn-000")
	assert.Equal(t, n-1, resealed)
}

// ResealCredentials runs while writers update connections: no update is lost and the versions
// are untouched by the re-seal.
func TestResealWhileWriting(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	var conns []*omnichannel.Connection
	for i := range 20 {
		conns = append(conns, sealtest.Connection(fmt.Sprintf("conn-%02d", i)))
	}
	sealtest.Put(t, openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k1") }), conns...)
	s := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k2", "k1") })

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for r := range 10 {
				id := fmt.Sprintf("conn-%02d", w*5+r%5)
				assert.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
					c, err := tx.GetConnection("ws", id)
					if err != nil {
						return err
					}
					c.Credentials.AccessToken = fmt.Sprintf("at-%s-round-%d", id, r)
					return tx.UpdateConnection(c)
				}))
			}
		})
	}
	_, err := s.ResealCredentials(ctx)
	require.NoError(t, err)
	wg.Wait()
	for w := range 4 {
		for k := range 5 {
			id := fmt.Sprintf("conn-%02d", w*5+k)
			c, err := sealtest.Get(s, id)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("at-%s-round-%d", id, 5+k), c.Credentials.AccessToken)
			assert.Equal(t, int64(2), c.Version, "two updates per connection, none by the re-seal")
		}
	}
}

// The PKCE code verifier of a pending connect flow is sealed and bound to its state; plain rows
// written without a keyring still open.
func TestOAuthVerifierSealed(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	db := sealDB(t)
	plain := openStore(t, schema)
	s := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k1") })
	insert := func(st *postgres.Store, state, verifier string) { sealtest.InsertOAuthState(t, st, state, verifier) }
	take := func(state string) (*omnichannel.OAuthState, error) { return sealtest.TakeOAuthState(s, state) }
	insert(s, "st-1", "cv-SECRET-1")
	insert(s, "st-2", "cv-SECRET-2")
	insert(plain, "st-old", "cv-plain")
	var raw string
	require.NoError(t, db.QueryRow(ctx, "SELECT doc->>'CodeVerifier' FROM "+schema+".oauth_states WHERE state = 'st-1'").Scan(&raw))
	assert.True(t, strings.HasPrefix(raw, "sealed:v1:k1:"), raw)

	got, err := take("st-1")
	require.NoError(t, err)
	assert.Equal(t, "cv-SECRET-1", got.CodeVerifier)
	got, err = take("st-old")
	require.NoError(t, err)
	assert.Equal(t, "cv-plain", got.CodeVerifier)

	_, err = db.Exec(ctx, "UPDATE "+schema+".oauth_states SET doc = jsonb_set(doc, '{CodeVerifier}', to_jsonb($1::text)) WHERE state = 'st-2'", raw)
	require.NoError(t, err)
	_, err = take("st-2")
	require.ErrorIs(t, err, seal.ErrTampered, "st-1's verifier copied to st-2")
	assert.NotContains(t, err.Error(), "SECRET")
}
