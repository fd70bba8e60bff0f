package omnichannel

// UsersReader is an optional capability of a Tx: GetUsers returns the users of workspaceID whose
// ids are in ids, in the order of ids and each once; ids without a user are left out (not an
// error). One round trip on a networked store instead of one per user. An error is a failure of the
// store.
type UsersReader interface {
	GetUsers(workspaceID string, ids []string) ([]*User, error)
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
