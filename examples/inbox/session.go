package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Session cookie and demo login.
const (
	sessionCookie = "dakenh_session"
	sessionTTL    = 12 * time.Hour
	// DemoPassword is the password of every seeded user in demo mode, and only there; the login
	// page shows it. Outside demo mode every user has an account of their own (accounts.go).
	DemoPassword = "demo123"
)

// errNoSession means the request carries no valid session cookie, or a login failed.
var errNoSession = errors.New("inbox: not signed in")

// throttledError refuses a login attempt while its account or address is locked.
type throttledError struct{ wait time.Duration }

func (e *throttledError) Error() string { return "inbox: too many login attempts" }

// sessions keeps signed-in users in memory: a restart signs everybody out.
type sessions struct {
	store omnichannel.Store
	now   func() time.Time
	// demo: every active user signs in with DemoPassword; else with their account's password.
	demo     bool
	accounts *accounts
	throttle *loginThrottle
	// secure marks the cookies Secure: the public URL is https (a TLS proxy in front).
	secure bool

	mu sync.Mutex
	m  map[string]session
}

type session struct {
	workspaceID, userID string
	expires             time.Time
}

func newSessions(store omnichannel.Store, now func() time.Time, demo bool, acc *accounts, secure bool) *sessions {
	return &sessions{store: store, now: now, demo: demo, accounts: acc, throttle: newLoginThrottle(now),
		secure: secure, m: map[string]session{}}
}

// login checks userID's password (throttled per account and per client address) and starts a
// session, setting an HttpOnly, SameSite=Lax cookie on w (Secure behind https). It returns a
// *throttledError while locked, errNoSession for a wrong user or password.
func (s *sessions) login(ctx context.Context, w http.ResponseWriter, r *http.Request, userID, password string) error {
	keys := loginKeys(userID, r)
	if wait := s.throttle.begin(keys); wait > 0 {
		return &throttledError{wait: wait}
	}
	u, err := s.check(ctx, userID, password)
	if err != nil {
		return errNoSession // the attempt stays charged
	}
	s.throttle.succeed(keys)
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.m[token] = session{workspaceID: u.WorkspaceID, userID: u.ID, expires: s.now().Add(sessionTTL)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure || r.TLS != nil, MaxAge: int(sessionTTL / time.Second)})
	return nil
}

// check returns the active user whose password this is.
func (s *sessions) check(ctx context.Context, userID, password string) (*omnichannel.User, error) {
	if s.demo {
		if subtle.ConstantTimeCompare([]byte(password), []byte(DemoPassword)) != 1 {
			return nil, errNoSession
		}
	} else if err := s.accounts.verify(userID, password); err != nil {
		return nil, errNoSession
	}
	var u *omnichannel.User
	err := s.store.View(ctx, func(tx omnichannel.Tx) (err error) {
		u, err = tx.GetUser(workspaceID, userID)
		return err
	})
	if err != nil || !u.Active {
		return nil, errNoSession
	}
	return u, nil
}

// logout ends the request's session and clears the cookie.
func (s *sessions) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.m, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure || r.TLS != nil, MaxAge: -1})
}

// Authenticate implements inboxapi.Authenticator: it returns the signed-in user of the request's
// session cookie, or an error wrapping errNoSession.
func (s *sessions) Authenticate(r *http.Request) (*omnichannel.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	s.mu.Lock()
	sess, ok := s.m[c.Value]
	if ok && !s.now().Before(sess.expires) {
		delete(s.m, c.Value)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return nil, errNoSession
	}
	var u *omnichannel.User
	err = s.store.View(r.Context(), func(tx omnichannel.Tx) (err error) {
		u, err = tx.GetUser(sess.workspaceID, sess.userID)
		return err
	})
	if err != nil || !u.Active {
		return nil, errNoSession
	}
	return u, nil
}
