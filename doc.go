// Package dakenh ("đa kênh": omnichannel) is an embeddable Go engine that gives a CRM a complete
// customer-conversation inbox: customers write on TikTok, Zalo Official Accounts, Facebook Messenger
// and Instagram Direct, their messages
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
//   - channels/zalooa, channels/tiktok and channels/meta: the Zalo OA, TikTok Business Messaging and
//     Meta (Messenger and Instagram) adapters, each with an emulator of the provider's HTTP API
//     (zalooa/zalotest, tiktok/tiktoktest, meta/metatest).
//   - channels/channeltest: the conformance harness every channel adapter must pass, with
//     channels/channeltest/fakechannel, a small adapter plus provider emulator used by tests and
//     examples.
//   - store/memory (reference), store/sqlite (the embedded default), store/postgres (several
//     engine processes over one database); store/storetest: the conformance suite and benchmarks
//     every Store must pass.
//   - inboxapi: the agent-facing HTTP API (JSON + Server-Sent Events) a host mounts in its server.
//   - examples/inbox: the full web inbox (go run ./examples/inbox); examples/minimal: the smallest
//     embedding; examples/customchannel: how a vendor writes and tests a new channel adapter.
//
// Start with the README, then omnichannel.Engine.
package dakenh
