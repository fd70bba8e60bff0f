package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func oauthTests() []test {
	return []test{
		{"SingleUse", testOAuthSingleUse},
		{"Duplicate", testOAuthDuplicate},
	}
}

func take(t *testing.T, s store.Store, state string) (*model.OAuthState, error) {
	t.Helper()
	var got *model.OAuthState
	err := s.Update(t.Context(), func(tx store.Tx) error {
		var err error
		got, err = tx.TakeOAuthState(state)
		return err
	})
	return got, err
}

func testOAuthSingleUse(t *testing.T, s store.Store) {
	st := fullOAuthState("state-1")
	update(t, s, func(tx store.Tx) error { return tx.InsertOAuthState(st) })
	update(t, s, func(tx store.Tx) error { return tx.InsertOAuthState(fullOAuthState("state-2")) })
	st.CodeVerifier = "scribbled" // the store keeps its own copy

	got, err := take(t, s, "state-1")
	require.NoError(t, err)
	same(t, fullOAuthState("state-1"), got)

	_, err = take(t, s, "state-1")
	require.ErrorIs(t, err, model.ErrNotFound, "a state is single use")
	_, err = take(t, s, "never-issued")
	require.ErrorIs(t, err, model.ErrNotFound)

	got, err = take(t, s, "state-2")
	require.NoError(t, err, "taking one state leaves the others")
	same(t, fullOAuthState("state-2"), got)
}

func testOAuthDuplicate(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error { return tx.InsertOAuthState(fullOAuthState("state-1")) })
	dup := fullOAuthState("state-1")
	dup.UserID = "u-attacker"
	err := write(t, s, func(tx store.Tx) error { return tx.InsertOAuthState(dup) })
	require.ErrorIs(t, err, model.ErrDuplicate)
	got, err := take(t, s, "state-1")
	require.NoError(t, err)
	same(t, fullOAuthState("state-1"), got, "the refused insert must not replace the state")
}
