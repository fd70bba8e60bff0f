package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// usersReaderTests check store.UsersRead through Tx.ReadBatch: the users of the ids in their
// order, each once, without the ids that have no user in the workspace, equal to what GetUser
// returns one by one.
func usersReaderTests() []test {
	return []test{{"Users", testGetUsers}}
}

func testGetUsers(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		for _, u := range []*model.User{fullUser(ws1, "u-1"), fullUser(ws1, "u-2"), fullUser(ws1, "u-3"),
			fullUser(ws2, "u-9")} {
			if u.ID == "u-3" {
				u.Active = false
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name string
		ws   string
		ids  []string
		want []string
	}{
		{"InIDOrder", ws1, []string{"u-3", "u-1", "u-2"}, []string{"u-3", "u-1", "u-2"}},
		{"RepeatedAndMissing", ws1, []string{"u-2", "ghost", "u-2", "u-1", "u-9"}, []string{"u-2", "u-1"}},
		{"None", ws1, nil, nil},
		{"OtherWorkspace", ws2, []string{"u-1", "u-9"}, []string{"u-9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(tx store.Tx) error {
				users := &store.UsersRead{WorkspaceID: tc.ws, UserIDs: tc.ids}
				if err := tx.ReadBatch(t.Context(), users); err != nil {
					return err
				}
				var got []string
				for _, u := range users.Users {
					got = append(got, u.ID)
					one, err := tx.GetUser(tc.ws, u.ID)
					if err != nil {
						return err
					}
					assert.Equal(t, one, u)
				}
				assert.Equal(t, tc.want, got)
				return nil
			}
			// Read-only, and in a read-write transaction, where the router reads a rule's users.
			require.NoError(t, s.View(t.Context(), check))
			update(t, s, check)
		})
	}
}
