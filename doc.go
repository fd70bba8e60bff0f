// Package dakenh ("đa kênh": omnichannel) is an embeddable Go engine that gives a CRM a complete
// customer-conversation inbox: customers write on TikTok and Zalo Official Accounts, their messages
// arrive by webhook into one shared inbox, are handed to agents by round-robin or self-claim rules,
// and agents reply with text, templates and attachments, categorize, mark done and reassign.
//
// This root package holds only documentation. The map of the module:
//
//   - omnichannel: the engine and its vocabulary. Domain types (Connection, Contact, Identity,
//     Conversation, Message, Rule, Team, Template, Category, Classification), the interfaces the
//     engine is built from (Channel and its optional capabilities, Store/Tx, Router,
//     TemplateProvider, and the host hooks ContactDirectory, InteractionSource, BlobStore,
//     Authorizer), the Engine with its webhook http.Handler, outbox worker and agent operations,
//     events and errors.
//   - routing: the standard Router (round-robin, self-claim, least-loaded, only-me).
//   - store/memory: the in-memory reference Store; store/storetest: the conformance suite every
//     Store must pass.
//   - channels/channeltest: the conformance harness every channel adapter must pass, with
//     channels/channeltest/fakechannel, a small adapter plus provider emulator used by tests and
//     examples.
//   - examples/minimal: the smallest embedding, one conversation end to end over real HTTP.
//   - examples/customchannel: how a vendor writes and tests a new channel adapter.
//
// Start with the README, then omnichannel.Engine.
package dakenh
