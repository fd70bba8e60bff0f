package channeltest

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// CheckEvent fails t unless ev, as returned by a Channel's ParseWebhook, is an event the engine can
// ingest (or fetch, when NeedsFetch is set). It holds for every adapter, so fuzz targets of
// ParseWebhook call it on whatever parses; an adapter adds the checks of its own event types.
//
// The invariants: the account id is set, and the user id too unless the event needs a fetch; every
// string field is valid UTF-8; a message (without NeedsFetch) has a provider id, a direction in or
// out and a type other than activity; a status event names delivered or seen; an attachment has a
// kind and a locator (a URL or a provider media id), a name without path separators or control
// characters, and no negative size; a profile, when present, is of the event's user.
func CheckEvent(t testing.TB, ev omnichannel.InboundEvent) {
	t.Helper()
	if ev.ExternalAccountID == "" || (ev.ExternalUserID == "" && !ev.NeedsFetch) {
		t.Fatalf("event without account or user: %+v", ev)
	}
	for _, s := range []string{ev.ExternalAccountID, ev.ExternalUserID, ev.ProviderMessageID, ev.Text,
		ev.Referral, ev.QuoteProviderMessageID} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in %+v", ev)
		}
	}
	switch ev.Type {
	case omnichannel.InboundMessage:
		if ev.NeedsFetch {
			break
		}
		if ev.ProviderMessageID == "" {
			t.Fatalf("message without id: %+v", ev)
		}
		if ev.Direction != omnichannel.DirectionIn && ev.Direction != omnichannel.DirectionOut {
			t.Fatalf("message direction %q", ev.Direction)
		}
		if ev.MessageType == "" || ev.MessageType == omnichannel.MessageActivity {
			t.Fatalf("message type %q", ev.MessageType)
		}
	case omnichannel.InboundStatus:
		if ev.Status != omnichannel.MessageDelivered && ev.Status != omnichannel.MessageSeen {
			t.Fatalf("status %q", ev.Status)
		}
	}
	for _, a := range ev.Attachments {
		if a.Kind == "" || (a.RemoteURL == "" && a.ProviderRef == "") {
			t.Fatalf("attachment without kind or locator: %+v", a)
		}
		if strings.ContainsAny(a.Name, "/\\") || strings.ContainsFunc(a.Name, func(r rune) bool { return r < 32 || r == 127 }) {
			t.Fatalf("unsafe attachment name %q", a.Name)
		}
		if a.Size < 0 {
			t.Fatalf("negative size %d", a.Size)
		}
	}
	if p := ev.Profile; p != nil && p.ExternalUserID != "" && p.ExternalUserID != ev.ExternalUserID {
		t.Fatalf("profile of another user: %+v", ev)
	}
}

// CheckParseResult fails t unless evs and err are what ParseWebhook may return for one delivery:
// either an error wrapping omnichannel.ErrMalformed and no events, or at most one event that
// passes CheckEvent. Fuzz targets of ParseWebhook call it on every result.
func CheckParseResult(t testing.TB, evs []omnichannel.InboundEvent, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, omnichannel.ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		if evs != nil {
			t.Fatalf("events with an error: %+v", evs)
		}
		return
	}
	if len(evs) > 1 {
		t.Fatalf("%d events from one delivery", len(evs))
	}
	for _, ev := range evs {
		CheckEvent(t, ev)
	}
}
