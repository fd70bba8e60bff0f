package tiktok

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Conversation types of conversation/list: STRANGER (the business has not replied yet) and
// SINGLE (it has).
var conversationTypes = [...]string{"SINGLE", "STRANGER"}

// maxListPages bounds one conversation/list walk (TikTok keeps about 100 conversations anyway).
const maxListPages = 50

// wireConversation is a conversation/list entry. Its last-update field is "update_time" in some
// clients and "up_time" in another (uncertain: both read).
type wireConversation struct {
	ConversationID string        `json:"conversation_id"`
	UpdateTime     flexInt       `json:"update_time"`
	UpTime         flexInt       `json:"up_time"`
	Referral       *wireReferral `json:"referral"`
}

func (w wireConversation) updated() time.Time {
	if w.UpdateTime > 0 {
		return msTime(int64(w.UpdateTime))
	}
	return msTime(int64(w.UpTime))
}

// wireParticipant is a content/list participant.
type wireParticipant struct {
	Role         string     `json:"role"`
	ID           flexString `json:"id"`
	DisplayName  string     `json:"display_name"`
	Username     string     `json:"username"`
	ProfileImage string     `json:"profile_image"`
	IsFollower   *bool      `json:"is_follower"`
}

// listConversations reads one page of conversation/list.
func (c *Channel) listConversations(ctx context.Context, businessID, token, ctype, cursor string, limit int) ([]wireConversation, bool, string, error) {
	q := url.Values{}
	q.Set("business_id", businessID)
	q.Set("conversation_type", ctype)
	q.Set("limit", strconv.Itoa(limit))
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	data, err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/business/message/conversation/list/", token: token, query: q})
	if err != nil {
		return nil, false, "", err
	}
	var page struct {
		Conversations []wireConversation `json:"conversations"`
		HasMore       bool               `json:"has_more"`
		Cursor        flexString         `json:"cursor"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, false, "", &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "undecodable conversation list"}
	}
	return page.Conversations, page.HasMore, string(page.Cursor), nil
}

// contentList reads content/list of a conversation: its recent messages (about 20, no paging) and
// its participants.
func (c *Channel) contentList(ctx context.Context, businessID, token, conversationID string) ([]wireMessage, []wireParticipant, error) {
	q := url.Values{}
	q.Set("business_id", businessID)
	q.Set("conversation_id", conversationID)
	data, err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/business/message/content/list/", token: token, query: q})
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Messages     []wireMessage     `json:"messages"`
		Participants []wireParticipant `json:"participants"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, nil, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "undecodable message list"}
	}
	return out.Messages, out.Participants, nil
}

// customerOf returns the conversation's customer profile from the participants, or nil.
func customerOf(businessID, conversationID string, ps []wireParticipant) *omnichannel.Profile {
	for _, p := range ps {
		if string(p.ID) == businessID || strings.EqualFold(p.Role, roleBusiness) {
			continue // roles are UPPERCASE in REST lists
		}
		prof := &omnichannel.Profile{ExternalUserID: conversationID, DisplayName: firstNonEmpty(p.DisplayName, p.Username),
			AvatarURL: p.ProfileImage, Follower: p.IsFollower, Attributes: map[string]string{}}
		if p.ID != "" {
			prof.Attributes["tiktok_user_id"] = string(p.ID)
		}
		if p.Username != "" {
			prof.Attributes["tiktok_username"] = p.Username
		}
		return prof
	}
	return nil
}

// FetchProfile returns the customer of the TikTok conversation externalUserID (a conversation
// id) from content/list's participants: display name, avatar (an expiring URL), follower flag and
// TikTok user id. A conversation without a customer participant is a final ProviderError.
func (c *Channel) FetchProfile(ctx context.Context, conn *omnichannel.Connection, externalUserID string) (*omnichannel.Profile, error) {
	token, err := accessToken(conn)
	if err != nil {
		return nil, err
	}
	if externalUserID == "" {
		return nil, &omnichannel.ValidationError{Problems: []string{"tiktok: empty conversation id"}}
	}
	_, ps, err := c.contentList(ctx, conn.ExternalID, token, externalUserID)
	if err != nil {
		return nil, err
	}
	p := customerOf(conn.ExternalID, externalUserID, ps)
	if p == nil {
		return nil, &omnichannel.ProviderError{Provider: Kind, Code: "participant_not_found",
			Message: "TikTok lists no customer in this conversation"}
	}
	return p, nil
}

// SyncHistory imports the conversations TikTok still lists (SINGLE then STRANGER, every page by
// cursor) with their recent messages from content/list, oldest first per conversation, each with
// the customer's profile from the participants. TikTok keeps only about the last 90 days / 100
// conversations and 20 messages each (uncertain): older history cannot be imported.
func (c *Channel) SyncHistory(ctx context.Context, conn *omnichannel.Connection, fn func(omnichannel.InboundEvent) error) error {
	token, err := accessToken(conn)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, ctype := range conversationTypes {
		cursor := ""
		for page := 0; page < maxListPages; page++ {
			convs, more, next, err := c.listConversations(ctx, conn.ExternalID, token, ctype, cursor, 100)
			if err != nil {
				return err
			}
			for _, cv := range convs {
				if cv.ConversationID == "" || seen[cv.ConversationID] {
					continue
				}
				seen[cv.ConversationID] = true
				if err := c.syncConversation(ctx, conn.ExternalID, token, cv.ConversationID, fn); err != nil {
					return err
				}
			}
			if !more || next == "" || next == cursor {
				break
			}
			cursor = next
		}
	}
	return nil
}

func (c *Channel) syncConversation(ctx context.Context, businessID, token, convID string, fn func(omnichannel.InboundEvent) error) error {
	msgs, ps, err := c.contentList(ctx, businessID, token, convID)
	if err != nil {
		return err
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].Timestamp < msgs[j].Timestamp })
	customer := customerOf(businessID, convID, ps)
	names := namesOf(businessID, ps)
	for i := range msgs {
		m := &msgs[i]
		if m.MessageID == "" {
			continue
		}
		ev := c.listEvent(businessID, convID, m, customer, names)
		if err := fn(ev); err != nil {
			return err
		}
		// Reactions on the message (UNCERTAIN who made each: an entry's sender when it names the
		// business, the customer otherwise).
		for _, r := range m.Reactions {
			dir := omnichannel.DirectionIn
			if s := string(r.Sender); s != "" && (s == businessID || strings.EqualFold(s, names.business)) {
				dir = omnichannel.DirectionOut
			}
			for _, rev := range reactionEvents(businessID, convID, m, []wireReaction{r}, dir) {
				if err := fn(rev); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// participantNames are the usernames of a conversation's business and customer (content/list's
// sender and recipient are usernames).
type participantNames struct{ business, customer string }

func namesOf(businessID string, ps []wireParticipant) participantNames {
	var n participantNames
	for _, p := range ps {
		name := firstNonEmpty(p.Username, p.DisplayName)
		if string(p.ID) == businessID || strings.EqualFold(p.Role, roleBusiness) {
			n.business = name
		} else if n.customer == "" {
			n.customer = name
		}
	}
	return n
}

// listEvent maps a content/list message, with the participants' profile of the customer.
func (c *Channel) listEvent(businessID, convID string, m *wireMessage, customer *omnichannel.Profile, names participantNames) omnichannel.InboundEvent {
	dir := omnichannel.DirectionIn
	if m.fromBusiness(businessID, names.business, names.customer) {
		dir = omnichannel.DirectionOut
	}
	ev := toMessageEvent(businessID, convID, m, dir)
	if customer != nil {
		p := *customer
		ev.Profile = &p
	}
	return ev
}

// euMatchSlack is how far a listed message's timestamp may be from the EU event's.
const euMatchSlack = 5 * time.Second

// FetchContent completes a stripped im_receive_msg_eu event. When the event names its
// conversation, that conversation's content/list is read; otherwise the most recently updated
// conversations of conversation/list are searched. The customer message with the event's
// message id, or with the timestamp closest to the event's (within 5 s; the newest one when the
// event has no time), is returned as a complete EventMessage. When none is found yet, a
// retryable ProviderError makes the engine answer 500, so TikTok delivers the event again.
func (c *Channel) FetchContent(ctx context.Context, conn *omnichannel.Connection, ev omnichannel.InboundEvent) (omnichannel.InboundEvent, error) {
	token, err := accessToken(conn)
	if err != nil {
		return ev, err
	}
	candidates := []string{ev.ExternalUserID}
	if ev.ExternalUserID == "" {
		if candidates, err = c.recentConversations(ctx, conn.ExternalID, token, ev.Time); err != nil {
			return ev, err
		}
	}
	for _, convID := range candidates {
		msgs, ps, err := c.contentList(ctx, conn.ExternalID, token, convID)
		if err != nil {
			return ev, err
		}
		names := namesOf(conn.ExternalID, ps)
		if m := pickEUMessage(conn.ExternalID, names, msgs, ev); m != nil {
			full := c.listEvent(conn.ExternalID, convID, m, customerOf(conn.ExternalID, convID, ps), names)
			full.Direction = omnichannel.DirectionIn
			return full, nil
		}
	}
	return ev, &omnichannel.ProviderError{Provider: Kind, Code: "content_not_found", Retryable: true,
		Message: "the message of an EU webhook is not in TikTok's lists yet"}
}

// recentConversations lists the first page of each conversation type, newest first, keeping those
// updated around or after at.
func (c *Channel) recentConversations(ctx context.Context, businessID, token string, at time.Time) ([]string, error) {
	var all []wireConversation
	for _, ctype := range conversationTypes {
		convs, _, _, err := c.listConversations(ctx, businessID, token, ctype, "", 20)
		if err != nil {
			return nil, err
		}
		all = append(all, convs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].updated().After(all[j].updated()) })
	var ids []string
	for _, cv := range all {
		if cv.ConversationID == "" || containsFold(ids, cv.ConversationID) {
			continue
		}
		if u := cv.updated(); !at.IsZero() && !u.IsZero() && u.Before(at.Add(-euMatchSlack)) {
			continue
		}
		ids = append(ids, cv.ConversationID)
		if len(ids) == 10 {
			break
		}
	}
	return ids, nil
}

// pickEUMessage finds the customer message an EU event announced.
func pickEUMessage(businessID string, names participantNames, msgs []wireMessage, ev omnichannel.InboundEvent) *wireMessage {
	var best *wireMessage
	var bestDelta time.Duration
	for i := range msgs {
		m := &msgs[i]
		if m.MessageID == "" || m.fromBusiness(businessID, names.business, names.customer) {
			continue
		}
		if ev.ProviderMessageID != "" {
			if m.MessageID == ev.ProviderMessageID {
				return m
			}
			continue
		}
		if ev.Time.IsZero() {
			if best == nil || m.Timestamp > best.Timestamp {
				best = m
			}
			continue
		}
		d := msTime(int64(m.Timestamp)).Sub(ev.Time)
		if d < 0 {
			d = -d
		}
		if d <= euMatchSlack && (best == nil || d < bestDelta) {
			best, bestDelta = m, d
		}
	}
	return best
}
