// Package model holds the domain types of dakenh: connections, contacts and identities,
// conversations and their messages, users, teams, rules and the rest of a workspace's
// configuration, jobs, the conversation query, the engine's event kinds and the store errors
// (ErrNotFound, ErrDuplicate, ErrConflict, ErrUnavailable).
//
// It is a leaf package: it imports nothing of dakenh, so the store contract (package store), the
// stores and their conformance suite share these types without importing the engine. Package
// omnichannel re-exports every name under the same name (omnichannel.Conversation is
// model.Conversation), so an engine user never needs to import model.
package model
