package main

import (
	"context"
	"errors"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// customerMessage is what a customer writes in the simulator.
type customerMessage struct {
	// CustomerID is the customer's provider user id; Name their display name on the channel.
	CustomerID string
	// AccountID is the provider account written to (the connection's ExternalID: a Facebook
	// Page), "" for the emulator's default account. Emulators with one account ignore it.
	AccountID string
	Name      string
	// Phone, when set, is shared as a phone number.
	Phone string
	Text  string
	// File is an image or a document, nil for text only.
	File *customerFile
}

// customerFile is an attachment the simulated customer sends.
type customerFile struct {
	Name        string
	ContentType string
	Data        []byte
}

// receivedMessage is a message the provider emulator accepted from the business.
type receivedMessage struct {
	ProviderMessageID string
	Text              string
	Attachments       []string
	At                time.Time
}

// errCustomerCannot means the provider offers customers no way to send this (a document on
// TikTok).
var errCustomerCannot = errors.New("customers of this channel cannot send that")

// emulator is a provider emulator run in process in demo mode: the adapter talks to it as to the
// real provider, and the customer simulator writes through it: it posts signed webhooks exactly as
// the provider does.
type emulator interface {
	// Kind is the channel kind; Label the provider's name for people.
	Kind() omnichannel.Kind
	Label() string
	// Adapter is the channel adapter configured against the emulator.
	Adapter() omnichannel.Channel
	// SeedConnection returns the emulator's demo account as a connected Connection with fresh
	// tokens (WorkspaceID, OwnerID, Permission and RuleID are left to the caller).
	SeedConnection() *omnichannel.Connection
	// CustomerWrites posts the customer's message (text, file, shared phone) to webhookURL.
	CustomerWrites(ctx context.Context, webhookURL string, m customerMessage) error
	// CustomerReads posts the provider's "seen" for what the business sent to customerID.
	CustomerReads(ctx context.Context, webhookURL, customerID string) error
	// CustomerReacts posts customerID's ❤️ reaction to the business message providerMessageID.
	CustomerReacts(ctx context.Context, webhookURL, customerID, providerMessageID string) error
	// Received lists, oldest first, what the business sent to customerID.
	Received(customerID string) []receivedMessage
	// Close stops the emulator.
	Close()
}
