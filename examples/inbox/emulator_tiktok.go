package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/omnichannel"
)

// tiktokEmulator runs the TikTok Business Messaging emulator (channels/tiktok/tiktoktest) with the
// real adapter.
type tiktokEmulator struct {
	srv     *tiktoktest.Server
	adapter *tiktok.Channel
}

func newTikTokEmulator() (*tiktokEmulator, error) {
	srv := tiktoktest.New(tiktoktest.Options{})
	a, err := tiktok.New(srv.Config())
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &tiktokEmulator{srv: srv, adapter: a}, nil
}

func (e *tiktokEmulator) Kind() omnichannel.Kind                  { return tiktok.Kind }
func (e *tiktokEmulator) Label() string                           { return "TikTok" }
func (e *tiktokEmulator) Adapter() omnichannel.Channel            { return e.adapter }
func (e *tiktokEmulator) SeedConnection() *omnichannel.Connection { return e.srv.Connection() }
func (e *tiktokEmulator) Close()                                  { e.srv.Close() }

// CustomerWrites sends the image first, then the text; TikTok customers share a phone number by
// writing it (the engine finds it in the text).
func (e *tiktokEmulator) CustomerWrites(ctx context.Context, hook string, m customerMessage) error {
	if f := m.File; f != nil {
		if !strings.HasPrefix(f.ContentType, "image/") {
			return fmt.Errorf("%w: TikTok customers send images only", errCustomerCannot)
		}
		if _, err := e.srv.CustomerSendsImage(ctx, hook, m.CustomerID, m.Name, f.Data, f.ContentType); err != nil {
			return fmt.Errorf("tiktok emulator: %w", err)
		}
	}
	text := m.Text
	if m.Phone != "" {
		text = strings.TrimSpace(text + "\n" + m.Phone)
	}
	if text != "" {
		if _, err := e.srv.CustomerSays(ctx, hook, m.CustomerID, m.Name, text); err != nil {
			return fmt.Errorf("tiktok emulator: %w", err)
		}
	}
	return nil
}

func (e *tiktokEmulator) CustomerReads(ctx context.Context, hook, customerID string) error {
	if e.srv.ConversationID(customerID) == "" {
		return nil
	}
	return e.srv.CustomerReads(ctx, hook, customerID)
}

func (e *tiktokEmulator) CustomerReacts(ctx context.Context, hook, customerID, providerMessageID string) error {
	return e.srv.CustomerReacts(ctx, hook, customerID, providerMessageID, "❤️", false)
}

func (e *tiktokEmulator) Received(customerID string) []receivedMessage {
	var out []receivedMessage
	for _, m := range e.srv.Sent() {
		if m.UserID != customerID {
			continue
		}
		r := receivedMessage{ProviderMessageID: m.ID, Text: m.Text, At: m.At}
		if m.Type == "IMAGE" {
			r.Attachments = append(r.Attachments, "image ("+m.ContentType+")")
		}
		out = append(out, r)
	}
	return out
}
