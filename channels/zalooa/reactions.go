package zalooa

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// reactPath is where reactions (and anonymous replies) are sent: the v2 message endpoint.
const reactPath = "/v2.0/oa/message"

// reactionIcons maps Zalo's react_icon codes to the emoji the inbox shows, in the order agents
// pick them. The codes are those of Zalo's reaction bar; codes outside it are kept as sent.
var reactionIcons = []struct{ code, emoji string }{
	{"/-heart", "❤️"},
	{"/-strong", "👍"},
	{":>", "😆"},
	{":o", "😮"},
	{":-((", "😢"},
	{":-h", "😡"},
}

// removeIcon withdraws a reaction. UNCERTAIN: the OA API's removal code is not confirmed; an
// empty react_icon (Zalo's own clients' "undo") is read as a removal as well.
const removeIcon = "/-remove"

func emojiOf(code string) string {
	for _, r := range reactionIcons {
		if r.code == code {
			return r.emoji
		}
	}
	return code
}

func codeOf(emoji string) (string, bool) {
	for _, r := range reactionIcons {
		if r.emoji == emoji {
			return r.code, true
		}
	}
	return "", false
}

// reactionEvent maps user_reacted_message (the user reacted to an OA message; the user is
// sender.id) and oa_reacted_message (the OA reacted, in OA Manager or through the API; the OA is
// sender.id): message.msg_id is the message reacted to, message.react_icon the reaction.
func reactionEvent(w *webhookEvent, ev omnichannel.InboundEvent, byOA bool) (omnichannel.InboundEvent, bool, error) {
	ev.Type, ev.Direction = omnichannel.InboundReaction, omnichannel.DirectionIn
	ev.ExternalAccountID, ev.ExternalUserID = first(string(w.Recipient.ID), string(w.OAID)), string(w.Sender.ID)
	if byOA {
		ev.Direction = omnichannel.DirectionOut
		ev.ExternalAccountID, ev.ExternalUserID = first(string(w.Sender.ID), string(w.OAID)), string(w.Recipient.ID)
	}
	ev.ReactionTargetID = string(w.Message.MsgID)
	icon := strings.TrimSpace(w.Message.ReactIcon)
	if icon == "" || icon == removeIcon {
		ev.ReactionRemoved = true
	} else {
		ev.Reaction = emojiOf(icon)
	}
	if ev.ReactionTargetID == "" {
		return ev, false, errors.New("missing message.msg_id")
	}
	if err := needUser(ev); err != nil {
		return ev, false, err
	}
	return ev, true, needAccount(ev)
}

// ReactionEmojis lists the reactions agents can send on Zalo: ❤️ 👍 😆 😮 😢 😡.
func (c *Channel) ReactionEmojis() []string {
	out := make([]string, len(reactionIcons))
	for i, r := range reactionIcons {
		out[i] = r.emoji
	}
	return out
}

// React sends r as POST {APIBaseURL}/v2.0/oa/message with
// {"recipient":{"user_id"} (or {"anonymous_id","conversation_id"} for an anonymous customer),
// "sender_action":{"react_icon","react_message_id"}}; a removal sends react_icon "/-remove"
// (uncertain, see removeIcon). An emoji outside ReactionEmojis is a *omnichannel.ValidationError
// without a network call; provider errors are classified as Send's.
func (c *Channel) React(ctx context.Context, conn *omnichannel.Connection, r omnichannel.OutboundReaction) error {
	token, err := accessToken(conn)
	if err != nil {
		return err
	}
	code, ok := codeOf(r.Emoji)
	if r.Remove {
		code, ok = removeIcon, true
	}
	switch {
	case !ok:
		return &omnichannel.ValidationError{Unsupported: true, Problems: []string{"zalooa: Zalo does not take that reaction"}}
	case r.ProviderMessageID == "":
		return &omnichannel.ValidationError{Problems: []string{"zalooa: the message reacted to has no Zalo id"}}
	}
	recipient, err := recipientOf(r.RecipientID, r.RecipientAnonymous, r.RecipientConversationID)
	if err != nil {
		return err
	}
	body := map[string]any{"recipient": recipient,
		"sender_action": map[string]string{"react_icon": code, "react_message_id": r.ProviderMessageID}}
	raw, err := marshal(body)
	if err != nil {
		return err
	}
	_, err = c.apiCall(ctx, request{method: http.MethodPost, url: c.apiBase + reactPath, op: "react", token: token, jsonBody: raw})
	return err
}
