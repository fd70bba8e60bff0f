package memory

import (
	"maps"
	"slices"

	"github.com/dakenh/dakenh/omnichannel"
)

// Deep copies: every slice, map and pointer is duplicated so that no caller shares memory with the
// store. slices.Clone and maps.Clone keep nil as nil.

func cloneConnection(c *omnichannel.Connection) *omnichannel.Connection {
	n := *c
	n.Credentials.Scopes = slices.Clone(c.Credentials.Scopes)
	n.Credentials.Extra = maps.Clone(c.Credentials.Extra)
	n.Settings = maps.Clone(c.Settings)
	return &n
}

func cloneContact(c *omnichannel.Contact) *omnichannel.Contact {
	n := *c
	n.Attributes = maps.Clone(c.Attributes)
	return &n
}

func cloneIdentity(i *omnichannel.Identity) *omnichannel.Identity {
	n := *i
	return &n
}

func cloneReadState(r *omnichannel.ReadState) *omnichannel.ReadState {
	n := *r
	return &n
}

func cloneUser(u *omnichannel.User) *omnichannel.User {
	n := *u
	n.TeamIDs = slices.Clone(u.TeamIDs)
	return &n
}

func cloneTeam(t *omnichannel.Team) *omnichannel.Team {
	n := *t
	n.MemberIDs = slices.Clone(t.MemberIDs)
	return &n
}

func cloneRule(r *omnichannel.Rule) *omnichannel.Rule {
	n := *r
	n.SourceIDs = slices.Clone(r.SourceIDs)
	n.UserIDs = slices.Clone(r.UserIDs)
	return &n
}

func cloneTemplate(t *omnichannel.Template) *omnichannel.Template {
	n := *t
	n.ChannelKinds = slices.Clone(t.ChannelKinds)
	return &n
}

func cloneCategory(c *omnichannel.Category) *omnichannel.Category {
	n := *c
	return &n
}

func cloneClassification(c *omnichannel.Classification) *omnichannel.Classification {
	n := *c
	return &n
}

func cloneJob(j *omnichannel.Job) *omnichannel.Job {
	n := *j
	n.Payload = maps.Clone(j.Payload)
	return &n
}

func cloneOAuthState(s *omnichannel.OAuthState) *omnichannel.OAuthState {
	n := *s
	return &n
}

// cloneAll copies every row of list.
func cloneAll[V any](list []*V, clone func(*V) *V) []*V {
	out := make([]*V, len(list))
	for i, v := range list {
		out[i] = clone(v)
	}
	return out
}
