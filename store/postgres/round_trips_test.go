package postgres_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
	"github.com/dakenh/dakenh/store/postgres"
)

// turnCounter is a loopback TCP proxy in front of the server that counts round trips: a turn is
// each time a client starts sending again after the server has answered.
type turnCounter struct {
	ln    net.Listener
	turns atomic.Int64
}

func newTurnCounter(t *testing.T, server string) *turnCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tc := &turnCounter{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go tc.serve(client, server)
		}
	}()
	return tc
}

func (tc *turnCounter) serve(client net.Conn, server string) {
	defer client.Close()
	up, err := net.Dial("tcp", server)
	if err != nil {
		return
	}
	defer up.Close()
	var mu sync.Mutex
	clientSpoke := false // who sent last
	pipe := func(dst, src net.Conn, fromClient bool) {
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				mu.Lock()
				if fromClient && !clientSpoke {
					tc.turns.Add(1)
				}
				clientSpoke = fromClient
				mu.Unlock()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if c, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
					_ = c.CloseWrite()
				}
				return
			}
		}
	}
	done := make(chan struct{})
	go func() { pipe(client, up, false); close(done) }()
	pipe(up, client, true)
	<-done
}

// count returns the turns fn takes, after one warm-up run (which prepares the statements).
func (tc *turnCounter) count(t *testing.T, fn func() error) int64 {
	t.Helper()
	require.NoError(t, fn())
	before := tc.turns.Load()
	require.NoError(t, fn())
	return tc.turns.Load() - before
}

// TestRoundTrips pins how many round trips the hot operations cost: the BEGIN travels with the
// first statement, the viewer, the connections and the unread counters are read in one batch, a
// guarded write is one batch (SAVEPOINT, statement, RELEASE).
func TestRoundTrips(t *testing.T) {
	u, err := url.Parse(databaseURL(t))
	require.NoError(t, err)
	tc := newTurnCounter(t, u.Host)
	u.Host = tc.ln.Addr().String()
	schema := newSchema(t)
	st, err := postgres.Open(context.Background(), postgres.Config{URL: u.String(), Schema: schema, MaxConns: 1})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	seedClaimCases(t, st)
	eng := bigInboxEngine(t, st)
	ctx := context.Background()

	unread := tc.count(t, func() error {
		_, err := eng.CountUnread(ctx, "a2", omnichannel.ConversationQuery{WorkspaceID: "w"})
		return err
	})
	assert.Equal(t, int64(2), unread, "an agent's unread count: BEGIN+user+connections+counters, COMMIT")

	list := tc.count(t, func() error {
		_, err := eng.ListConversations(ctx, "a2", omnichannel.ConversationQuery{WorkspaceID: "w"})
		return err
	})
	assert.Equal(t, int64(4), list, "an agent's list: BEGIN+user+connections, the page, the page's read positions, COMMIT")

	lost := tc.count(t, func() error {
		_, err := eng.Claim(ctx, "w", "a1", "c3") // a2's only-me connection: refused after the reads
		if !errors.Is(err, omnichannel.ErrForbidden) {
			return err
		}
		return nil
	})
	assert.Equal(t, int64(1), lost, "a refused claim (a grouped update): the claim's reads, outside a transaction")

	batch := tc.count(t, func() error {
		return st.View(ctx, func(tx omnichannel.Tx) error {
			return tx.ReadBatch(ctx, &store.UserRead{WorkspaceID: "w", UserID: "a1"},
				&store.UsersRead{WorkspaceID: "w", UserIDs: []string{"a1", "a2"}},
				&store.ConnectionsRead{WorkspaceID: "w"},
				&store.ConversationContextRead{WorkspaceID: "w", ConversationID: "c3"},
				&store.CustomerThreadRead{WorkspaceID: "w", ConnectionID: "shared", ExternalUserID: "x1"},
				&store.ProviderMessageRead{WorkspaceID: "w", ConnectionID: "shared", ProviderMessageID: "p1"},
				&store.UnreadByConnectionRead{WorkspaceID: "w", UserID: "a2"},
				&store.ReadPositionsRead{WorkspaceID: "w", UserIDs: []string{"a1", "a2"}, ConversationIDs: []string{"c1", "c3"}})
		})
	})
	assert.Equal(t, int64(2), batch, "a read of every kind in one batch: BEGIN+the reads, COMMIT")

	empty := tc.count(t, func() error { return st.View(ctx, func(omnichannel.Tx) error { return nil }) })
	assert.Zero(t, empty, "a transaction that sends nothing never begins")

	guarded := tc.count(t, func() error {
		return st.Update(ctx, func(tx omnichannel.Tx) error {
			return tx.PutIdentity(&omnichannel.Identity{WorkspaceID: "w", ID: "i1", ConnectionID: "shared",
				ChannelKind: "fake", ContactID: "ct", ExternalUserID: "x1"})
		})
	})
	assert.Equal(t, int64(2), guarded, "a guarded write: BEGIN+SAVEPOINT+INSERT+RELEASE, COMMIT")
}
