package inboxapi

// RoutePatterns returns the pattern of every route of the API ("POST /conversations/{id}/done"),
// from the table New mounts, for tests that must cover every route.
func RoutePatterns() []string {
	var out []string
	for _, rt := range (&handler{}).routeTable() {
		out = append(out, rt.pattern)
	}
	return out
}
