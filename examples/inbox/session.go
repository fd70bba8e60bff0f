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
	// DemoPassword is the password of every seeded user; the login page shows it.
	DemoPassword = "demo123"
)

// errNoSession means the request carries no valid session cookie.
var errNoSession = errors.New("inbox: not signed in")

// sessions keeps signed-in users in memory: a restart signs everybody out.
type sessions struct {
	store omnichannel.Store
	now   func() time.Time

	mu sync.Mutex
	m  map[string]session
}

type session struct {
	workspaceID, userID string
	expires             time.Time
}

func newSessions(store omnichannel.Store) *sessions {
	return &sessions{store: store, now: time.Now, m: map[string]session{}}
}

// login checks the demo password for userID and starts a session, setting an HttpOnly, SameSite=Lax
// cookie on w.
func (s *sessions) login(ctx context.Context, w http.ResponseWriter, r *http.Request, userID, password string) error {
	if subtle.ConstantTimeCompare([]byte(password), []byte(DemoPassword)) != 1 {
		return errNoSession
	}
	var u *omnichannel.User
	err := s.store.View(ctx, func(tx omnichannel.Tx) (err error) {
		u, err = tx.GetUser(workspaceID, userID)
		return err
	})
	if err != nil || !u.Active {
		return errNoSession
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.m[token] = session{workspaceID: u.WorkspaceID, userID: u.ID, expires: s.now().Add(sessionTTL)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: int(sessionTTL / time.Second)})
	return nil
}

// logout ends the request's session and clears the cookie.
func (s *sessions) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.m, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
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
