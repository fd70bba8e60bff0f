package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
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
	require.ErrorIs(t, err, postgres.ErrInvalidConfig)
}
