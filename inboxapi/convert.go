package inboxapi

import (
	"net/url"
	"strconv"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// timeLayout is RFC 3339 with milliseconds, in UTC.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func userWire(u *omnichannel.User) User {
	return User{ID: u.ID, Name: u.Name, AvatarURL: u.AvatarURL, Role: string(u.Role),
		TeamIDs: orEmpty(append([]string(nil), u.TeamIDs...)), Active: u.Active}
}

// conversationWire converts c for a viewer with unread unread customer messages; avatar is the
// customer's picture on the channel.
func conversationWire(c *omnichannel.Conversation, unread int64, avatar string) Conversation {
	return Conversation{
		ID: c.ID, ConnectionID: c.ConnectionID, Channel: string(c.ChannelKind), ContactID: c.ContactID,
		ContactName: c.ContactName, ContactPhone: c.ContactPhone, ContactAvatarURL: avatar,
		Status: string(c.Status), AssigneeID: c.AssigneeID, TeamID: c.TeamID, RuleID: c.RuleID,
		AwaitingClaim: c.AwaitingClaim, Claimed: c.Claimed, Historical: c.Historical,
		CategoryID: c.CategoryID, CategoryPath: orEmpty(append([]string(nil), c.CategoryPath...)),
		ClassificationID: c.ClassificationID, Note: c.Note, Referral: c.Referral,
		LastMessageText: c.LastMessageText, LastMessageAt: timeString(c.LastMessageAt),
		LastMessageDirection: string(c.LastMessageDirection), LastInboundAt: timeString(c.LastInboundAt),
		Unread: unread, Version: c.Version,
	}
}

// messageAttachmentID names attachment i of message m: "m.<i>.<message id>".
func messageAttachmentID(messageID string, i int) string {
	return "m." + strconv.Itoa(i) + "." + messageID
}

// publicHTTPS reports whether a provider's attachment URL may be shown to agents as it is: an https
// URL with a host and no credentials. Anything else ("javascript:…", "data:…", an internal
// "http://127.0.0.1:9/…") is left out: the attachment then has no URL until the engine copied it.
func publicHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// messageWire converts m; quoteID is the engine id of the quoted message ("" when unknown).
func messageWire(m *omnichannel.Message, quoteID string) Message {
	out := Message{
		ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, Direction: string(m.Direction),
		SenderID: m.SenderID, SenderName: m.SenderName, Type: string(m.Type), Text: m.Text,
		Attachments: []Attachment{}, Status: string(m.Status), FailureCode: m.FailureCode,
		FailureReason: m.FailureReason, FailureReasonCode: m.FailureReasonCode, QuoteMessageID: quoteID, TemplateID: m.TemplateID,
		CreatedAt: timeString(m.CreatedAt), UpdatedAt: timeString(m.UpdatedAt),
		Retryable: m.Direction == omnichannel.DirectionOut && m.Status == omnichannel.MessageFailed,
		Reactions: []Reaction{},
	}
	for _, r := range m.Reactions {
		rw := Reaction{Emoji: r.Emoji, Direction: string(r.Direction), At: timeString(r.At)}
		if r.Direction == omnichannel.DirectionOut {
			rw.UserID = r.By
		}
		out.Reactions = append(out.Reactions, rw)
	}
	switch m.Status {
	case omnichannel.MessageSent, omnichannel.MessageDelivered, omnichannel.MessageSeen, omnichannel.MessageReceived:
		if !m.ProviderTime.IsZero() {
			out.SentAt = timeString(m.ProviderTime)
		} else if m.Direction == omnichannel.DirectionOut {
			out.SentAt = timeString(m.UpdatedAt)
		}
	}
	for i, a := range m.Attachments {
		w := Attachment{ID: messageAttachmentID(m.ID, i), Kind: string(a.Kind), Name: a.Name,
			ContentType: a.ContentType, Size: a.Size}
		if a.BlobKey != "" {
			w.URL = "/attachments/" + w.ID
		} else if publicHTTPS(a.RemoteURL) {
			w.URL = a.RemoteURL
		}
		out.Attachments = append(out.Attachments, w)
	}
	if a := m.Activity; a != nil {
		act := &Activity{Kind: string(a.Action), ActorID: a.ActorID, From: a.From, To: a.To, Detail: a.Detail}
		switch a.Action {
		case omnichannel.ActivityAssigned, omnichannel.ActivityUnassigned, omnichannel.ActivityClaimed,
			omnichannel.ActivityAwaitingClaim:
			act.FromUserID, act.ToUserID = a.From, a.To
		case omnichannel.ActivityTeam:
			act.FromTeamID, act.ToTeamID = a.From, a.To
		}
		out.Activity = act
	}
	return out
}

func capabilitiesWire(c omnichannel.Capabilities) Capabilities {
	maxAtt := c.MaxAttachments
	if maxAtt == 0 {
		maxAtt = 1
	}
	return Capabilities{MaxTextLength: c.MaxTextLength, MaxTextBytes: c.MaxTextBytes, Images: c.Images, ImageTypes: orEmpty(c.ImageTypes),
		MaxImageBytes: c.MaxImageBytes, Files: c.Files, FileTypes: orEmpty(c.FileTypes), MaxFileBytes: c.MaxFileBytes,
		Quotes: c.Quotes, MaxAttachments: maxAtt, NoCaption: kindStrings(c.NoCaption), InfoRequest: c.InfoRequest,
		ReactionEmojis: []string{}}
}

func kindStrings(ks []omnichannel.MessageType) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func windowWire(w omnichannel.ReplyWindow) Window {
	out := Window{Open: w.Open}
	if w.Limited && !w.ClosesAt.IsZero() {
		out.ClosesAt = timeString(w.ClosesAt)
	}
	if w.Limited && w.StandardClosesAt.Before(w.ClosesAt) {
		out.StandardClosesAt = timeString(w.StandardClosesAt)
		out.HumanAgent = w.HumanAgent
	}
	if w.RemainingReplies >= 0 {
		n := w.RemainingReplies
		out.RemainingReplies = &n
	}
	if !w.FreeUntil.IsZero() {
		out.FreeUntil = timeString(w.FreeUntil)
	}
	return out
}

func connectionWire(c *omnichannel.Connection) Connection {
	return Connection{ID: c.ID, Channel: string(c.Kind), ExternalID: c.ExternalID, DisplayName: c.DisplayName,
		AvatarURL: c.AvatarURL, Status: string(c.Status), StatusReason: c.StatusReason, OwnerID: c.OwnerID,
		Permission: string(c.Permission), RuleID: c.RuleID}
}

// sameSet reports whether a and b hold the same ids (ignoring order and repeats); empty sets never
// match.
func sameSet(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	seen := map[string]bool{}
	for _, x := range b {
		if !in[x] {
			return false
		}
		seen[x] = true
	}
	return len(seen) == len(in)
}

func ruleWire(r *omnichannel.Rule, teams []*omnichannel.Team) Rule {
	out := Rule{ID: r.ID, Name: r.Name, SourceIDs: orEmpty(append([]string(nil), r.SourceIDs...)),
		UserIDs: orEmpty(append([]string(nil), r.UserIDs...)), Method: string(r.Method),
		OldConversations: string(r.OldPolicy), CreatedAt: timeString(r.CreatedAt), UpdatedAt: timeString(r.UpdatedAt)}
	if out.OldConversations == "" {
		out.OldConversations = string(omnichannel.PolicyNone)
	}
	for _, t := range teams {
		if sameSet(t.MemberIDs, r.UserIDs) {
			out.TeamID = t.ID
			break
		}
	}
	return out
}

func teamWire(t *omnichannel.Team, rules []*omnichannel.Rule) Team {
	out := Team{ID: t.ID, Name: t.Name, MemberIDs: orEmpty(append([]string(nil), t.MemberIDs...)), Method: string(t.Method)}
	for _, r := range rules {
		if sameSet(t.MemberIDs, r.UserIDs) {
			out.RuleID = r.ID
			break
		}
	}
	return out
}
