package omnichannel

import "context"

// hostKey marks a context as the host's own (AsHost).
type hostKey struct{}

// AsHost returns a context under which the engine's administration methods act for the host
// itself rather than for a signed-in user: the acting user's check (exists, active, allowed
// ActionAdmin, workspace not suspended) is skipped; validation still applies. Use it for what the
// host does on its own authority (mirroring users from its CRM, creating a workspace's first
// supervisor); never derive it from a request an agent sends.
func AsHost(ctx context.Context) context.Context { return context.WithValue(ctx, hostKey{}, true) }

// isHost reports whether ctx was made by AsHost.
func isHost(ctx context.Context) bool {
	v, _ := ctx.Value(hostKey{}).(bool)
	return v
}
