package omnichannel

// UsersReader is an optional capability of a Tx: GetUsers returns the users of workspaceID whose
// ids are in ids, in the order of ids and each once; ids without a user are left out (not an
// error). One round trip on a networked store instead of one per user. An error is a failure of the
// store.
type UsersReader interface {
	GetUsers(workspaceID string, ids []string) ([]*User, error)
}

// UsersInIDOrder returns users in the order of ids, each once, leaving out the ids without a user
// and the users not asked for: the answer UsersReader expects from the rows a store found (in any
// order) for ids.
func UsersInIDOrder(users []*User, ids []string) []*User {
	byID := make(map[string]*User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := make([]*User, 0, len(users))
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			out = append(out, u)
			delete(byID, id) // each once
		}
	}
	return out
}

// GetUsers reads the users of ids through tx's UsersReader when it has one, and one by one
// otherwise, with UsersReader's contract. Routers use it to check a rule's users.
func GetUsers(tx Tx, workspaceID string, ids []string) ([]*User, error) {
	if w, ok := tx.(connWatchTx); ok {
		tx = w.Tx
	}
	if r, ok := tx.(UsersReader); ok {
		return r.GetUsers(workspaceID, ids)
	}
	var out []*User
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		u, err := tx.GetUser(workspaceID, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
