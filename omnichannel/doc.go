// Package omnichannel is the conversation engine of dakenh: customer messages arrive from channel
// adapters by webhook, land in one shared inbox per workspace, are handed to agents by assignment
// rules, and agents answer, categorize, mark done and reassign through the Engine's methods.
//
// # Concepts
//
//   - A workspace is one business (one tenant). Every record and every query is scoped to one.
//   - A Channel is a provider adapter (channels/zalooa, channels/tiktok, channels/meta, or a
//     vendor's) with optional capabilities found by interface assertion: Connector,
//     TokenRefresher, ProfileFetcher, MediaDownloader, HistorySyncer, Reactor and others.
//   - A Connection is one account of a channel connected to a workspace (a Zalo OA, a TikTok
//     business account, a Facebook Page). Contacts are customers, known on each connection by an
//     Identity. A Conversation is a contact's thread on one connection; its Messages hold text,
//     attachments, reactions and activity.
//   - Rules (Rule, Router) decide who owns a new conversation: round-robin, self-claim,
//     least-loaded. Users are agents and supervisors; an Authorizer decides what each may do.
//   - Every change commits in one Store transaction (store/memory, store/sqlite, store/postgres;
//     the contract is package store, with its types in package model, re-exported here) and emits
//     Events: live to Subscribe, to other processes through an EventRelay.
//   - Work that calls a provider (sends, media copies, profile fetches, CRM links, history syncs,
//     token refreshes) runs as leased jobs in Run, retried with backoff, never twice at once.
//
// # Conventions
//
// Methods take the context, then the workspace, then the acting user (actorID, userID or
// viewerID: who asks), then the id of what they act on: Claim(ctx, workspaceID, userID,
// conversationID), RetrySend(ctx, workspaceID, userID, messageID), DeleteContact(ctx,
// workspaceID, actorID, contactID). Where a method needs two ids of different things beside
// those, it takes a struct with named fields instead (TemplateFill, ChatPermissionChange,
// SendParams, ReassignParams), so that no two ids can be swapped by position. Methods that save a
// record take it whole (SaveTeam(ctx, actorID, team), the workspace inside it). A method that fails returns a nil record. Errors wrap
// the sentinels of errors.go (errors.Is) or are typed (*ValidationError, *ForbiddenError,
// *ClaimedError, *ProviderError; errors.As).
//
// # Map of the files
//
//   - engine.go, lifecycle.go, health.go: Config, New, the transaction helpers every operation
//     uses, Close, and the readiness and liveness checks.
//   - webhook.go, ingest*.go, window_interaction.go: the webhook handler and what an inbound event
//     does to contacts, conversations, messages and the reply window.
//   - thread.go, route_apply.go, router.go, claim_load.go: appending to a conversation, and routing
//     it to an owner.
//   - send.go, react.go, reply_route.go, job_send.go, token_refresh.go, backoff.go,
//     failure_reasons.go: replies, reactions, their delivery through the provider, and the token
//     refreshes (serialized by store leases) around provider calls.
//   - jobs.go, job_background.go: the job worker (Run) and the background jobs.
//   - ops_*.go, customer.go, scope_read.go, workspace_reader.go: agent operations, lists,
//     visibility, the customer panel, and workspace-scoped reads for hosts and the agent API.
//   - admin*.go, host.go, connect.go, conncache.go, authz.go, deny_codes.go: administration (users,
//     teams, rules, templates, categories, classifications, workspaces; AsHost for the host's own
//     calls), connecting accounts, and who may do what.
//   - delete.go: deleting conversations, contacts and workspaces for good.
//   - feed.go, outgoing_webhooks.go, outgoing_dispatch.go: the durable event feed (Events) and the
//     signed outgoing webhooks built on it.
//   - bus.go, relay.go: live events in this process and across processes.
//   - telemetry.go: OpenTelemetry spans and metrics.
//   - template.go, template_engine.go: canned replies and their rendering.
//   - errors.go, problems.go: sentinel errors, ValidationError and the problem codes an interface
//     translates.
//   - hooks.go, blobs_dir.go, channel.go, store.go, model.go: the interfaces a host or a vendor
//     implements, and the re-exported domain types.
//   - phone.go, sanitize.go, util.go: small helpers.
package omnichannel
