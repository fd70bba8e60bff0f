// Package tiktok is the dakenh channel adapter for TikTok direct messages, through TikTok's
// Business Messaging API (business-api.tiktok.com, v1.3): the inbox of a TikTok Business Account.
// Its emulator, for tests and demos, is channels/tiktok/tiktoktest.
//
// # Setup
//
//  1. In the TikTok API for Business developer portal, create an app and get "Business Messaging"
//     approved for it (TikTok reviews it separately; accounts registered in the EEA, Switzerland
//     and the UK cannot use it). The app id is Config.ClientKey, the app secret
//     Config.ClientSecret.
//
//  2. Register the redirect URI of your CRM's connect callback as a "TikTok account holder redirect
//     URL"; pass the same URI to omnichannel.Engine.StartConnect.
//
//  3. Subscribe the app's webhook (event type DIRECT_MESSAGE) to https://<your host>/webhooks/tiktok,
//     where the engine's WebhookHandler is mounted under /webhooks. One subscription serves every
//     business that authorizes the app; deliveries are routed by user_openid (the business_id).
//
//  4. The consent page asks for Config.Scopes (default DefaultScopes: user.info.basic,
//     user.info.username, user.info.profile, message.list.read, message.list.send,
//     message.list.manage). A connection whose owner unchecked one of Config.RequiredScopes
//     (default the three message.list.* scopes) is refused with a message naming them.
//
//  5. The business account must accept messages from everyone; otherwise TikTok keeps new chats in
//     "requests" and sends no webhook until someone accepts them in the app.
//
// Wiring it into the engine:
//
//	ch, err := tiktok.New(tiktok.Config{ClientKey: appID, ClientSecret: appSecret})
//	engine, err := omnichannel.New(omnichannel.Config{Channels: []omnichannel.Channel{ch}, …})
//	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", engine.WebhookHandler()))
//
// # How TikTok maps onto the engine
//
// The connection's ExternalID is the open_id returned by the token exchange, which is the
// business_id of every call. A customer's ExternalUserID is the TikTok conversation id: TikTok
// sends to conversations (recipient_type CONVERSATION) and a conversation is one business with one
// user; the customer's TikTok user id is kept in the profile attribute "tiktok_user_id".
// Capabilities report text ≤ 6,000 characters, one JPG/PNG image ≤ 3 MB, no files (the engine
// refuses a file before any network call, with an error matching omnichannel.ErrUnsupported),
// and the reply window: 48 hours after the customer's last message, about 10 business messages in
// it (Engine.Window reports what is left). Inbound images are copied into the engine's BlobStore
// (media/download, then a GET with the x-user header). History sync imports what TikTok still
// lists (conversation/list + content/list: about 100 conversations, 20 messages each).
//
// Tokens: Exchange posts the auth code to /tt_user/oauth2/token/ (JSON); RefreshTokens uses
// /tt_user/oauth2/refresh_token/. Expiries come from expires_in and refresh_token_expires_in,
// never assumed; the new refresh token is stored on every refresh (the engine saves it before use,
// under a per-connection lease shared by all engine instances). A refused refresh token marks the
// connection "needs reconnect". API calls send the Access-Token header; a non-zero code in an
// HTTP 200 answer is an error: 40100 throttled (retried), token codes (refresh, then one retry),
// 40064 DM rules / window / quota (final, readable), 5xx and codes ≥ 50000 (retried).
//
// Webhooks are verified before any lookup: TikTok-Signature "t=…,s=…" (parts by name, spaces
// trimmed) where s = hex HMAC-SHA256(app secret, t + "." + raw body), compared in constant time,
// with t at most Config.SignatureMaxAge old (default 73 h: TikTok retries failed deliveries for
// up to 72 hours; replays are absorbed by the engine's once-per-message-id ingest) and at most
// Config.SignatureTolerance (300 s) ahead. Events: im_receive_msg (text, image, video,
// share_post, sticker and emoji as images, reactions as reactions; other types as "[type]"), im_send_msg (echoes of our sends, matched to the pending message even when
// they arrive before the send call returns; messages typed in the TikTok app join the thread),
// im_mark_read_msg (seen), im_referral_msg (kept on the conversation) and im_receive_msg_eu
// (fetched by FetchContent). Other events answer 200 and are ignored.
//
// # Facts the reference marks uncertain, and how both forms are accepted
//
//   - The callback's code parameter: "code" and "auth_code" are both read.
//   - token answers' scope: a comma-separated string (what Chatwoot sees) or a JSON list. An answer
//     without a scope list is accepted (API calls then report missing permissions).
//   - Numeric fields (expires_in, timestamps, cursor, ids) as JSON numbers or strings.
//   - Webhook content as a JSON string (documented) or an object.
//   - The message type as "type" (webhooks, lower case) or "message_type" (REST, upper case).
//   - conversation/list's update time as "update_time" or "up_time".
//   - content/list's sender as from_user{id, role} or "sender" (string, number or {id}).
//   - capabilities/get's capability_result as a boolean or a string ("true", "ENABLE", …).
//   - The im_receive_msg_eu payload: whatever ids it carries (conversation_id, message_id) narrow
//     the search; without them FetchContent scans the recently updated conversations for the
//     customer message with the event's timestamp (±5 s). Not found yet: a retryable error, so the
//     webhook answers 500 and TikTok delivers it again.
//   - Error codes other than 40100 (40064, 40102/40104/40105, 40908, 51065) come from third-party
//     notes; unknown codes are final with TikTok's own message. HTTP 401/429/5xx are classified too.
//   - The refresh token's lifetime and rotation: both handled (always the returned one, else the
//     old one is kept).
//   - Whether the business may send text and an image together: it may not (TikTok sends text XOR
//     an image), so such a message is refused by the adapter before any network call.
package tiktok
