package store_test

import (
	"context"
	"fmt"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
	"github.com/dakenh/dakenh/store/memory"
)

// Several lookups in one batch: a networked store answers them in one round trip; a missing row is
// a nil result, not an error.
func ExampleBatchReader() {
	ctx := context.Background()
	var s store.Store = memory.New()
	defer s.Close()
	_ = s.Update(ctx, func(tx store.Tx) error {
		return tx.PutUser(&model.User{WorkspaceID: "shop", ID: "lan", Name: "Lan", Role: model.RoleAgent, Active: true})
	})
	_ = s.View(ctx, func(tx store.Tx) error {
		lan := &store.UserRead{WorkspaceID: "shop", UserID: "lan"}
		ghost := &store.UserRead{WorkspaceID: "shop", UserID: "ghost"}
		team := &store.UsersRead{WorkspaceID: "shop", UserIDs: []string{"ghost", "lan", "lan"}}
		if err := tx.ReadBatch(ctx, lan, ghost, team); err != nil {
			return err
		}
		fmt.Println(lan.User.Name, ghost.User == nil, len(team.Users))
		return nil
	})
	// Output: Lan true 1
}
