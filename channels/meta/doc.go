// Package meta is the dakenh channel adapter family for Meta: Facebook Messenger (conversations
// with a Facebook Page) and Instagram Direct (an Instagram professional account linked to a Page),
// both through the Messenger Platform with Facebook Login for Business and Page tokens. Its
// emulator, for tests and demos, is channels/meta/metatest.
//
// # Two kinds, one adapter
//
// The engine picks an adapter by kind and a connection by (kind, provider account id), and Meta
// posts the Page and Instagram objects separately, each to its own callback. So the family is two
// channel kinds, "messenger" (ExternalID = Page id) and "instagram" (ExternalID = the Instagram
// account id, Settings["page_id"] = its Page), served by the same Channel type with a different
// kind: New(KindMessenger, cfg) and New(KindInstagram, cfg), or NewPair(cfg). Filters, logos and
// reply windows then follow the kind, and both share the Page token.
//
// # Setup (a real app)
//
//  1. In Meta for Developers create a Business-type app; add the Messenger and Instagram products
//     and Facebook Login for Business. The App ID is Config.AppID, the App Secret Config.AppSecret.
//  2. Create a Login for Business configuration (user access token) with the permissions
//     pages_messaging, pages_manage_metadata, pages_read_engagement, pages_show_list,
//     instagram_basic, instagram_manage_messages (business_management if Meta adds it); its id is
//     Config.ConfigID (without it the classic dialog asks for Config.Scopes). Add the CRM's connect
//     callback URL (https://<host>/…/connect/callback/messenger) to the valid OAuth redirect URIs.
//  3. Webhooks: for the Page object, callback https://<host>/webhooks/messenger; for the Instagram
//     object, https://<host>/webhooks/instagram; the same Verify Token (Config.VerifyToken) for
//     both. Meta checks the URL with a GET (the engine answers it through AnswerHandshake). On the
//     Instagram object subscribe messages, messaging_seen, message_reactions, messaging_referral,
//     messaging_postbacks and standby. The Page fields are subscribed by the adapter at connect
//     time (subscribed_apps).
//  4. App Review: Advanced Access for pages_messaging, pages_manage_metadata,
//     pages_read_engagement, pages_show_list, instagram_basic, instagram_manage_messages, the
//     "Business Asset User Profile Access" feature (customer names and pictures), and Human Agent
//     (set Config.HumanAgent once approved: 7-day replies); Business Verification; the app must be
//     Live for webhooks of people without a role on the app. Instagram users must allow access to
//     messages for connected tools in the Instagram app.
//
// # Connecting
//
// AuthCodeURL opens the login dialog, where the admin picks the Pages and Instagram accounts the
// app may use: one login can grant several. ExchangeAll (omnichannel.MultiConnector) turns the
// code into a user token, a long-lived one (about 60 days), lists /me/accounts with the Page
// tokens (non-expiring when derived from a long-lived user token), subscribes the app to each
// Page's webhook fields and returns one Messenger connection per Page and one Instagram
// connection per linked account; the engine's CompleteConnectAll saves them all. Credentials hold
// the Page token (AccessToken) and the long-lived user token (RefreshToken); the stores seal both
// like every other token. Meta has no refresh token: when a call answers 190 (subcodes 458, 460,
// 463, 467) the engine calls RefreshTokens, which derives a fresh Page token from the user token
// once; if that is refused too the connection is marked "needs reconnect". Meta unsubscribes a
// Page after about an hour of failed deliveries: hosts call EnsureSubscribed on a schedule to
// subscribe it again.
//
// # Webhooks
//
// VerifyWebhook checks X-Hub-Signature-256 over the raw bytes (Meta escapes non-ASCII, so JSON is
// never re-encoded) before anything else; nothing else is signed, so replays are absorbed by
// de-duplication on mid. ParseWebhook handles every entry and every messaging[] and standby[] item
// of a delivery; see its doc for the mapping. Echoes of our sends carry our metadata ("dakenh:" +
// the engine message id) and are matched to the message even when they arrive before the send
// call returns; echoes from another app (the Page inbox, app_id 263902037430900, or Instagram's
// 1217981644879628) join the thread as business messages. Customers' reactions become
// EventReaction (shown on the message, never a new one); unsends and edits are acknowledged (200)
// without an event: the engine cannot retract or edit a message yet.
//
// # Sending
//
// Send posts to /{page-id}/messages with the Page token in the Authorization header (never in the
// URL): RESPONSE within 24 hours of the customer's last message, MESSAGE_TAG + HUMAN_AGENT up to 7
// days when Config.HumanAgent (Capabilities.HumanAgentWindow, shown to agents by Engine.Window),
// refused before any call beyond. Messenger text ≤ 2,000 characters, Instagram ≤ 1,000 bytes
// (Capabilities.MaxTextBytes). Attachments go one per message (Instagram: up to 10 images), apart
// from text, uploaded to /message_attachments and reused by attachment_id. Meta's errors become ProviderError values with
// "code/subcode" and a readable reason:
//
//	190/*                   ErrTokenExpired → renew the Page token once → ErrNeedsReconnect
//	10/2018278, 10/2534022  ErrOutsideWindow (final)
//	10, 200–299             ErrNeedsReconnect (permission removed)
//	4, 17, 32, 613, 8000x   ErrRateLimited (retried; Retry-After honoured)
//	341, 368                retried later
//	1, 2, 1200, HTTP 5xx    retried
//	551, */1545041          final: the person is unavailable
//	100/2018001, 100        final: no matching user / invalid parameter (a dead tag)
//	2xx without message_id  final (the message may have gone out; it is not repeated)
//
// # Profiles, media and history
//
// FetchProfile reads names (Messenger name / first_name / last_name; Instagram name / username)
// and copies the expiring profile_pic through Config.MediaClient (guardedfetch) into a data: URL;
// 2018218 (no profile) and Instagram's "consent required" yield an empty profile. Inbound media
// are Meta CDN URLs, fetched by DownloadMedia through the guarded client without any token.
// SyncHistory imports up to 200 earlier conversations (Conversations API, cursor paging, 2 calls
// per second) with their 20 most recent messages each; the engine ignores mids it already has.
//
// # Uncertain facts and how both forms are accepted
//
//   - entry.id on the Instagram object may be the account id or the Page id: events are routed by
//     recipient (inbound) or sender (echo), entry.id only as a fallback.
//   - Timestamps in milliseconds (documented), seconds, or strings of either: values below 1e12
//     are seconds.
//   - app_id, sticker_id, ad_id and other ids as JSON numbers or strings, kept digit for digit.
//   - fallback links' title and url beside type or inside payload.
//   - Page tasks MESSAGING, MODERATE, MANAGE, MESSAGE or PROFILE_PLUS_*; a Page listed without tasks
//     is accepted.
//   - The Instagram outside-window subcode (2534022) besides Messenger's 2018278.
//   - Outbound quoted replies are not sent (Capabilities.Quotes is false) until Meta's reply API
//     is confirmed.
package meta
