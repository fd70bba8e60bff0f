package meta

import (
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
)

func TestParseReaction(t *testing.T) {
	base := omnichannel.InboundEvent{ExternalAccountID: "page-1", ExternalUserID: "psid-1"}
	for _, tc := range []struct {
		in   reaction
		want Reaction
		ok   bool
	}{
		{reaction{Reaction: "love", Emoji: "❤️", Action: "react", Mid: "m_1"},
			Reaction{AccountID: "page-1", UserID: "psid-1", MessageID: "m_1", Action: "react", Emoji: "❤️"}, true},
		{reaction{Reaction: "wow", Action: "react", Mid: "m_2"},
			Reaction{AccountID: "page-1", UserID: "psid-1", MessageID: "m_2", Action: "react", Emoji: "😮"}, true},
		{reaction{Action: "unreact", Mid: "m_3", Emoji: "❤️"},
			Reaction{AccountID: "page-1", UserID: "psid-1", MessageID: "m_3", Action: "unreact"}, true},
		{reaction{Reaction: "like"}, Reaction{AccountID: "page-1", UserID: "psid-1", Action: "react", Emoji: "👍"}, false},
	} {
		got, ok := parseReaction(base, &tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseReaction(%+v) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
