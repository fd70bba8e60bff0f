package inboxapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// maxSearchLength caps the free-text search, in characters.
const maxSearchLength = 200

// maxFilterValues caps the values of one list filter: more would only make a slower (or, past the
// store's limit of query parameters, failing) query.
const maxFilterValues = 100

// filterValues returns the values of the list filter name (see queryValues), refusing more than
// maxFilterValues of them.
func filterValues(r *http.Request, name string, f fieldErrors) []string {
	vs := queryValues(r, name)
	if len(vs) > maxFilterValues {
		f.add(name, "too_many", fmt.Sprintf("at most %d values", maxFilterValues), "max", strconv.Itoa(maxFilterValues))
		return nil
	}
	return vs
}

// conversationQuery reads the list filters of GET /conversations and /conversations/unread-count.
func conversationQuery(r *http.Request, u *omnichannel.User, f fieldErrors) omnichannel.ConversationQuery {
	q := omnichannel.ConversationQuery{WorkspaceID: u.WorkspaceID}
	for _, v := range filterValues(r, "channel", f) {
		q.ChannelKinds = append(q.ChannelKinds, omnichannel.Kind(v))
	}
	badStatus := false
	for _, v := range filterValues(r, "status", f) {
		switch s := omnichannel.ConversationStatus(v); s {
		case omnichannel.StatusOpen, omnichannel.StatusDone:
			q.Statuses = append(q.Statuses, s)
		default:
			badStatus = true
		}
	}
	if badStatus {
		f.add("status", "not_allowed", "must be open or done", "allowed", "open, done")
	}
	switch v := r.URL.Query().Get("read"); v {
	case "":
	case "unread":
		q.ReadState = omnichannel.ReadUnread
	case "read":
		q.ReadState = omnichannel.ReadRead
	default:
		f.add("read", "not_allowed", "must be unread or read", "allowed", "unread, read")
	}
	for _, v := range filterValues(r, "assignee", f) {
		switch v {
		case "me":
			q.AssigneeIDs = append(q.AssigneeIDs, u.ID)
		case "unassigned":
			q.AssigneeIDs = append(q.AssigneeIDs, omnichannel.Unassigned)
		default:
			q.AssigneeIDs = append(q.AssigneeIDs, v)
		}
	}
	q.TeamIDs = filterValues(r, "team", f)
	q.CategoryIDs = filterValues(r, "category", f)
	q.ClassificationIDs = filterValues(r, "classification", f)
	q.ConnectionIDs = filterValues(r, "connection", f)
	switch v := r.URL.Query().Get("awaiting"); v {
	case "", "0", "false":
	case "1", "true":
		q.AwaitingClaim = true
	default:
		f.add("awaiting", "not_allowed", "must be 1 or 0", "allowed", "1, 0")
	}
	q.Search = strings.TrimSpace(r.URL.Query().Get("q"))
	if !utf8.ValidString(q.Search) {
		f.add("q", "bad_text", "must be valid UTF-8")
	} else if strings.ContainsFunc(q.Search, unicode.IsControl) {
		// NUL and other control characters are in no name or phone; stores cannot take them in a
		// query (a NUL ends SQLite's full-text query string; PostgreSQL text refuses it).
		f.add("q", "bad_text", "must not contain control characters")
	} else if utf8.RuneCountInString(q.Search) > maxSearchLength {
		f.add("q", "too_long", fmt.Sprintf("must be at most %d characters", maxSearchLength), "max", strconv.Itoa(maxSearchLength))
	}
	return q
}

func (h *handler) listConversations(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	f := fieldErrors{}
	q := conversationQuery(r, u, f)
	limit := queryInt(r, "limit", 50, 1, 200, f)
	after, err := omnichannel.ParseCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		f.add("cursor", "bad_cursor", "invalid page cursor: start again from the first page")
	}
	if err := f.err(); err != nil {
		return err
	}
	count := q
	q.After, q.Limit = after, int(limit)
	page, err := h.eng.ListConversations(r.Context(), u.ID, q)
	if err != nil {
		return err
	}
	unread, err := h.eng.CountUnread(r.Context(), u.ID, count)
	if err != nil {
		return err
	}
	if page.Unread == nil {
		page.Unread = map[string]int64{}
	}
	items, err := h.conversationsFor(r.Context(), u, page.Conversations, page.Unread)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ConversationList{Items: items, Next: page.Next, Unread: unread})
	return nil
}

func (h *handler) unreadCount(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	f := fieldErrors{}
	q := conversationQuery(r, u, f)
	if err := f.err(); err != nil {
		return err
	}
	n, err := h.eng.CountUnread(r.Context(), u.ID, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UnreadCount{Count: n})
	return nil
}

func (h *handler) getConversation(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	conv, err := h.eng.Conversation(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	wire, err := h.conversationFor(r.Context(), u, conv)
	if err != nil {
		return err
	}
	var caps Capabilities
	if ch := h.eng.Channel(conv.ChannelKind); ch != nil {
		caps = capabilitiesWire(ch.Capabilities())
	} else {
		caps = capabilitiesWire(omnichannel.Capabilities{})
	}
	caps.ReactionEmojis = orEmpty(h.eng.ReactionEmojis(conv.ChannelKind))
	canClaim, err := h.canClaim(r.Context(), u, conv)
	if err != nil {
		return err
	}
	detail := ConversationDetail{Conversation: wire, Window: windowWire(h.eng.Window(conv)), Capabilities: caps, CanClaim: canClaim}
	if err := h.eng.ReplyRoute(r.Context(), conv); err != nil {
		if !errors.Is(err, omnichannel.ErrNoReplyRoute) {
			return err
		}
		detail.ReplyBlocked = "no_reply_route"
	}
	writeJSON(w, http.StatusOK, detail)
	return nil
}

// canClaim tells whether u may claim conv (the engine's Claim decides; this only spares the user a
// button that would be refused).
func (h *handler) canClaim(ctx context.Context, u *omnichannel.User, conv *omnichannel.Conversation) (bool, error) {
	if conv.Status != omnichannel.StatusOpen || conv.AssigneeID != "" {
		return false, nil
	}
	if conv.RuleID == "" {
		return true, nil
	}
	in := true
	err := h.eng.ReadWorkspace(ctx, u.WorkspaceID, func(rd *omnichannel.WorkspaceReader) error {
		me, err := rd.User(u.ID)
		if err != nil {
			return err
		}
		if me.Role == omnichannel.RoleSupervisor {
			return nil
		}
		rule, err := rd.Rule(conv.RuleID)
		if errors.Is(err, omnichannel.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		in = slices.Contains(rule.UserIDs, u.ID)
		return nil
	})
	return in, err
}

func (h *handler) listMessages(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	f := fieldErrors{}
	before := queryInt(r, "before", 0, 0, 1<<62, f)
	limit := queryInt(r, "limit", 50, 1, 500, f)
	if err := f.err(); err != nil {
		return err
	}
	msgs, err := h.eng.Messages(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"), before, int(limit))
	if err != nil {
		return err
	}
	items, err := h.messagesFor(r.Context(), u, msgs)
	if err != nil {
		return err
	}
	more := len(msgs) == int(limit) && len(msgs) > 0 && msgs[0].Seq > 1
	writeJSON(w, http.StatusOK, MessageList{Items: items, More: more})
	return nil
}

func (h *handler) markRead(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	if err := h.eng.MarkRead(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeConversation answers {conversation} for conv, as u sees it.
func (h *handler) writeConversation(w http.ResponseWriter, r *http.Request, u *omnichannel.User, conv *omnichannel.Conversation, err error) error {
	if err != nil {
		return err
	}
	wire, err := h.conversationFor(r.Context(), u, conv)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ConversationResponse{Conversation: wire})
	return nil
}

func (h *handler) markDone(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	conv, err := h.eng.MarkDone(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	return h.writeConversation(w, r, u, conv, err)
}

func (h *handler) reopen(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	conv, err := h.eng.Reopen(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	return h.writeConversation(w, r, u, conv, err)
}

func (h *handler) claim(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	conv, err := h.eng.Claim(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	return h.writeConversation(w, r, u, conv, err)
}

func (h *handler) assign(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req AssignRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	req.UserID, req.TeamID = strings.TrimSpace(req.UserID), strings.TrimSpace(req.TeamID)
	if (req.UserID == "") == (req.TeamID == "") {
		f := fieldErrors{}
		f.add("userId", "choose_one", "give either userId or teamId")
		f.add("teamId", "choose_one", "give either userId or teamId")
		return f.err()
	}
	conv, err := h.eng.Reassign(r.Context(), omnichannel.ReassignParams{WorkspaceID: u.WorkspaceID,
		ConversationID: r.PathValue("id"), ActorID: u.ID, ToUserID: req.UserID, ToTeamID: req.TeamID})
	return h.writeConversation(w, r, u, conv, withHints(err, hint{"team", "teamId"}, hint{"user", "userId"}))
}

func (h *handler) updateDetails(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req DetailsRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	conv, err := h.eng.UpdateDetails(r.Context(), omnichannel.DetailsParams{WorkspaceID: u.WorkspaceID,
		ConversationID: r.PathValue("id"), ActorID: u.ID, CategoryID: req.CategoryID,
		ClassificationID: req.ClassificationID, Note: req.Note})
	return h.writeConversation(w, r, u, conv, withHints(err, hint{"classification", "classificationId"},
		hint{"categor", "categoryId"}, hint{"note", "note"}))
}

func (h *handler) customer(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	p, err := h.eng.Customer(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	c := p.Contact
	out := Customer{Contact: Contact{ID: c.ID, Name: c.Name, Phone: c.Phone, Email: c.Email, AvatarURL: c.AvatarURL,
		Attributes: map[string]string{}, CRMCustomerID: c.CRMCustomerID, Identities: []Identity{}}, History: []HistoryItem{}}
	for k, v := range c.Attributes {
		out.Contact.Attributes[k] = v
	}
	if crm := p.CRM; crm != nil {
		for k, v := range crm.Attributes {
			if _, ok := out.Contact.Attributes[k]; !ok {
				out.Contact.Attributes[k] = v
			}
		}
		if out.Contact.Name == "" {
			out.Contact.Name = crm.Name
		}
		if out.Contact.Email == "" {
			out.Contact.Email = crm.Email
		}
		out.Contact.ProfileURL = crm.ProfileURL
	}
	for _, id := range p.Identities {
		out.Contact.Identities = append(out.Contact.Identities, Identity{Channel: string(id.ChannelKind),
			ConnectionID: id.ConnectionID, ExternalUserID: id.ExternalUserID, DisplayName: id.DisplayName,
			AvatarURL: id.AvatarURL, Phone: id.Phone})
	}
	for _, it := range p.History {
		out.History = append(out.History, HistoryItem{Type: it.Kind, At: timeString(it.At), Title: it.Title,
			Detail: it.Detail, ConversationID: it.ConversationID, Channel: string(it.Channel), URL: it.URL})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) listTemplates(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	conv, err := h.eng.Conversation(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	ts, err := h.eng.Templates(r.Context(), u.WorkspaceID, conv.ChannelKind)
	if err != nil {
		return err
	}
	out := TemplateList{Items: []Template{}}
	for _, t := range ts {
		if t.WorkspaceID != "" && t.WorkspaceID != u.WorkspaceID {
			continue
		}
		out.Items = append(out.Items, templateWire(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *handler) renderTemplate(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	// The conversation is checked first, so another workspace's conversation is "not found" whatever
	// the template.
	if _, err := h.eng.Conversation(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")); err != nil {
		return err
	}
	f, err := h.eng.FillTemplate(r.Context(), omnichannel.TemplateFill{WorkspaceID: u.WorkspaceID, ViewerID: u.ID,
		ConversationID: r.PathValue("id"), TemplateID: r.PathValue("templateId")})
	if err != nil {
		return withHints(err, hint{"", "templateId"})
	}
	writeJSON(w, http.StatusOK, RenderedTemplate{Text: f.Text, Unknown: orEmpty(f.Unknown)})
	return nil
}
