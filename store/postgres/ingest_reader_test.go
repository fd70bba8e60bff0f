package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

// TestReadForIngest checks the PostgreSQL IngestReader directly: the duplicate check, the identity
// and its conversation, each scoped to the workspace and the connection, nil when absent.
func TestReadForIngest(t *testing.T) {
	st := openStore(t, newSchema(t))
	seedClaimCases(t, st)
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	require.NoError(t, st.Update(context.Background(), func(tx omnichannel.Tx) error {
		for _, i := range []*omnichannel.Identity{
			{WorkspaceID: "w", ID: "id-0", ContactID: "ct-0", ConnectionID: "shared", ChannelKind: "fake", ExternalUserID: "cust"},
			{WorkspaceID: "w", ID: "id-9", ContactID: "ct-9", ConnectionID: "shared", ChannelKind: "fake", ExternalUserID: "lonely"},
			{WorkspaceID: "o", ID: "id-4", ContactID: "ct-4", ConnectionID: "theirs", ChannelKind: "fake", ExternalUserID: "cust"},
		} {
			i.CreatedAt, i.UpdatedAt = at, at
			if err := tx.InsertIdentity(i); err != nil {
				return err
			}
		}
		return tx.InsertMessage(&omnichannel.Message{WorkspaceID: "w", ID: "m1", ConversationID: "c1", ConnectionID: "shared",
			Seq: 1, Direction: omnichannel.DirectionIn, Type: omnichannel.MessageText, ProviderMessageID: "pm-1",
			Status: omnichannel.MessageReceived, CreatedAt: at, UpdatedAt: at})
	}))
	read := func(ws, conn, providerID, user string) *omnichannel.IngestSnapshot {
		t.Helper()
		var s *omnichannel.IngestSnapshot
		require.NoError(t, st.Update(context.Background(), func(tx omnichannel.Tx) error {
			r, ok := tx.(omnichannel.IngestReader)
			if !ok {
				return errors.New("the PostgreSQL Tx is not an IngestReader")
			}
			var err error
			s, err = r.ReadForIngest(ws, conn, providerID, user)
			return err
		}))
		return s
	}
	s := read("w", "shared", "pm-1", "cust")
	assert.True(t, s.Duplicate)
	require.NotNil(t, s.Identity)
	assert.Equal(t, "id-0", s.Identity.ID)
	require.NotNil(t, s.Conversation, "c1 is id-0's conversation on shared")
	assert.Equal(t, "c1", s.Conversation.ID)
	assert.Equal(t, "w", s.Conversation.WorkspaceID)

	s = read("w", "shared", "pm-2", "lonely")
	assert.False(t, s.Duplicate)
	require.NotNil(t, s.Identity)
	assert.Nil(t, s.Conversation, "an identity without a conversation")

	s = read("w", "shared", "", "nobody")
	assert.False(t, s.Duplicate, "an empty provider id is never a duplicate")
	assert.Nil(t, s.Identity)
	assert.Nil(t, s.Conversation)

	s = read("w", "mine", "pm-1", "cust")
	assert.False(t, s.Duplicate, "the provider id belongs to another connection")
	assert.Nil(t, s.Identity, "the customer is known on another connection only")

	s = read("o", "theirs", "pm-1", "cust")
	assert.False(t, s.Duplicate, "the message is in another workspace")
	require.NotNil(t, s.Identity)
	assert.Equal(t, "id-4", s.Identity.ID)
	require.NotNil(t, s.Conversation)
	assert.Equal(t, "o", s.Conversation.WorkspaceID)
}

// TestGetUsersMatchesOneByOne: omnichannel.GetUsers through the PostgreSQL UsersReader returns what
// it returns reading one by one on the memory store: ids' order, each once, missing and other
// workspaces' users left out.
func TestGetUsersMatchesOneByOne(t *testing.T) {
	pg := openStore(t, newSchema(t))
	mem := memory.New()
	seedClaimCases(t, pg)
	seedClaimCases(t, mem)
	ids := func(st omnichannel.Store, ws string, want []string) []string {
		t.Helper()
		var out []string
		require.NoError(t, st.View(context.Background(), func(tx omnichannel.Tx) error {
			users, err := omnichannel.GetUsers(tx, ws, want)
			for _, u := range users {
				assert.Equal(t, ws, u.WorkspaceID)
				out = append(out, u.ID)
			}
			return err
		}))
		return out
	}
	for _, c := range []struct {
		ws   string
		want []string
	}{
		{"w", []string{"sup", "a2", "ghost", "a1", "a2", "off"}},
		{"w", nil},
		{"o", []string{"a1", "ox"}},
	} {
		got := ids(pg, c.ws, c.want)
		assert.Equal(t, ids(mem, c.ws, c.want), got, "%s %v", c.ws, c.want)
	}
	assert.Equal(t, []string{"sup", "a2", "a1", "off"}, ids(pg, "w", []string{"sup", "a2", "ghost", "a1", "a2", "off"}))
}
