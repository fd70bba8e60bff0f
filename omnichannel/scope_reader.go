package omnichannel

// ScopeReader is an optional capability of a Tx: ReadScope reads, within the transaction, the user
// userID of workspaceID and every connection of workspaceID at once (one round trip on a networked
// store) instead of two reads. A missing user is a nil User, not an error; the connections may come
// without their Credentials (scoping a list never uses the provider's secrets). An error is a
// failure of the store. The engine uses it to scope every list, count and search to what the
// viewer may see, and reads the rows one by one when the store's Tx lacks it.
type ScopeReader interface {
	ReadScope(workspaceID, userID string) (*User, []*Connection, error)
}

// readScope returns the viewer and the workspace's connections (nil when the viewer is missing),
// through tx's ScopeReader when it has one. Connections are read only when wantConnections says
// the viewer's role needs them; a ScopeReader reads them anyway, in the same round trip.
func readScope(tx Tx, workspaceID, userID string, wantConnections func(*User) bool) (*User, []*Connection, error) {
	if w, ok := tx.(connWatchTx); ok {
		tx = w.Tx
	}
	if r, ok := tx.(ScopeReader); ok {
		return r.ReadScope(workspaceID, userID)
	}
	u, err := tx.GetUser(workspaceID, userID)
	if isNotFound(err) {
		return nil, nil, nil
	}
	if err != nil || !wantConnections(u) {
		return u, nil, err
	}
	conns, err := tx.ListConnections(workspaceID)
	return u, conns, err
}
