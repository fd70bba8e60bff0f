package omnichannel

import (
	"context"
	"sort"
)

// CustomerProfile is everything the customer panel and the full profile page show.
//
// A customer linked to a host CRM record (Contact.CRMCustomerID) may write from several accounts — two
// TikTok accounts, a Zalo user — each its own Contact; once they are linked to the same CRM record,
// the profile gathers them all: Identities, Conversations and History cover every contact linked to
// that record, on every connection and channel the viewer may see.
type CustomerProfile struct {
	// Contact is the customer of the conversation the profile was asked for.
	Contact *Contact
	// LinkedContacts are the other contacts linked to the same CRM record (none when unlinked).
	LinkedContacts []*Contact
	// Identities are the accounts of Contact and of the LinkedContacts, on every channel.
	Identities []*Identity
	// CRM is the linked host CRM record, when the contact is linked and a Directory is configured.
	CRM *CRMCustomer
	// Conversations of this customer (all linked contacts) on every channel the viewer may see,
	// newest first.
	Conversations []*Conversation
	// History merges the conversations with the host's calls and transactions, newest first.
	History []Interaction
}

// maxProfileConversations bounds the conversations a profile lists.
const maxProfileConversations = 200

// Customer returns the profile of the contact of a conversation the viewer may see, gathered over
// every contact linked to the same CRM record.
func (e *Engine) Customer(ctx context.Context, workspaceID, viewerID, conversationID string) (*CustomerProfile, error) {
	p := &CustomerProfile{}
	err := e.view(ctx, func(tx Tx) error {
		conv, _, _, err := e.loadForAction(ctx, tx, workspaceID, conversationID, viewerID, ActionView)
		if err != nil {
			return err
		}
		if p.Contact, err = tx.GetContact(workspaceID, conv.ContactID); err != nil {
			return err
		}
		contactIDs := []string{p.Contact.ID}
		if p.Contact.CRMCustomerID != "" {
			linked, err := tx.ListContactsByCRMCustomer(workspaceID, p.Contact.CRMCustomerID)
			if err != nil {
				return err
			}
			for _, c := range linked {
				if c.ID != p.Contact.ID {
					p.LinkedContacts = append(p.LinkedContacts, c)
					contactIDs = append(contactIDs, c.ID)
				}
			}
		}
		for _, id := range contactIDs {
			idents, err := tx.ListIdentities(workspaceID, id)
			if err != nil {
				return err
			}
			p.Identities = append(p.Identities, idents...)
		}
		q := ConversationQuery{WorkspaceID: workspaceID, ContactIDs: contactIDs, Limit: maxProfileConversations}
		ok, err := e.scopeQuery(ctx, tx, viewerID, &q)
		if err != nil || !ok {
			return err
		}
		p.Conversations, err = tx.ListConversations(q)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, c := range p.Conversations {
		p.History = append(p.History, Interaction{Kind: "conversation", Title: c.ContactName, Detail: c.LastMessageText,
			At: c.LastMessageAt, Channel: c.ChannelKind, ConversationID: c.ID})
	}
	if ref := p.Contact.CRMCustomerID; ref != "" {
		e.addCRMRecord(ctx, workspaceID, p)
		if e.cfg.Interactions != nil {
			more, err := e.cfg.Interactions.Interactions(ctx, workspaceID, ref)
			if err != nil {
				e.log.Warn("dakenh: host interactions unavailable", "err", err)
			}
			p.History = append(p.History, more...)
		}
	}
	sort.SliceStable(p.History, func(i, j int) bool { return p.History[i].At.After(p.History[j].At) })
	return p, nil
}

// addCRMRecord sets p.CRM to the host's record of the contact's CRM customer, found through the
// Directory by the phone of the contact or of a linked contact.
func (e *Engine) addCRMRecord(ctx context.Context, workspaceID string, p *CustomerProfile) {
	if e.cfg.Directory == nil {
		return
	}
	for _, c := range append([]*Contact{p.Contact}, p.LinkedContacts...) {
		if c.Phone == "" {
			continue
		}
		if cust, err := e.cfg.Directory.FindByPhone(ctx, workspaceID, c.Phone); err == nil && cust != nil && cust.ID == p.Contact.CRMCustomerID {
			p.CRM = cust
			return
		}
	}
}
