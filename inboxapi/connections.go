package inboxapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// connectCookie carries ConnectRequest.RedirectPath from the start of a connect flow to its
// callback (same browser, top-level navigation: SameSite=Lax cookies are sent).
const connectCookie = "dakenh_connect_next"

func (h *handler) listConnections(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	conns, err := h.eng.Connections(r.Context(), u.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	out := ConnectionList{Items: []Connection{}}
	for _, c := range conns {
		out.Items = append(out.Items, connectionWire(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// errNoPublicURL refuses a connect flow when Config.PublicURL is not set: the redirect URI is
// never built from the request's Host header, which a client chooses. It answers 422
// "unsupported" with this message, which tells the host's developer what to set.
var errNoPublicURL = fmt.Errorf("%w: connecting an account needs the API's public URL (inboxapi.Config.PublicURL)",
	omnichannel.ErrUnsupported)

// apiBase is the absolute URL of the API root: Config.PublicURL (nil when unset).
func (h *handler) apiBase() *url.URL {
	if h.publicURL == nil {
		return nil
	}
	cp := *h.publicURL
	return &cp
}

// validLocalPath reports whether p is a path of this site ("/settings?tab=1"), never another origin.
func validLocalPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") || len(p) > 2000 {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

func validAfterConnect(s string) bool {
	if validLocalPath(s) {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (h *handler) startConnect(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req ConnectRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	kind := omnichannel.Kind(r.PathValue("kind"))
	if h.eng.Channel(kind) == nil {
		return notFound("unknown channel")
	}
	f := fieldErrors{}
	if req.RedirectPath != "" && !validLocalPath(req.RedirectPath) {
		f.add("redirectPath", "not_allowed", "must be a local path starting with /")
	}
	perm := omnichannel.ChatPermission(req.Permission)
	switch perm {
	case "", omnichannel.PermissionOnlyMe:
	case omnichannel.PermissionShared:
		if req.RuleID == "" {
			f.add("ruleId", "required", "sharing needs a rule")
		}
	default:
		f.add("permission", "not_allowed", "must be only_me or shared", "allowed", "only_me, shared")
	}
	if err := f.err(); err != nil {
		return err
	}
	base := h.apiBase()
	if base == nil {
		return errNoPublicURL
	}
	callback := *base
	callback.Path = base.Path + "/connect/callback/" + string(kind)
	consent, err := h.eng.StartConnect(r.Context(), omnichannel.ConnectParams{WorkspaceID: u.WorkspaceID, UserID: u.ID,
		Kind: kind, RedirectURI: callback.String(), Permission: perm, RuleID: req.RuleID})
	if err != nil {
		return withHints(err, hint{"rule", "ruleId"})
	}
	cookie := &http.Cookie{Name: connectCookie, Path: base.Path + "/connect/callback/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: base.Scheme == "https", MaxAge: 600}
	if req.RedirectPath != "" {
		cookie.Value = url.QueryEscape(req.RedirectPath)
	} else {
		cookie.MaxAge = -1
	}
	http.SetCookie(w, cookie)
	writeJSON(w, http.StatusOK, ConnectURL{URL: consent})
	return nil
}

// connectCallback completes a connect flow and sends the browser back to the app with
// ?connected=<id> or ?connect_error=<code> (bad_state, denied, forbidden, invalid, unknown_channel,
// exchange_failed).
func (h *handler) connectCallback(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	target := h.afterConnect
	if c, err := r.Cookie(connectCookie); err == nil {
		if p, err := url.QueryUnescape(c.Value); err == nil && validLocalPath(p) {
			target = p
		}
		http.SetCookie(w, &http.Cookie{Name: connectCookie, Path: c.Path, MaxAge: -1})
	}
	key, value := "connected", ""
	kind := omnichannel.Kind(r.PathValue("kind"))
	if h.eng.Channel(kind) == nil {
		key, value = "connect_error", "unknown_channel"
	} else {
		conn, err := h.eng.CompleteConnect(r.Context(), u.WorkspaceID, u.ID, r.URL.Query())
		switch {
		case err == nil:
			value = conn.ID
		case errors.Is(err, omnichannel.ErrBadState):
			key, value = "connect_error", "bad_state"
		case errors.Is(err, omnichannel.ErrForbidden):
			key, value = "connect_error", "forbidden"
		case r.URL.Query().Get("error") != "":
			key, value = "connect_error", "denied"
		case errors.Is(err, omnichannel.ErrInvalid):
			key, value = "connect_error", "invalid"
		default:
			h.log.Warn("inboxapi: connect flow failed", "kind", kind, "err", err)
			key, value = "connect_error", "exchange_failed"
		}
	}
	dest, err := url.Parse(target)
	if err != nil {
		dest = &url.URL{Path: "/"}
	}
	q := dest.Query()
	q.Set(key, value)
	dest.RawQuery = q.Encode()
	http.Redirect(w, r, dest.String(), http.StatusSeeOther)
	return nil
}

func (h *handler) disconnect(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	if err := h.eng.Disconnect(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) setPermission(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req PermissionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	perm := omnichannel.ChatPermission(req.Permission)
	switch perm {
	case omnichannel.PermissionOnlyMe:
	case omnichannel.PermissionShared:
		if req.RuleID == "" {
			f.add("ruleId", "required", "sharing needs a rule")
		}
	default:
		f.add("permission", "not_allowed", "must be only_me or shared", "allowed", "only_me, shared")
	}
	if err := f.err(); err != nil {
		return err
	}
	id := r.PathValue("id")
	change := omnichannel.ChatPermissionChange{WorkspaceID: u.WorkspaceID, ActorID: u.ID, ConnectionID: id,
		Permission: perm, RuleID: req.RuleID}
	if err := h.eng.SetChatPermission(r.Context(), change); err != nil {
		return withHints(err, hint{"rule", "ruleId"}, hint{"permission", "permission"})
	}
	conns, err := h.eng.Connections(r.Context(), u.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.ID == id {
			writeJSON(w, http.StatusOK, ConnectionResponse{Connection: connectionWire(c)})
			return nil
		}
	}
	return notFound("not found")
}
