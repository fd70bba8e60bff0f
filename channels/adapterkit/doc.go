// Package adapterkit holds, in one place, the defaults and helpers every channel adapter of this
// module shares: the provider HTTP client and its timeout, the logger, client-side rate limiting,
// the resty client that never logs a request, and Config validation in the one error shape of the
// module (a *model.ValidationError matching omnichannel.ErrInvalid).
//
// The defaults, for zalooa, tiktok and meta alike (and for a vendor's adapter that uses them):
//
//   - Config.HTTPClient nil: a client with DefaultTimeout (30 s) per provider call. Media and
//     profile pictures go through guardedfetch, never through this client.
//   - Config.Logger nil: slog.Default(). Adapters never log a token, secret, signature or
//     customer text.
//   - Rate limiting: every provider call waits for a token bucket first (zalooa:
//     RequestsPerMinute, default 4,000 a minute; tiktok: RequestsPerSecond, default 10, the Basic
//     tier of TikTok's API for Business; meta: RequestsPerSecond, default 100, the Instagram send
//     limit, the lower of Meta's published per-account figures). A negative value turns it off.
//   - Provider answers are read up to a byte limit; resty's own logging and retries are off (the
//     engine retries, with backoff, through omnichannel.ProviderError).
package adapterkit
