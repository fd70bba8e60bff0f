package meta

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// AuthCodeURL returns Meta's login dialog: {DialogBaseURL}/{version}/dialog/oauth?client_id=…
// &redirect_uri=…&state=…&response_type=code, with config_id (Facebook Login for Business) or
// scope (classic login). Meta's manual flow has no PKCE, so codeVerifier is not
// used; the engine's single-use state bound to the admin protects the flow.
func (c *Channel) AuthCodeURL(state, codeVerifier, redirectURI string) string {
	_ = codeVerifier
	q := url.Values{}
	q.Set("client_id", c.cfg.AppID)
	q.Set("redirect_uri", redirectURI)
	q.Set("state", state)
	q.Set("response_type", "code")
	if c.cfg.ConfigID != "" {
		q.Set("config_id", c.cfg.ConfigID)
	} else {
		q.Set("scope", strings.Join(c.cfg.Scopes, ","))
	}
	return c.dialog + "?" + q.Encode()
}

// Exchange returns the first account ExchangeAll grants of this adapter's kind (or the first at
// all).
func (c *Channel) Exchange(ctx context.Context, cb omnichannel.CallbackParams) (*omnichannel.Connection, error) {
	all, err := c.ExchangeAll(ctx, cb)
	if err != nil {
		return nil, err
	}
	for _, conn := range all {
		if conn.Kind == c.kind {
			return conn, nil
		}
	}
	return all[0], nil
}

// page is one /me/accounts row.
type page struct {
	ID          flexString `json:"id"`
	Name        string     `json:"name"`
	AccessToken string     `json:"access_token"`
	Tasks       []string   `json:"tasks"`
	Instagram   *struct {
		ID       flexString `json:"id"`
		Username string     `json:"username"`
		Name     string     `json:"name"`
	} `json:"instagram_business_account"`
}

// ExchangeAll completes a login: the code becomes a user token (oauth/access_token with the same
// redirect_uri), then a long-lived one (fb_exchange_token, about 60 days); /me/accounts lists the
// Pages the admin picked in the dialog with their Page tokens (non-expiring when derived from a
// long-lived user token) and linked Instagram accounts. Each Page whose tasks allow messaging
// (MESSAGING, MODERATE, MANAGE, MESSAGE or a PROFILE_PLUS_ task; uncertain names, all accepted)
// gets the app subscribed to its webhook fields (subscribed_apps) and becomes a Messenger
// connection; its Instagram account, if any, an Instagram connection (Settings["page_id"] names
// the Page), this adapter's kind first. Credentials: the Page token as AccessToken, the long-lived user token as RefreshToken
// (to derive a new Page token later), no expiry. A refused login (error=…), a missing code, or a
// login that granted no usable Page is an error naming the problem, never a code or a token.
func (c *Channel) ExchangeAll(ctx context.Context, cb omnichannel.CallbackParams) ([]*omnichannel.Connection, error) {
	q := url.Values(cb.Query)
	if e := q.Get("error"); e != "" {
		msg := "the Facebook login was cancelled or refused"
		if d := firstNonEmpty(q.Get("error_description"), q.Get("error_reason")); d != "" {
			msg += ": " + c.clean(d, graphRequest{})
		}
		return nil, &omnichannel.ProviderError{Provider: c.kind, Code: safeWord(e), Message: msg}
	}
	code := q.Get("code")
	if code == "" {
		return nil, &omnichannel.ProviderError{Provider: c.kind, Code: "missing_code", Message: "the Facebook login came back without a code"}
	}
	short, err := c.userToken(ctx, url.Values{"client_id": {c.cfg.AppID}, "redirect_uri": {cb.RedirectURI},
		"client_secret": {c.cfg.AppSecret}, "code": {code}}, code)
	if err != nil {
		return nil, authError("exchanging the login code", err)
	}
	long, err := c.userToken(ctx, url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {c.cfg.AppID},
		"client_secret": {c.cfg.AppSecret}, "fb_exchange_token": {short}}, short)
	if err != nil {
		return nil, authError("getting a long-lived token", err)
	}
	pages, err := c.pages(ctx, long)
	if err != nil {
		return nil, authError("listing the Pages", err)
	}
	var out []*omnichannel.Connection
	for _, p := range pages {
		if p.ID == "" || p.AccessToken == "" || !messagingTask(p.Tasks) {
			continue
		}
		if err := c.subscribe(ctx, string(p.ID), p.AccessToken); err != nil {
			return nil, authError("subscribing the app to the Page", err)
		}
		creds := omnichannel.Credentials{AccessToken: p.AccessToken, RefreshToken: long, Scopes: append([]string(nil), c.cfg.Scopes...)}
		out = append(out, &omnichannel.Connection{Kind: KindMessenger, ExternalID: string(p.ID), DisplayName: firstNonEmpty(p.Name, "Facebook Page"),
			Status: omnichannel.ConnectionConnected, Credentials: creds, Settings: map[string]string{"page_id": string(p.ID)}})
		if ig := p.Instagram; ig != nil && ig.ID != "" {
			name := firstNonEmpty(ig.Name, ig.Username, "Instagram "+string(ig.ID))
			if ig.Username != "" {
				name = "@" + ig.Username
			}
			out = append(out, &omnichannel.Connection{Kind: KindInstagram, ExternalID: string(ig.ID), DisplayName: name,
				Status: omnichannel.ConnectionConnected, Credentials: creds,
				Settings: map[string]string{"page_id": string(p.ID), "username": ig.Username}})
		}
	}
	// This adapter's kind first: the engine's CompleteConnect reports the first connection.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind == c.kind && out[j].Kind != c.kind })
	if len(out) == 0 {
		return nil, &omnichannel.ProviderError{Provider: c.kind, Code: "no_page",
			Message: "the login granted no Facebook Page this app may message for; log in again and pick at least one Page (you need a messaging task on it)"}
	}
	return out, nil
}

// messagingTask reports whether a Page role allows messaging (absent tasks: assumed yes).
func messagingTask(tasks []string) bool {
	if len(tasks) == 0 {
		return true
	}
	for _, t := range tasks {
		switch t = strings.ToUpper(t); {
		case t == "MESSAGING", t == "MODERATE", t == "MANAGE", t == "MESSAGE", strings.HasPrefix(t, "PROFILE_PLUS_"):
			return true
		}
	}
	return false
}

// userToken calls oauth/access_token and returns its access_token.
func (c *Channel) userToken(ctx context.Context, q url.Values, secret string) (string, error) {
	data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/oauth/access_token", query: q, secrets: []string{secret}})
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" {
		return "", &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Message: "Meta's token answer has no access_token"}
	}
	return tok.AccessToken, nil
}

// pages lists /me/accounts, following the after cursor (at most 20 pages of results).
func (c *Channel) pages(ctx context.Context, userToken string) ([]page, error) {
	var all []page
	after := ""
	for i := 0; i < 20; i++ {
		q := url.Values{"fields": {"id,name,access_token,tasks,instagram_business_account{id,username,name}"}, "limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/me/accounts", token: userToken, query: q})
		if err != nil {
			return nil, err
		}
		var res struct {
			Data   []page `json:"data"`
			Paging paging `json:"paging"`
		}
		if err := json.Unmarshal(data, &res); err != nil {
			return nil, &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Message: "undecodable Page list"}
		}
		all = append(all, res.Data...)
		if after = res.Paging.after(); after == "" {
			break
		}
	}
	return all, nil
}

// subscribedFields are the Page webhook fields the adapter needs (the
// Instagram fields are set on the app's Instagram object in the App Dashboard).
const subscribedFields = "messages,message_echoes,message_deliveries,message_reads,messaging_postbacks,messaging_referrals,message_reactions,standby"

// subscribe subscribes the app to the Page's messaging webhooks.
func (c *Channel) subscribe(ctx context.Context, pageID, pageToken string) error {
	data, err := c.call(ctx, graphRequest{method: http.MethodPost, path: "/" + pageID + "/subscribed_apps", token: pageToken,
		query: url.Values{"subscribed_fields": {subscribedFields}}})
	if err != nil {
		return err
	}
	var ok struct {
		Success bool `json:"success"`
	}
	if json.Unmarshal(data, &ok) != nil || !ok.Success {
		return &omnichannel.ProviderError{Provider: c.kind, Code: "subscribe_failed", Message: "Meta did not confirm the webhook subscription"}
	}
	return nil
}

// authError makes a connect failure final and readable (a token refusal here is not the
// engine's refresh case).
func authError(what string, err error) error {
	var pe *omnichannel.ProviderError
	if !errors.As(err, &pe) {
		return &scrubbedError{msg: "meta: " + what + ": " + err.Error(), err: err}
	}
	cp := *pe
	if errors.Is(pe, omnichannel.ErrTokenExpired) {
		cp.Class = nil
	}
	cp.Retryable = false
	cp.Message = what + ": " + cp.Message
	return &cp
}

// RefreshTokens derives a fresh Page token from the long-lived user token kept as RefreshToken
// (GET /{page-id}?fields=access_token). Meta has no refresh token: when the user token is refused
// too (error 190: expired, password changed, app removed), or there is none, the error wraps
// omnichannel.ErrNeedsReconnect and the engine marks the connection "needs reconnect".
func (c *Channel) RefreshTokens(ctx context.Context, conn *omnichannel.Connection) (omnichannel.Credentials, error) {
	if conn == nil || conn.Credentials.RefreshToken == "" {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: c.kind, Code: "no_user_token", Class: omnichannel.ErrNeedsReconnect,
			Message: "Meta refused the Page token and no login token is kept to renew it; reconnect the account"}
	}
	old := conn.Credentials
	data, err := c.call(ctx, graphRequest{method: http.MethodGet, path: "/" + c.pageID(conn), token: old.RefreshToken,
		query: url.Values{"fields": {"access_token"}}, secrets: []string{old.AccessToken}})
	if err != nil {
		var pe *omnichannel.ProviderError
		if errors.As(err, &pe) && (errors.Is(pe, omnichannel.ErrTokenExpired) || errors.Is(pe, omnichannel.ErrNeedsReconnect) || !pe.Retryable) {
			cp := *pe
			cp.Class, cp.Retryable = omnichannel.ErrNeedsReconnect, false
			cp.Message = "the Facebook login behind this connection is no longer valid; reconnect the account: " + pe.Message
			return omnichannel.Credentials{}, &cp
		}
		return omnichannel.Credentials{}, err
	}
	var res struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(data, &res); err != nil || res.AccessToken == "" {
		return omnichannel.Credentials{}, &omnichannel.ProviderError{Provider: c.kind, Code: "bad_response", Retryable: true,
			Message: "Meta's Page answer has no access_token"}
	}
	creds := old
	creds.AccessToken = res.AccessToken
	creds.Scopes = append([]string(nil), old.Scopes...)
	if old.Extra != nil {
		creds.Extra = make(map[string]string, len(old.Extra))
		for k, v := range old.Extra {
			creds.Extra[k] = v
		}
	}
	return creds, nil
}
