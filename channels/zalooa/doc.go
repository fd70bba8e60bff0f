// Package zalooa is the dakenh channel adapter for Zalo Official Accounts (OA), kind "zalo".
// Package zalotest is its emulator, for tests and demos.
//
// # Setup
//
// On developers.zalo.me, create and activate an app linked to the OA, register "Official Account
// API", and ask for the permissions to send messages, manage user messages and OA information, and
// receive message and user events. Then:
//
//   - App ID and Secret Key of the app → Config.AppID and Config.AppSecret (the secret goes in the
//     secret_key header of token requests, never in a URL or a log).
//
//   - "Official Account Callback URL": the redirect URI your host passes to Engine.StartConnect; Zalo
//     refuses any other (-14003). An admin of the OA connects it ("Thêm kết nối") through
//     Engine.StartConnect / CompleteConnect: permission page, PKCE S256, code exchange; oa_id
//     identifies the connection.
//
//   - Webhook URL: https://<your host>/webhooks/zalo, where the host mounts Engine.WebhookHandler
//     under /webhooks (the domain must first be verified with Zalo's meta tag). Tick the user_send_*,
//     anonymous_send_*, oa_send_*, user_received_message, user_seen_message, user_reacted_message,
//     oa_reacted_message, follow, unfollow and user_submit_info events.
//
//   - OA Secret Key of the Webhook settings → Config.OASecretKey (the webhook key; not the app
//     secret). Extra keys (rotation, several OAs) go in Config.ExtraOASecretKeys.
//
// Wiring it into the engine:
//
//	ch, err := zalooa.New(zalooa.Config{AppID: id, AppSecret: secret, OASecretKey: oaKey})
//	engine, err := omnichannel.New(omnichannel.Config{Channels: []omnichannel.Channel{ch}, …})
//	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", engine.WebhookHandler()))
//
// # What the adapter does
//
// Webhooks are verified first: X-ZEvent-Signature must equal hex SHA-256 of app_id + raw body +
// timestamp + OA secret key, compared in constant time. Every event of the reference is mapped
// (ParseWebhook lists them); unknown events are ignored and logged once. Media arrive as Zalo CDN
// URLs, which are not ours to keep: the engine copies them into its BlobStore (DownloadMedia).
//
// Sends use the customer-service API (/v3.0/oa/message/cs): text, quotes, images (uploaded for an
// attachment_id; SendImageURL for public URLs; GIFs with their width and height), PDF/DOC/DOCX
// files (uploaded for a token) and the request_user_info card (Engine.RequestInfo). Anonymous
// customers are answered through /v2.0/oa/message with {anonymous_id, conversation_id}, the
// conversation id kept from their messages; reactions (React) go there too. Group chat events
// (user_send_group_*) are acknowledged and logged once per OA and event: groups are not supported.
// Provider errors arrive as error ≠ 0 in HTTP 200 answers and are classified: -216/-220 make the
// engine refresh the token and retry once; -230/-232 (no interaction in the last 7 days) and -213
// (not a follower) are final with a message an agent understands; -32, 429 and 5xx retry with
// backoff; any other code is final with its code and text kept on the message. Capabilities make
// the engine refuse, before any call, what Zalo would refuse: text over 2,000 characters, types and
// sizes Zalo does not take, and sends more than 7 days after the customer's last message.
//
// Access tokens last 25 h; refresh tokens are single use and rotate. The engine refreshes
// RefreshSkew (2 h) ahead of expiry and on -216/-220, under a per-connection lease held across
// engine instances, saves the new pair before using it, and marks the connection "needs reconnect"
// without touching the stored tokens when Zalo refuses the refresh token. A token answer without an
// access token is an error even with HTTP 200.
//
// SyncHistory imports the conversations from before the connection (listrecentchat, then each
// user's conversation, 10 per page, de-duplicated by message id, direction from from_id); the
// rule's old-conversation policy then applies. A client-side token bucket keeps each Channel under
// Config.RequestsPerMinute (Zalo allows 4,000 per minute per app; split it between processes).
//
// # Long texts are refused, not split
//
// A text over 2,000 characters is refused before any network call (the engine checks
// Capabilities.MaxTextLength; Send checks again). Splitting would turn one engine message into
// several Zalo messages with several ids: a partial failure could not be shown or retried as one
// message, the echoes of the parts would not match the pending message, delivery and seen states
// would only follow one part, and a quote would quote one part. The agent sees the limit and
// decides where to cut. For the same reason a file with text is refused: Zalo's file message has no
// caption.
//
// # Uncertain facts, and how both forms are accepted
//
// The reference notes tag some facts uncertain; the adapter accepts every form seen:
//
//   - Signature header: "mac=<hex>" or bare hex, any letter case. The timestamp is the body's top-level
//     "timestamp" as sent, a string or a number; in milliseconds (values below 10^12 are read as
//     seconds). Deliveries older than Config.WebhookMaxAge (3 h, covering Zalo's retries of
//     30 s, 5, 15, 30 min and 1 h) are refused; set it negative to switch the check off.
//   - Ids (msg_id, user and OA ids, phone) as strings or 18–19 digit numbers, kept digit for digit.
//   - Whether the OAuth callback echoes state: the engine needs it; if your OA's callback lacks
//     it, set Config.StateInRedirectURI (state also travels inside redirect_uri) or restore it from
//     the session before calling CompleteConnect. When the callback echoes code_challenge it must
//     match the flow's verifier; when it does not, Zalo's own PKCE check applies. PKCE is always used.
//   - oa_id missing on the callback: the OA is looked up with /v2.0/oa/getoa; when both are known
//     they must agree.
//   - expires_in as a number or a quoted number; missing means 25 h.
//   - Dead refresh token codes (-14014, -118 are seen): any Zalo error code from the token endpoint,
//     other than throttling, means "needs reconnect"; 5xx, 429, -32 and unreadable answers do not.
//   - Expired-token codes: -216 and -220, and 216, 401, -401, -124 seen elsewhere.
//   - File upload answer: data.token (official SDK) or data.attachment_id (one implementation).
//   - Location coordinates as latitude/longitude or lat/long, numbers or strings.
//   - History: user_id is sent as a string; the direction comes from from_id, not from "src".
//   - sender.admin_id on OA Manager echoes is not relied on: an echo the engine cannot match to one
//     of its sends is an agent message typed in Zalo's console.
//
// Not supported yet: replies to anonymous (non-follower) users, which need the anonymous_id and
// conversation_id recipient; template, transaction and promotion messages, ZNS, and reactions.
package zalooa
