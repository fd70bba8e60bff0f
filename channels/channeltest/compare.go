package channeltest

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// compareEvents lists the differences between got and want, as documented on Fixture.Want.
func compareEvents(got, want []omnichannel.InboundEvent) []string {
	if len(got) != len(want) {
		return []string{fmt.Sprintf("got %d events, want %d\n got: %s\nwant: %s",
			len(got), len(want), describe(got), describe(want))}
	}
	var diffs []string
	for i := range want {
		diffs = append(diffs, compareEvent(i, got[i], want[i])...)
	}
	return diffs
}

func compareEvent(i int, g, w omnichannel.InboundEvent) []string {
	var d []string
	eq := func(field string, gv, wv any) {
		if !reflect.DeepEqual(gv, wv) {
			d = append(d, fmt.Sprintf("event %d (%s): %s = %#v, want %#v", i, w.Type, field, gv, wv))
		}
	}
	eq("Type", g.Type, w.Type)
	eq("ExternalAccountID", g.ExternalAccountID, w.ExternalAccountID)
	eq("ExternalUserID", g.ExternalUserID, w.ExternalUserID)
	eq("Direction", g.Direction, w.Direction)
	eq("ProviderMessageID", g.ProviderMessageID, w.ProviderMessageID)
	eq("MessageType", g.MessageType, w.MessageType)
	eq("Text", g.Text, w.Text)
	eq("QuoteProviderMessageID", g.QuoteProviderMessageID, w.QuoteProviderMessageID)
	eq("Status", g.Status, w.Status)
	eq("ProviderMessageIDs", nonNil(g.ProviderMessageIDs), nonNil(w.ProviderMessageIDs))
	eq("Referral", g.Referral, w.Referral)
	eq("NeedsFetch", g.NeedsFetch, w.NeedsFetch)
	if !w.Time.IsZero() && !g.Time.Equal(w.Time) {
		eq("Time", g.Time, w.Time)
	}
	if !w.UpTo.IsZero() && !g.UpTo.Equal(w.UpTo) {
		eq("UpTo", g.UpTo, w.UpTo)
	}
	if w.Profile != nil {
		if g.Profile == nil {
			d = append(d, fmt.Sprintf("event %d (%s): Profile = nil, want %+v", i, w.Type, *w.Profile))
		} else {
			optional := func(field, gv, wv string) {
				if wv != "" {
					eq("Profile."+field, gv, wv)
				}
			}
			optional("ExternalUserID", g.Profile.ExternalUserID, w.Profile.ExternalUserID)
			optional("DisplayName", g.Profile.DisplayName, w.Profile.DisplayName)
			optional("AvatarURL", g.Profile.AvatarURL, w.Profile.AvatarURL)
			optional("Phone", g.Profile.Phone, w.Profile.Phone)
			if w.Profile.Follower != nil {
				if g.Profile.Follower == nil {
					d = append(d, fmt.Sprintf("event %d (%s): Profile.Follower = nil, want %v", i, w.Type, *w.Profile.Follower))
				} else {
					eq("Profile.Follower", *g.Profile.Follower, *w.Profile.Follower)
				}
			}
		}
	}
	if len(g.Attachments) != len(w.Attachments) {
		d = append(d, fmt.Sprintf("event %d (%s): %d attachments, want %d", i, w.Type, len(g.Attachments), len(w.Attachments)))
		return d
	}
	for j, wa := range w.Attachments {
		ga := g.Attachments[j]
		field := fmt.Sprintf("Attachments[%d].", j)
		eq(field+"Kind", ga.Kind, wa.Kind)
		eq(field+"RemoteURL", ga.RemoteURL, wa.RemoteURL)
		eq(field+"ProviderRef", ga.ProviderRef, wa.ProviderRef)
		if wa.Name != "" {
			eq(field+"Name", ga.Name, wa.Name)
		}
		if wa.ContentType != "" {
			eq(field+"ContentType", ga.ContentType, wa.ContentType)
		}
		if wa.Size != 0 {
			eq(field+"Size", ga.Size, wa.Size)
		}
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// describe prints events compactly for failure messages.
func describe(events []omnichannel.InboundEvent) string {
	if len(events) == 0 {
		return "(none)"
	}
	parts := make([]string, len(events))
	for i, e := range events {
		var b strings.Builder
		fmt.Fprintf(&b, "{%s account=%q user=%q", e.Type, e.ExternalAccountID, e.ExternalUserID)
		if e.Type == omnichannel.InboundMessage {
			fmt.Fprintf(&b, " %s id=%q %s text=%q attachments=%d", e.Direction, e.ProviderMessageID, e.MessageType, e.Text, len(e.Attachments))
		}
		if e.Status != "" {
			fmt.Fprintf(&b, " status=%s ids=%q", e.Status, e.ProviderMessageIDs)
		}
		b.WriteString("}")
		parts[i] = b.String()
	}
	return strings.Join(parts, ", ")
}

func readAllClose(rc io.ReadCloser) ([]byte, error) {
	defer rc.Close()
	return io.ReadAll(rc)
}
