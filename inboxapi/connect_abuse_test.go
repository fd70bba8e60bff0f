package inboxapi_test

import (
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestConnectStateAbuse: forged, missing, expired, another user's and tampered connect callbacks
// are refused with a stable connect_error code and change no connection.
func TestConnectStateAbuse(t *testing.T) {
	var skew atomic.Int64
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		c.OAuthStateTTL = 10 * time.Minute
	})
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutUser(&oc.User{WorkspaceID: wsA, ID: "sup2", Name: "Phó Giám Sát", Role: oc.RoleSupervisor, Active: true})
	}))
	connections := func() []*oc.Connection {
		var out []*oc.Connection
		require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
			for _, ws := range []string{wsA, wsB} {
				cs, err := tx.ListConnections(ws)
				if err != nil {
					return err
				}
				out = append(out, cs...)
			}
			return nil
		}))
		return out
	}
	// consent starts a flow as user and plays the provider's consent; it returns the callback query.
	consent := func(user string) url.Values {
		u, _ := e.startConnect(user, inboxapi.ConnectRequest{})
		q, err := e.prov.Consent(e.ctx, u)
		require.NoError(t, err)
		return q
	}
	before := connections()

	cases := []struct {
		name  string
		user  string
		query func() url.Values
		code  string
	}{
		{"forged state", supA, func() url.Values {
			q := consent(supA)
			q.Set("state", "forged-"+q.Get("state")[:8])
			return q
		}, "bad_state"},
		{"no state", supA, func() url.Values {
			q := consent(supA)
			q.Del("state")
			return q
		}, "bad_state"},
		{"state of another supervisor of the workspace", supA, func() url.Values { return consent("ws-a/sup2") }, "bad_state"},
		{"state of workspace B used by A", supA, func() url.Values { return consent(supB) }, "bad_state"},
		{"expired state", supA, func() url.Values {
			q := consent(supA)
			skew.Add(int64(11 * time.Minute))
			return q
		}, "bad_state"},
		{"replayed state", supA, func() url.Values {
			q := consent(supA)
			q.Set("code", "tampered-"+q.Get("code"))
			assert.Equal(t, "exchange_failed", e.callback(supA, q, nil).Query().Get("connect_error"), "tampered code")
			return q
		}, "bad_state"},
		{"SQL in the state", supA, func() url.Values {
			q := consent(supA)
			q.Set("state", "' OR '1'='1")
			return q
		}, "bad_state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := e.callback(c.user, c.query(), nil)
			assert.Equal(t, c.code, loc.Query().Get("connect_error"), loc.String())
			assert.Empty(t, loc.Query().Get("connected"))
		})
	}
	after := connections()
	require.Len(t, after, len(before))
	for i := range before {
		assert.Equal(t, before[i].Version, after[i].Version, "connection %s changed", before[i].ID)
		assert.Equal(t, before[i].Credentials, after[i].Credentials)
	}
	t.Logf("abuse cases: %d (OAuth connect callbacks)", len(cases)+1)
}
