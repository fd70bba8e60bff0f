package main

import (
	"flag"
	"fmt"
	"net/url"
)

// ProviderEndpoints point the real adapters (used when credentials are given) at other provider
// base URLs than the providers' own: a provider sandbox, a recording proxy, or the emulators
// (channels/zalooa/zalotest, channels/tiktok/tiktoktest, channels/meta/metatest) running in another process, which is how
// the crash test (internal/reliability) keeps what reached the "provider" across SIGKILLs of the
// inbox. Empty fields keep the providers' real addresses; demo mode ignores them.
type ProviderEndpoints struct {
	// ZaloOAuthURL replaces https://oauth.zaloapp.com (consent page and token endpoint).
	ZaloOAuthURL string
	// ZaloAPIURL replaces https://openapi.zalo.me (send, uploads, user detail, history).
	ZaloAPIURL string
	// TikTokAPIURL replaces TikTok's Business Messaging API root (…/open_api/v1.3).
	TikTokAPIURL string
	// TikTokAuthorizeURL replaces TikTok's consent page URL.
	TikTokAuthorizeURL string
	// MetaGraphURL replaces https://graph.facebook.com; MetaDialogURL https://www.facebook.com
	// (the login dialog).
	MetaGraphURL  string
	MetaDialogURL string
}

// registerFlags adds the endpoint flags to fs, with env (name, default) as the fallback.
func (p *ProviderEndpoints) registerFlags(fs *flag.FlagSet, env func(name, def string) string) {
	fs.StringVar(&p.ZaloOAuthURL, "zalo-oauth-url", env("DAKENH_ZALO_OAUTH_URL", ""), "Zalo OAuth base URL instead of Zalo's (env DAKENH_ZALO_OAUTH_URL; sandboxes, proxies, emulators)")
	fs.StringVar(&p.ZaloAPIURL, "zalo-api-url", env("DAKENH_ZALO_API_URL", ""), "Zalo Open API base URL instead of Zalo's (env DAKENH_ZALO_API_URL)")
	fs.StringVar(&p.TikTokAPIURL, "tiktok-api-url", env("DAKENH_TIKTOK_API_URL", ""), "TikTok Business Messaging API root instead of TikTok's (env DAKENH_TIKTOK_API_URL)")
	fs.StringVar(&p.TikTokAuthorizeURL, "tiktok-authorize-url", env("DAKENH_TIKTOK_AUTHORIZE_URL", ""), "TikTok consent page URL instead of TikTok's (env DAKENH_TIKTOK_AUTHORIZE_URL)")
	fs.StringVar(&p.MetaGraphURL, "meta-graph-url", env("DAKENH_META_GRAPH_URL", ""), "Meta Graph API host instead of graph.facebook.com (env DAKENH_META_GRAPH_URL)")
	fs.StringVar(&p.MetaDialogURL, "meta-dialog-url", env("DAKENH_META_DIALOG_URL", ""), "Meta login dialog host instead of www.facebook.com (env DAKENH_META_DIALOG_URL)")
}

// problems lists every endpoint that is set but not an absolute http(s) URL.
func (p ProviderEndpoints) problems() []error {
	var errs []error
	for _, f := range []struct{ flag, value string }{
		{"-zalo-oauth-url", p.ZaloOAuthURL}, {"-zalo-api-url", p.ZaloAPIURL},
		{"-tiktok-api-url", p.TikTokAPIURL}, {"-tiktok-authorize-url", p.TikTokAuthorizeURL},
		{"-meta-graph-url", p.MetaGraphURL}, {"-meta-dialog-url", p.MetaDialogURL},
	} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q: want an absolute http(s) URL", f.flag, f.value))
		}
	}
	return errs
}
