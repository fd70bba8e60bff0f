package omnichannel

import "strings"

// cleanString makes s storable by every store: invalid UTF-8 and NUL characters (which PostgreSQL
// text cannot hold) become U+FFFD, so that distinct values stay distinct and nothing is lost
// silently.
func cleanString(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// sanitizeEvent cleans every string of an event an adapter parsed from untrusted input before the
// engine stores any of it. A webhook carrying a NUL must not fail in the store (the provider would
// retry it forever) nor be dropped.
func sanitizeEvent(ev *InboundEvent) {
	for _, p := range []*string{&ev.ExternalAccountID, &ev.ExternalUserID, &ev.ProviderMessageID, &ev.Text,
		&ev.QuoteProviderMessageID, &ev.Referral, &ev.ReactionTargetID, &ev.Reaction, &ev.ProviderConversationID} {
		*p = cleanString(*p)
	}
	for i := range ev.ProviderMessageIDs {
		ev.ProviderMessageIDs[i] = cleanString(ev.ProviderMessageIDs[i])
	}
	if len(ev.Attachments) > 0 {
		atts := make([]Attachment, len(ev.Attachments))
		for i, a := range ev.Attachments {
			a.Name, a.ContentType = cleanString(a.Name), cleanString(a.ContentType)
			a.RemoteURL, a.ProviderRef = cleanString(a.RemoteURL), cleanString(a.ProviderRef)
			atts[i] = a
		}
		ev.Attachments = atts
	}
	if ev.Profile != nil {
		p := *ev.Profile
		p.ExternalUserID, p.DisplayName = cleanString(p.ExternalUserID), cleanString(p.DisplayName)
		p.AvatarURL, p.Phone = cleanString(p.AvatarURL), cleanString(p.Phone)
		if len(p.Attributes) > 0 {
			attrs := make(map[string]string, len(p.Attributes))
			for k, v := range p.Attributes {
				attrs[cleanString(k)] = cleanString(v)
			}
			p.Attributes = attrs
		}
		ev.Profile = &p
	}
}
