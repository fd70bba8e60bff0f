package omnichannel

import (
	"context"
	"sort"
)

// CustomerProfile is everything the customer panel and the full profile page show (SPEC B2–B4).
type CustomerProfile struct {
	Contact    *Contact
	Identities []*Identity
	// CRM is the linked host CRM record, when the contact is linked and a Directory is configured.
	CRM *CRMCustomer
	// Conversations of this customer on every channel, newest first.
	Conversations []*Conversation
	// History merges the conversations with the host's calls and transactions, newest first.
	History []Interaction
}

// Customer returns the profile of the contact of a conversation the viewer may see.
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
		if p.Identities, err = tx.ListIdentities(workspaceID, conv.ContactID); err != nil {
			return err
		}
		q := ConversationQuery{WorkspaceID: workspaceID, ContactIDs: []string{conv.ContactID}, Limit: 200}
		ok, err := e.scopeQuery(tx, viewerID, &q)
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
	if ref := p.Contact.CRMRef; ref != "" {
		if e.cfg.Directory != nil && p.Contact.Phone != "" {
			if cust, err := e.cfg.Directory.FindByPhone(ctx, workspaceID, p.Contact.Phone); err == nil && cust.ID == ref {
				p.CRM = cust
			}
		}
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

// Templates lists the canned replies usable in a conversation's channel.
func (e *Engine) Templates(ctx context.Context, workspaceID string, kind Kind) ([]*Template, error) {
	return e.cfg.Templates.ListTemplates(ctx, workspaceID, kind)
}

// RenderTemplateFor fills a template's variables for a conversation (customer name and phone, agent
// name, channel, connection name) and returns the text to put in the composer (SPEC C2). It is
// FillTemplate's text.
func (e *Engine) RenderTemplateFor(ctx context.Context, workspaceID, viewerID, conversationID, templateID string) (string, error) {
	f, err := e.FillTemplate(ctx, workspaceID, viewerID, conversationID, templateID)
	if err != nil {
		return "", err
	}
	return f.Text, nil
}
