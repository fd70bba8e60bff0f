package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
)

// zaloEmulator runs the Zalo OA platform emulator (channels/zalooa/zalotest) with the real adapter.
type zaloEmulator struct {
	srv     *zalotest.Server
	adapter *zalooa.Channel
}

func newZaloEmulator() (*zaloEmulator, error) {
	srv := zalotest.New(zalotest.Options{OAName: "Shop Hoa Mai — Zalo OA"})
	a, err := zalooa.New(srv.Config())
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &zaloEmulator{srv: srv, adapter: a}, nil
}

func (z *zaloEmulator) Kind() omnichannel.Kind                  { return zalooa.Kind }
func (z *zaloEmulator) Label() string                           { return "Zalo OA" }
func (z *zaloEmulator) Adapter() omnichannel.Channel            { return z.adapter }
func (z *zaloEmulator) SeedConnection() *omnichannel.Connection { return z.srv.Connection() }
func (z *zaloEmulator) Close()                                  { z.srv.Close() }

func (z *zaloEmulator) CustomerWrites(ctx context.Context, hook string, m customerMessage) error {
	text := m.Text
	if f := m.File; f != nil {
		var err error
		if strings.HasPrefix(f.ContentType, "image/") {
			_, err = z.srv.CustomerSendsImage(ctx, hook, m.CustomerID, m.Name, f.Data, text)
			text = ""
		} else {
			_, err = z.srv.CustomerSendsFile(ctx, hook, m.CustomerID, m.Name, f.Name, f.Data)
		}
		if err != nil {
			return fmt.Errorf("zalo emulator: %w", err)
		}
	}
	if text != "" {
		if _, err := z.srv.CustomerSays(ctx, hook, m.CustomerID, m.Name, text); err != nil {
			return fmt.Errorf("zalo emulator: %w", err)
		}
	}
	if m.Phone != "" {
		if err := z.srv.CustomerSharesPhone(ctx, hook, m.CustomerID, m.Name, m.Phone); err != nil {
			return fmt.Errorf("zalo emulator: %w", err)
		}
	}
	return nil
}

func (z *zaloEmulator) CustomerReads(ctx context.Context, hook, customerID string) error {
	var ids []string
	for _, m := range z.srv.Sent() {
		if m.UserID == customerID {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return z.srv.MarkSeen(ctx, hook, customerID, ids...)
}

func (z *zaloEmulator) CustomerReacts(ctx context.Context, hook, customerID, providerMessageID string) error {
	return z.srv.CustomerReacts(ctx, hook, customerID, providerMessageID, "/-heart")
}

func (z *zaloEmulator) Received(customerID string) []receivedMessage {
	var out []receivedMessage
	for _, m := range z.srv.Sent() {
		if m.UserID != customerID {
			continue
		}
		r := receivedMessage{ProviderMessageID: m.ID, Text: m.Text, At: m.At}
		if m.Upload != nil {
			r.Attachments = append(r.Attachments, m.Upload.Name)
		}
		out = append(out, r)
	}
	return out
}
