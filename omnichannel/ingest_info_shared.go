package omnichannel

import (
	"context"
	"strings"
)

// ingestInfoShared applies information the customer shared (InboundInfoShared): the identity and
// contact take the phone (queued for CRM linking) and the attributes, and the customer's
// conversation, opened and routed when there is none, gets an ActivityInfoShared entry with the
// phone and the address.
func (e *Engine) ingestInfoShared(ctx context.Context, tx Tx, ch *change, conn *Connection, ev InboundEvent) error {
	if ev.ProviderMessageID != "" {
		_, err := tx.FindMessageByProviderID(conn.WorkspaceID, conn.ID, ev.ProviderMessageID)
		if err == nil {
			return nil // a repeated delivery changes nothing
		}
		if !isNotFound(err) {
			return err
		}
	}
	ident, contact, err := e.upsertIdentity(tx, ch, conn, ev)
	if err != nil {
		return err
	}
	if contact, err = e.mergeSharedAttributes(tx, ident, contact, ev.Profile); err != nil {
		return err
	}
	conv, opened, err := e.findOrOpen(ctx, tx, ch, conn, ident, contact)
	if err != nil {
		return err
	}
	a := Activity{Action: ActivityInfoShared, Detail: sharedAddress(ev.Profile)}
	if ev.Profile != nil {
		if ph, ok := NormalizePhone(ev.Profile.Phone); ok {
			a.To = ph
		}
	}
	entry := &Message{Direction: DirectionSystem, Type: MessageActivity, Status: MessageReceived,
		ProviderMessageID: ev.ProviderMessageID, ProviderTime: ev.Time, Activity: &a}
	if err := e.appendEntry(tx, ch, conv, entry); err != nil {
		return err
	}
	e.bumpInteraction(conn, conv, ev)
	return e.saveConversation(tx, ch, conv, eventFor(opened))
}

// mergeSharedAttributes stores the shared attributes (address parts, the name given in the form)
// on the contact, replacing older values of the same keys. It returns the contact, read when the
// caller did not have it.
func (e *Engine) mergeSharedAttributes(tx Tx, ident *Identity, contact *Contact, p *Profile) (*Contact, error) {
	if p == nil || len(p.Attributes) == 0 {
		return contact, nil
	}
	if contact == nil {
		var err error
		if contact, err = tx.GetContact(ident.WorkspaceID, ident.ContactID); err != nil {
			return nil, err
		}
	}
	changed := false
	for k, v := range p.Attributes {
		if contact.Attributes[k] != v {
			if contact.Attributes == nil {
				contact.Attributes = map[string]string{}
			}
			contact.Attributes[k], changed = v, true
		}
	}
	if !changed {
		return contact, nil
	}
	contact.UpdatedAt = e.now()
	return contact, tx.PutContact(contact)
}

// sharedAddress is the address of shared information as one line: street, ward, district, city,
// the parts that are set, in that order.
func sharedAddress(p *Profile) string {
	if p == nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"address", "ward", "district", "city"} {
		if v := strings.TrimSpace(p.Attributes[k]); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}
