package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/storetest"
)

// TestReadStatesOf: the store's transactions are inboxapi.ReadStatesReaders (the SSE fan-out loads
// every streaming viewer's read position in a conversation in one query) and keep its contract.
func TestReadStatesOf(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "dakenh.db"))
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		_, ok := tx.(inboxapi.ReadStatesReader)
		require.True(t, ok, "%T is not an inboxapi.ReadStatesReader", tx)
		return nil
	}))
	storetest.ReadStatesOf(t, s)
}
