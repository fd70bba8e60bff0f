package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestWebhookSecretSealedAtRest: with a Keyring, an outgoing webhook endpoint's secret is not in
// the database in the clear, and reads give it back.
func TestWebhookSecretSealedAtRest(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema, func(c *postgres.Config) { c.Keyring = sealKeyring(t, "k1") })
	const secret = "whsec_sealed-at-rest-0123456789"
	ep := &omnichannel.WebhookEndpoint{WorkspaceID: "ws", ID: "h1", URL: "https://crm.example/h", Secret: secret, Enabled: true}
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error { return tx.InsertWebhookEndpoint(ep) }))
	var raw string
	require.NoError(t, sealDB(t).QueryRow(ctx, "SELECT doc::text FROM "+schema+".webhook_endpoints WHERE id = 'h1'").Scan(&raw))
	assert.NotContains(t, raw, "sealed-at-rest", "the secret is sealed")
	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		got, err := tx.GetWebhookEndpoint("ws", "h1")
		if err == nil {
			assert.Equal(t, omnichannel.WebhookSecret(secret), got.Secret)
		}
		return err
	}))
}
