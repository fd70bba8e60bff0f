package sealtest

import (
	"context"
	"testing"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Connection returns a connected Zalo connection in workspace "ws" whose every secret (access
// and refresh tokens, an extra value) contains "SECRET-" and id, for tests that look for them in
// the stored bytes.
func Connection(id string) *omnichannel.Connection {
	return &omnichannel.Connection{WorkspaceID: "ws", ID: id, Kind: "zalo", ExternalID: "oa-" + id,
		Status: omnichannel.ConnectionConnected, Credentials: omnichannel.Credentials{
			AccessToken: "at-SECRET-" + id, RefreshToken: "rt-SECRET-" + id,
			AccessExpiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Scopes: []string{"message"},
			Extra: map[string]string{"page_token": "pt-SECRET-" + id}}}
}

// Get reads connection id from s (FindConnectionByID in a View).
func Get(s omnichannel.Store, id string) (*omnichannel.Connection, error) {
	var c *omnichannel.Connection
	err := s.View(context.Background(), func(tx omnichannel.Tx) (err error) {
		c, err = tx.FindConnectionByID(id)
		return err
	})
	return c, err
}

// Put stores conns in s in one Update and fails t on an error.
func Put(t testing.TB, s omnichannel.Store, conns ...*omnichannel.Connection) {
	t.Helper()
	must(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
		for _, c := range conns {
			if err := tx.PutConnection(c); err != nil {
				return err
			}
		}
		return nil
	}))
}

// InsertOAuthState stores a pending connect flow of state with verifier as its PKCE code verifier
// (expiring in a minute) in s, and fails t on an error.
func InsertOAuthState(t testing.TB, s omnichannel.Store, state, verifier string) {
	t.Helper()
	must(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
		return tx.InsertOAuthState(&omnichannel.OAuthState{State: state, WorkspaceID: "ws", UserID: "u",
			Kind: "zalo", CodeVerifier: verifier, ExpiresAt: time.Now().Add(time.Minute)})
	}))
}

// TakeOAuthState takes the pending connect flow of state from s (TakeOAuthState in an Update).
func TakeOAuthState(s omnichannel.Store, state string) (*omnichannel.OAuthState, error) {
	var got *omnichannel.OAuthState
	err := s.Update(context.Background(), func(tx omnichannel.Tx) (err error) {
		got, err = tx.TakeOAuthState(state)
		return err
	})
	return got, err
}
