package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// webhookTests check store.WebhookTx: endpoints round-trip (their secret included), updates are
// compare-and-set, the enabled list spans workspaces, and the delivery log lists newest first,
// prunes by age and goes with its endpoint.
func webhookTests() []test {
	return []test{
		{"EndpointLifecycle", testWebhookEndpointLifecycle},
		{"EnabledAcrossWorkspaces", testWebhookEnabled},
		{"DeliveryLog", testWebhookDeliveryLog},
	}
}

func fullWebhook(ws, id string) *model.WebhookEndpoint {
	return &model.WebhookEndpoint{WorkspaceID: ws, ID: id, URL: "https://crm.example/hooks/" + id,
		Secret: model.WebhookSecret("whsec_" + id), Kinds: []model.EventKind{model.EventMessageCreated}, Enabled: true, Cursor: 7,
		Failures: 2, FailingSince: at(time.Minute), NextAttemptAt: at(2 * time.Minute), CreatedAt: t0, UpdatedAt: at(time.Second)}
}

func getWebhook(t *testing.T, s store.Store, ws, id string) *model.WebhookEndpoint {
	t.Helper()
	return read(t, s, func(tx store.Tx) (*model.WebhookEndpoint, error) { return tx.GetWebhookEndpoint(ws, id) })
}

func testWebhookEndpointLifecycle(t *testing.T, s store.Store) {
	w := fullWebhook(ws1, "h1")
	update(t, s, func(tx store.Tx) error { return tx.InsertWebhookEndpoint(w) })
	same(t, w, getWebhook(t, s, ws1, "h1"), "every field round-trips, the secret included")
	require.ErrorIs(t, write(t, s, func(tx store.Tx) error { return tx.InsertWebhookEndpoint(fullWebhook(ws1, "h1")) }),
		model.ErrDuplicate)
	_, err := readErr(t, s, func(tx store.Tx) (*model.WebhookEndpoint, error) { return tx.GetWebhookEndpoint(ws2, "h1") })
	require.ErrorIs(t, err, model.ErrNotFound, "endpoints are scoped to their workspace")

	got := getWebhook(t, s, ws1, "h1")
	got.Cursor, got.Failures, got.Enabled, got.Secret, got.DisabledReason = 42, 0, false, "rotated", "too many failures"
	update(t, s, func(tx store.Tx) error { return tx.UpdateWebhookEndpoint(got) })
	assert.Equal(t, w.Version+1, got.Version, "the update increments Version in its argument")
	same(t, got, getWebhook(t, s, ws1, "h1"))
	stale := *got
	stale.Version--
	require.ErrorIs(t, write(t, s, func(tx store.Tx) error { return tx.UpdateWebhookEndpoint(&stale) }), model.ErrConflict)
	missing := fullWebhook(ws1, "absent")
	require.ErrorIs(t, write(t, s, func(tx store.Tx) error { return tx.UpdateWebhookEndpoint(missing) }), model.ErrNotFound)

	update(t, s, func(tx store.Tx) error { return tx.InsertWebhookEndpoint(fullWebhook(ws1, "h0")) })
	list := read(t, s, func(tx store.Tx) ([]*model.WebhookEndpoint, error) { return tx.ListWebhookEndpoints(ws1) })
	require.Len(t, list, 2)
	assert.Equal(t, []string{"h0", "h1"}, []string{list[0].ID, list[1].ID}, "ordered by id")

	update(t, s, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ws1, "h1") })
	require.ErrorIs(t, write(t, s, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ws1, "h1") }), model.ErrNotFound)
	_, err = readErr(t, s, func(tx store.Tx) (*model.WebhookEndpoint, error) { return tx.GetWebhookEndpoint(ws1, "h1") })
	require.ErrorIs(t, err, model.ErrNotFound)
}

func testWebhookEnabled(t *testing.T, s store.Store) {
	off := fullWebhook(ws1, "off")
	off.Enabled = false
	update(t, s, func(tx store.Tx) error {
		for _, w := range []*model.WebhookEndpoint{fullWebhook(ws2, "b"), fullWebhook(ws1, "a"), off} {
			if err := tx.InsertWebhookEndpoint(w); err != nil {
				return err
			}
		}
		return nil
	})
	got := read(t, s, func(tx store.Tx) ([]*model.WebhookEndpoint, error) { return tx.ListEnabledWebhookEndpoints() })
	require.Len(t, got, 2)
	assert.Equal(t, []string{ws1 + "/a", ws2 + "/b"}, []string{got[0].WorkspaceID + "/" + got[0].ID, got[1].WorkspaceID + "/" + got[1].ID})
	assert.Equal(t, model.WebhookSecret("whsec_a"), got[0].Secret)
}

func testWebhookDeliveryLog(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error { return tx.InsertWebhookEndpoint(fullWebhook(ws1, "h1")) })
	update(t, s, func(tx store.Tx) error { return tx.InsertWebhookEndpoint(fullWebhook(ws1, "h2")) })
	d := func(id, endpoint string, age time.Duration) *model.WebhookDelivery {
		return &model.WebhookDelivery{WorkspaceID: ws1, EndpointID: endpoint, ID: id, At: at(age), FirstPosition: 3,
			LastPosition: 9, Events: 4, Attempt: 2, StatusCode: 503, Duration: 1500 * time.Microsecond,
			ErrorClass: "status", Response: "unavailable"}
	}
	first := d("d1", "h1", 0)
	update(t, s, func(tx store.Tx) error {
		for _, x := range []*model.WebhookDelivery{first, d("d2", "h1", time.Hour), d("d3", "h1", 2*time.Hour), d("d4", "h2", 0)} {
			if err := tx.InsertWebhookDelivery(x); err != nil {
				return err
			}
		}
		return nil
	})
	require.ErrorIs(t, write(t, s, func(tx store.Tx) error { return tx.InsertWebhookDelivery(d("d1", "h1", 0)) }), model.ErrDuplicate)
	log := func(endpoint string, limit int) []string {
		got := read(t, s, func(tx store.Tx) ([]*model.WebhookDelivery, error) {
			return tx.ListWebhookDeliveries(ws1, endpoint, limit)
		})
		ids := []string{}
		for _, x := range got {
			ids = append(ids, x.ID)
		}
		return ids
	}
	assert.Equal(t, []string{"d3", "d2"}, log("h1", 2), "newest first, up to the limit")
	all := read(t, s, func(tx store.Tx) ([]*model.WebhookDelivery, error) { return tx.ListWebhookDeliveries(ws1, "h1", 10) })
	same(t, first, all[2], "every field round-trips")

	n := modify(t, s, func(tx store.Tx) (int, error) { return tx.PruneWebhookDeliveries(at(90*time.Minute), 100) })
	assert.Equal(t, 3, n, "entries older than the bound, in every endpoint")
	assert.Equal(t, []string{"d3"}, log("h1", 10))
	assert.Empty(t, log("h2", 10))

	update(t, s, func(tx store.Tx) error { return tx.DeleteWebhookEndpoint(ws1, "h1") })
	assert.Empty(t, log("h1", 10), "the log goes with its endpoint")
}
