package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	"github.com/dakenh/dakenh/omnichannel"
)

// metaEmulator runs Meta's emulator (channels/meta/metatest) for one kind: Messenger (the Page
// "Shop Hoa Mai", and the second Page an admin can connect) or Instagram (@shophoamai). The two
// share one emulator server, as they share one Meta app.
type metaEmulator struct {
	srv     *metatest.Server
	adapter *meta.Channel
	kind    omnichannel.Kind
	label   string
	// account is the demo account seeded as a connection.
	account string
	close   func()
}

// newMetaEmulators starts the emulator and returns its Messenger and Instagram sides.
func newMetaEmulators() (*metaEmulator, *metaEmulator, error) {
	srv := metatest.New(metatest.Options{})
	m, ig, err := meta.NewPair(srv.Config())
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	var once sync.Once
	closer := func() { once.Do(srv.Close) }
	return &metaEmulator{srv: srv, adapter: m, kind: meta.KindMessenger, label: "Messenger", account: srv.PageID(), close: closer},
		&metaEmulator{srv: srv, adapter: ig, kind: meta.KindInstagram, label: "Instagram", account: srv.InstagramID(), close: closer}, nil
}

func (e *metaEmulator) Kind() omnichannel.Kind       { return e.kind }
func (e *metaEmulator) Label() string                { return e.label }
func (e *metaEmulator) Adapter() omnichannel.Channel { return e.adapter }
func (e *metaEmulator) Close()                       { e.close() }

// SeedConnection is the demo account with fresh tokens.
func (e *metaEmulator) SeedConnection() *omnichannel.Connection { return e.srv.Connection(e.account) }

// accounts are the emulator's accounts of this kind.
func (e *metaEmulator) accounts() []string {
	var out []string
	for _, p := range e.srv.Pages() {
		switch {
		case e.kind == meta.KindMessenger:
			out = append(out, p.ID)
		case p.Instagram != nil:
			out = append(out, p.Instagram.ID)
		}
	}
	return out
}

// CustomerWrites sends the file first, then the text (Meta carries one of them per message); a
// shared phone number is written in the text.
func (e *metaEmulator) CustomerWrites(ctx context.Context, hook string, m customerMessage) error {
	account := e.account
	for _, a := range e.accounts() {
		if a == m.AccountID {
			account = a
		}
	}
	if f := m.File; f != nil {
		if _, err := e.srv.CustomerSendsFile(ctx, hook, account, m.CustomerID, m.Name, f.Data, f.ContentType); err != nil {
			return fmt.Errorf("%s emulator: %w", e.label, err)
		}
	}
	text := m.Text
	if m.Phone != "" {
		text = text + "\n" + m.Phone
	}
	if text != "" {
		if _, err := e.srv.CustomerSays(ctx, hook, account, m.CustomerID, m.Name, text); err != nil {
			return fmt.Errorf("%s emulator: %w", e.label, err)
		}
	}
	return nil
}

// CustomerReads posts Messenger's delivery and read watermarks, or Instagram's seen of the last
// business message, for every account the customer wrote to.
func (e *metaEmulator) CustomerReads(ctx context.Context, hook, customerID string) error {
	for _, a := range e.accounts() {
		if err := e.srv.Delivered(ctx, hook, a, customerID); err != nil {
			return err
		}
		if err := e.srv.CustomerReads(ctx, hook, a, customerID); err != nil {
			return err
		}
	}
	return nil
}

// CustomerReacts posts the customer's ❤️ on the business message providerMessageID, from the
// account that sent it.
func (e *metaEmulator) CustomerReacts(ctx context.Context, hook, customerID, providerMessageID string) error {
	account := e.account
	for _, m := range e.srv.Sent() {
		if m.MessageID == providerMessageID {
			account = m.AccountID
		}
	}
	return e.srv.CustomerReacts(ctx, hook, account, customerID, providerMessageID, "❤️")
}

func (e *metaEmulator) Received(customerID string) []receivedMessage {
	mine := map[string]bool{}
	for _, a := range e.accounts() {
		mine[a] = true
	}
	var out []receivedMessage
	for _, m := range e.srv.Sent() {
		if m.UserID != customerID || !mine[m.AccountID] {
			continue
		}
		r := receivedMessage{ProviderMessageID: m.MessageID, Text: m.Text, At: m.At}
		if m.AttachmentType != "" {
			r.Attachments = append(r.Attachments, m.AttachmentType+" ("+m.ContentType+")")
		}
		out = append(out, r)
	}
	return out
}
