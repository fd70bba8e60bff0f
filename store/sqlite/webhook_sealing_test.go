package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestWebhookSecretSealedAtRest: with a Keyring, an outgoing webhook endpoint's secret is not in
// the database file in the clear, and reads give it back.
func TestWebhookSecretSealedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dakenh.db")
	s := openSealed(t, path, testKeyring(t, "k1"))
	const secret = "whsec_sealed-at-rest-0123456789"
	ep := &omnichannel.WebhookEndpoint{WorkspaceID: "ws", ID: "h1", URL: "https://crm.example/h", Secret: secret, Enabled: true}
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error { return tx.InsertWebhookEndpoint(ep) }))
	raw := rawColumn(t, path, `SELECT secret FROM webhook_endpoints WHERE id = ?`, "h1")
	assert.NotContains(t, raw, "sealed-at-rest", "the secret is sealed")
	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		got, err := tx.GetWebhookEndpoint("ws", "h1")
		if err == nil {
			assert.Equal(t, omnichannel.WebhookSecret(secret), got.Secret)
		}
		return err
	}))
}
