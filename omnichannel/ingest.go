package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ingest applies one verified, parsed event of conn in one transaction.
func (e *Engine) ingest(ctx context.Context, conn *Connection, ev InboundEvent) error {
	return e.ingestWith(ctx, conn, ev, false)
}

// ingestHistorical imports a message from before the connection: its conversation is marked
// Historical and is not routed (the rule's old-conversation policy decides later).
func (e *Engine) ingestHistorical(ctx context.Context, conn *Connection, ev InboundEvent) error {
	return e.ingestWith(ctx, conn, ev, true)
}

// ingestWith runs the event's transaction. A uniqueness violation means a concurrent delivery of the
// same message (or the same new customer) committed first: the transaction is run again and then
// finds that row, so concurrent duplicates all answer 200 with one stored message.
func (e *Engine) ingestWith(ctx context.Context, conn *Connection, ev InboundEvent, historical bool) error {
	sanitizeEvent(&ev)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = e.ingestOnce(ctx, conn, ev, historical); !errors.Is(err, ErrDuplicate) {
			break
		}
	}
	return err
}

func (e *Engine) ingestOnce(ctx context.Context, conn *Connection, ev InboundEvent, historical bool) error {
	return e.updateGrouped(ctx, func(tx Tx, ch *change) error {
		if err := e.ingestEvent(ctx, tx, ch, conn, ev, historical); err != nil {
			return err
		}
		// Every path that opens a conversation saves it; this keeps one that did not from
		// losing it.
		return e.insertOpening(tx, ch)
	})
}

// ingestEvent applies ev in tx.
func (e *Engine) ingestEvent(ctx context.Context, tx Tx, ch *change, conn *Connection, ev InboundEvent, historical bool) error {
	switch ev.Type {
	case InboundMessage:
		return e.ingestMessage(ctx, tx, ch, conn, ev, historical)
	case InboundStatus:
		return e.ingestStatus(tx, ch, conn, ev)
	case InboundInfoShared:
		return e.ingestInfoShared(ctx, tx, ch, conn, ev)
	case InboundReaction:
		return e.ingestReaction(tx, ch, conn, ev)
	case InboundFollow:
		ident, _, err := e.upsertIdentity(tx, ch, conn, ev)
		if err != nil {
			return err
		}
		return e.noteInteraction(tx, ch, conn, ident, nil, ev)
	case InboundUnfollow, InboundProfile:
		_, _, err := e.upsertIdentity(tx, ch, conn, ev)
		return err
	case InboundReferral:
		ident, _, err := e.upsertIdentity(tx, ch, conn, ev)
		if err != nil {
			return err
		}
		conv, _, err := e.findOrOpen(ctx, tx, ch, conn, ident, nil)
		if err != nil {
			return err
		}
		conv.Referral = ev.Referral
		return e.saveConversation(tx, ch, conv, EventConversationUpdated)
	default:
		return nil // unknown to the engine: ignored
	}
}

func (e *Engine) ingestMessage(ctx context.Context, tx Tx, ch *change, conn *Connection, ev InboundEvent, historical bool) error {
	pre, err := readIngestLookups(ctx, tx, conn, ev)
	if err != nil {
		return err
	}
	if pre.duplicate {
		return e.ingestDuplicate(ctx, tx, ch, conn, ev, historical, pre.conversation)
	}
	ident, contact, err := e.upsertIdentityFrom(tx, ch, conn, ev, &pre)
	if err != nil {
		return err
	}
	conv, opened, err := e.findOrOpenFrom(ctx, tx, ch, conn, ident, contact, historical, &pre)
	if err != nil {
		return err
	}
	if ev.Direction == DirectionOut {
		return e.ingestEcho(tx, ch, conn, conv, ev, historical)
	}
	if !historical && conv.Historical {
		if err := e.goLive(ctx, tx, ch, conn, conv); err != nil {
			return err
		}
	}
	if conv.Status == StatusDone && !opened && !historical {
		conv.Status = StatusOpen
		if err := e.record(tx, ch, conv, Activity{Action: ActivityReopened, From: string(StatusDone), To: string(StatusOpen)}); err != nil {
			return err
		}
	}
	m := &Message{
		Direction: DirectionIn, Type: messageType(ev), SenderID: ident.ID, SenderName: ident.DisplayName,
		Text: ev.Text, Attachments: ev.Attachments, QuoteProviderMessageID: ev.QuoteProviderMessageID,
		ProviderMessageID: ev.ProviderMessageID, Status: MessageReceived, ProviderTime: ev.Time,
	}
	if historical {
		m.CreatedAt = ev.Time
	}
	if err := e.appendEntry(tx, ch, conv, m); err != nil {
		return err
	}
	if err := e.saveConversation(tx, ch, conv, eventFor(opened)); err != nil {
		return err
	}
	if err := e.enqueueMediaJobs(tx, ch, conn, m); err != nil {
		return err
	}
	if e.cfg.Directory != nil {
		if phones := ExtractPhones(ev.Text); len(phones) > 0 {
			if contact == nil {
				if contact, err = tx.GetContact(conn.WorkspaceID, ident.ContactID); err != nil {
					return err
				}
			}
			if contact.CRMCustomerID == "" {
				return e.enqueue(tx, ch, &Job{WorkspaceID: conn.WorkspaceID, Kind: JobLinkContact, ConversationID: conv.ID,
					ConnectionID: conn.ID, Payload: map[string]string{"phone": phones[0], "contact": contact.ID}})
			}
		}
	}
	return nil
}

// ingestDuplicate handles a message the connection already has. A duplicate delivery changes
// nothing, with one exception: when a history sync imported a customer's message before its live
// webhook arrived, the message's conversation is still historical (not routed, waiting for the
// rule's old-conversation policy); the live delivery makes it live and routes it, as the webhook
// would have done had it come first. conv is the customer's conversation when the caller read it.
func (e *Engine) ingestDuplicate(ctx context.Context, tx Tx, ch *change, conn *Connection, ev InboundEvent, historical bool, conv *Conversation) error {
	if historical || ev.Direction == DirectionOut || ev.ExternalUserID == "" {
		return nil
	}
	if conv == nil {
		ident, err := tx.FindIdentity(conn.WorkspaceID, conn.ID, ev.ExternalUserID)
		if err == nil {
			conv, err = tx.FindConversation(conn.WorkspaceID, conn.ID, ident.ID)
		}
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if !conv.Historical {
		return nil
	}
	if err := e.goLive(ctx, tx, ch, conn, conv); err != nil {
		return err
	}
	return e.saveConversation(tx, ch, conv, EventConversationUpdated)
}

// goLive turns a historical conversation that received a live customer message into a live one:
// it is routed by its connection's rule as a new conversation would be (RouteNew), unless the
// rule's old-conversation policy already gave it an owner or put it in the claim queue. The
// caller saves conv.
func (e *Engine) goLive(ctx context.Context, tx Tx, ch *change, conn *Connection, conv *Conversation) error {
	conv.Historical = false
	if conv.AssigneeID != "" || conv.AwaitingClaim {
		return nil
	}
	return e.route(ctx, tx, ch, conv, conn, RouteRequest{Reason: RouteNew}, "")
}

func eventFor(opened bool) EventKind {
	if opened {
		return EventConversationOpened
	}
	return EventConversationUpdated
}

func messageType(ev InboundEvent) MessageType {
	if ev.MessageType != "" {
		return ev.MessageType
	}
	if len(ev.Attachments) > 0 {
		return ev.Attachments[0].Kind
	}
	return MessageText
}

// ingestEcho handles a business message reported by the provider: an echo of our own send is matched
// to the pending message (by provider id, or by text for echoes that arrive before the send call
// returns); anything else was typed in the provider's own console and joins the thread.
func (e *Engine) ingestEcho(tx Tx, ch *change, conn *Connection, conv *Conversation, ev InboundEvent, historical bool) error {
	cand, err := e.echoCandidate(tx, conn, conv, ev)
	if err == nil && !historical {
		cand.ProviderMessageID = ev.ProviderMessageID
		if cand.Status.Rank() < MessageSent.Rank() {
			cand.Status = MessageSent
		}
		return e.saveMessage(tx, ch, cand)
	}
	if err != nil && !isNotFound(err) {
		return err
	}
	m := &Message{
		Direction: DirectionOut, Type: messageType(ev), SenderName: conn.DisplayName, Text: ev.Text,
		Attachments: ev.Attachments, ProviderMessageID: ev.ProviderMessageID, Status: MessageSent,
		ProviderTime: ev.Time,
	}
	if historical {
		m.CreatedAt = ev.Time
	}
	if err := e.appendEntry(tx, ch, conv, m); err != nil {
		return err
	}
	return e.saveConversation(tx, ch, conv, EventConversationUpdated)
}

// echoCandidate finds the pending send an echo reports: the message the adapter named (EchoOf),
// else one with the same text within EchoWindow, unless the provider says another app sent it.
func (e *Engine) echoCandidate(tx Tx, conn *Connection, conv *Conversation, ev InboundEvent) (*Message, error) {
	if ev.EchoOf != "" {
		m, err := tx.GetMessage(conn.WorkspaceID, ev.EchoOf)
		if err == nil && m.ConversationID == conv.ID && m.Direction == DirectionOut && m.ProviderMessageID == "" {
			return m, nil
		}
		if err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	if ev.ForeignEcho {
		return nil, fmt.Errorf("%w: echo of another app", ErrNotFound)
	}
	return tx.FindEchoCandidate(conn.WorkspaceID, conv.ID, ev.Text, e.now().Add(-e.cfg.EchoWindow))
}

func (e *Engine) saveMessage(tx Tx, ch *change, m *Message) error {
	m.UpdatedAt = e.now()
	if err := tx.UpdateMessage(m); err != nil {
		return err
	}
	ch.emit(Event{Kind: EventMessageUpdated, WorkspaceID: m.WorkspaceID, ConversationID: m.ConversationID,
		MessageID: m.ID, ConnectionID: m.ConnectionID, Message: m.Clone(), At: e.now()})
	return nil
}

// ingestStatus moves business messages forward to delivered / seen; never backwards.
func (e *Engine) ingestStatus(tx Tx, ch *change, conn *Connection, ev InboundEvent) error {
	var msgs []*Message
	for _, id := range ev.ProviderMessageIDs {
		m, err := tx.FindMessageByProviderID(conn.WorkspaceID, conn.ID, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if len(ev.ProviderMessageIDs) == 0 && ev.ExternalUserID != "" {
		ident, err := tx.FindIdentity(conn.WorkspaceID, conn.ID, ev.ExternalUserID)
		if isNotFound(err) {
			return nil // status of a thread we do not have
		}
		if err != nil {
			return err
		}
		conv, err := tx.FindConversation(conn.WorkspaceID, conn.ID, ident.ID)
		if isNotFound(err) {
			return nil // status of a thread we do not have
		}
		if err != nil {
			return err
		}
		recent, err := tx.ListMessages(conn.WorkspaceID, conv.ID, 0, 100)
		if err != nil {
			return err
		}
		for _, m := range recent {
			if m.Direction == DirectionOut && (ev.UpTo.IsZero() || !m.CreatedAt.After(ev.UpTo)) {
				msgs = append(msgs, m)
			}
		}
	}
	for _, m := range msgs {
		if m.Direction != DirectionOut || m.Status == MessageFailed || m.Status.Rank() >= ev.Status.Rank() {
			continue
		}
		m.Status = ev.Status
		if err := e.saveMessage(tx, ch, m); err != nil {
			return err
		}
	}
	return nil
}

// upsertIdentity finds or creates the customer's identity (and contact) and applies the profile data
// the event carries. A shared phone number is normalized and queued for CRM linking. The contact is
// returned when it was created or read (new identity, or new profile data); otherwise it is nil and
// left unread, which saves the ingest of a known customer's message a query.
func (e *Engine) upsertIdentity(tx Tx, ch *change, conn *Connection, ev InboundEvent) (*Identity, *Contact, error) {
	return e.upsertIdentityFrom(tx, ch, conn, ev, &ingestLookups{})
}

// upsertIdentityFrom is upsertIdentity using the identity pre read when pre.known. When it writes
// the identity it clears pre.known: the identity's conversation may have changed with it.
func (e *Engine) upsertIdentityFrom(tx Tx, ch *change, conn *Connection, ev InboundEvent, pre *ingestLookups) (*Identity, *Contact, error) {
	if ev.ExternalUserID == "" {
		return nil, nil, fmt.Errorf("%w: event without a user id", ErrMalformed)
	}
	now := e.now()
	p := ev.Profile
	if p == nil {
		p = &Profile{}
	}
	ident, err := preRead(pre.known, pre.identity, "identity of "+conn.ID, func() (*Identity, error) {
		return tx.FindIdentity(conn.WorkspaceID, conn.ID, ev.ExternalUserID)
	})
	var contact *Contact
	switch {
	case isNotFound(err):
		name := strings.TrimSpace(p.DisplayName)
		if name == "" {
			name = defaultCustomerName(conn.Kind, ev.ExternalUserID)
		}
		contact = &Contact{WorkspaceID: conn.WorkspaceID, ID: newID(), Name: name, AvatarURL: p.AvatarURL,
			Attributes: p.Attributes, CreatedAt: now, UpdatedAt: now}
		ident = &Identity{WorkspaceID: conn.WorkspaceID, ID: newID(), ContactID: contact.ID, ConnectionID: conn.ID,
			ChannelKind: conn.Kind, ExternalUserID: ev.ExternalUserID, DisplayName: name, AvatarURL: p.AvatarURL,
			Anonymous: ev.Anonymous, ProviderConversationID: ev.ProviderConversationID, CreatedAt: now, UpdatedAt: now}
		if err := tx.PutContact(contact); err != nil {
			return nil, nil, err
		}
		if err := tx.InsertIdentity(ident); err != nil {
			return nil, nil, err
		}
		if _, ok := e.channels[conn.Kind].(ProfileFetcher); ok && p.DisplayName == "" && !ev.Anonymous {
			if err := e.enqueue(tx, ch, &Job{WorkspaceID: conn.WorkspaceID, Kind: JobFetchProfile, ConnectionID: conn.ID,
				Payload: map[string]string{"identity": ident.ID}}); err != nil {
				return nil, nil, err
			}
		}
	case err != nil:
		return nil, nil, err
	}
	dirty := false
	if n := strings.TrimSpace(p.DisplayName); n != "" && n != ident.DisplayName {
		ident.DisplayName, dirty = n, true
	}
	if p.AvatarURL != "" && p.AvatarURL != ident.AvatarURL {
		ident.AvatarURL, dirty = p.AvatarURL, true
	}
	switch ev.Type {
	case InboundFollow:
		ident.Follower, dirty = true, dirty || !ident.Follower
	case InboundUnfollow:
		ident.Follower, dirty = false, dirty || ident.Follower
	}
	if p.Follower != nil && *p.Follower != ident.Follower {
		ident.Follower, dirty = *p.Follower, true
	}
	if ev.Anonymous && !ident.Anonymous {
		ident.Anonymous, dirty = true, true
	}
	if ev.ProviderConversationID != "" && ev.ProviderConversationID != ident.ProviderConversationID {
		ident.ProviderConversationID, dirty = ev.ProviderConversationID, true
	}
	phone := ""
	if p.Phone != "" {
		if ph, ok := NormalizePhone(p.Phone); ok && ph != ident.Phone {
			ident.Phone, phone, dirty = ph, ph, true
		}
	}
	if !dirty {
		return ident, contact, nil
	}
	pre.known = false
	ident.UpdatedAt = now
	if err := tx.PutIdentity(ident); err != nil {
		return nil, nil, err
	}
	if contact == nil {
		if contact, err = tx.GetContact(conn.WorkspaceID, ident.ContactID); err != nil {
			return nil, nil, err
		}
	}
	if err := e.refreshContactFromIdentity(tx, ch, conn, contact, ident, phone); err != nil {
		return nil, nil, err
	}
	return ident, contact, nil
}

// refreshContactFromIdentity copies new profile data to the contact and to the denormalized fields
// of its conversation on conn; a newly known phone queues CRM linking.
func (e *Engine) refreshContactFromIdentity(tx Tx, ch *change, conn *Connection, contact *Contact, ident *Identity, phone string) error {
	if contact.Name == "" || contact.Name == defaultCustomerName(conn.Kind, ident.ExternalUserID) {
		contact.Name = ident.DisplayName
	}
	if contact.AvatarURL == "" {
		contact.AvatarURL = ident.AvatarURL
	}
	if phone != "" && contact.Phone == "" {
		contact.Phone = phone
	}
	contact.UpdatedAt = e.now()
	if err := tx.PutContact(contact); err != nil {
		return err
	}
	conv, err := tx.FindConversation(conn.WorkspaceID, conn.ID, ident.ID)
	if err == nil && (conv.ContactName != ident.DisplayName || conv.ContactPhone != contact.Phone) {
		conv.ContactName, conv.ContactPhone = ident.DisplayName, contact.Phone
		if err := e.saveConversation(tx, ch, conv, EventConversationUpdated); err != nil {
			return err
		}
	} else if err != nil && !isNotFound(err) {
		return err
	}
	if phone != "" && contact.CRMCustomerID == "" && e.cfg.Directory != nil {
		convID := ""
		if conv != nil {
			convID = conv.ID
		}
		return e.enqueue(tx, ch, &Job{WorkspaceID: conn.WorkspaceID, Kind: JobLinkContact, ConnectionID: conn.ID,
			ConversationID: convID, Payload: map[string]string{"phone": phone, "contact": contact.ID}})
	}
	return nil
}

func defaultCustomerName(kind Kind, externalID string) string {
	s := externalID
	if len(s) > 6 {
		s = s[len(s)-6:]
	}
	return fmt.Sprintf("%s user %s", kind, s)
}

// findOrOpen returns the conversation of ident on conn, opening (and routing) a new one when there
// is none. contact is ident's contact when the caller has it (nil: read when needed).
func (e *Engine) findOrOpen(ctx context.Context, tx Tx, ch *change, conn *Connection, ident *Identity, contact *Contact) (*Conversation, bool, error) {
	return e.findOrOpenFrom(ctx, tx, ch, conn, ident, contact, false, &ingestLookups{})
}

// findOrOpenFrom is findOrOpen for a conversation that may be historical, using the conversation
// pre read when pre.known.
func (e *Engine) findOrOpenFrom(ctx context.Context, tx Tx, ch *change, conn *Connection, ident *Identity, contact *Contact,
	historical bool, pre *ingestLookups) (*Conversation, bool, error) {
	conv, err := preRead(pre.known, pre.conversation, "conversation of identity "+ident.ID, func() (*Conversation, error) {
		return tx.FindConversation(conn.WorkspaceID, conn.ID, ident.ID)
	})
	if err == nil {
		return conv, false, nil
	}
	if !isNotFound(err) {
		return nil, false, err
	}
	if contact == nil {
		if contact, err = tx.GetContact(conn.WorkspaceID, ident.ContactID); err != nil {
			return nil, false, err
		}
	}
	now := e.now()
	conv = &Conversation{
		WorkspaceID: conn.WorkspaceID, ID: newID(), ConnectionID: conn.ID, ChannelKind: conn.Kind,
		ContactID: ident.ContactID, IdentityID: ident.ID, ContactName: ident.DisplayName, ContactPhone: contact.Phone,
		Status: StatusOpen, LastMessageAt: now, CreatedAt: now, UpdatedAt: now, Historical: historical,
	}
	if historical {
		conv.LastMessageAt = time.Time{} // the imported message sets it (see appendEntry)
	}
	// The conversation is stored by the caller's saveConversation, complete (see change.opening).
	if ch.opening != nil {
		if err := e.insertOpening(tx, ch); err != nil {
			return nil, false, err
		}
	}
	ch.opening = conv
	if err := e.record(tx, ch, conv, Activity{Action: ActivityOpened}); err != nil {
		return nil, false, err
	}
	if historical {
		return conv, true, nil
	}
	if err := e.route(ctx, tx, ch, conv, conn, RouteRequest{Reason: RouteNew}, ""); err != nil {
		return nil, false, err
	}
	return conv, true, nil
}
