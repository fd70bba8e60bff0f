// Package sealtest checks that provider secrets are encrypted at rest: it connects a Zalo OA
// through an Engine over a store (the zalotest emulator's consent flow, as an admin pressing
// "Thêm kết nối"), returns the secrets the store was given, and finds them in raw bytes (database
// files, a dump).
package sealtest

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// Workspace and Admin are where ConnectZalo connects the OA.
const (
	Workspace = "ws-seal"
	Admin     = "admin-seal"
)

// Secrets are the plain secrets ConnectZalo gave the store.
type Secrets struct {
	// AccessToken and RefreshToken are the connection's tokens, as the emulator issued them.
	AccessToken, RefreshToken string
	// CodeVerifier is the PKCE verifier of the finished flow (its OAuth state row was deleted).
	CodeVerifier string
	// ConnectionID is the id of the saved connection.
	ConnectionID string
}

// All returns the secrets as a list.
func (s Secrets) All() []string { return []string{s.AccessToken, s.RefreshToken, s.CodeVerifier} }

// ConnectZalo seeds an admin, runs the Zalo connect flow through an Engine over store (consent on
// the emulator, code exchange with PKCE, connection saved) and returns what the store was given.
// The Engine's worker is not started.
func ConnectZalo(t testing.TB, store omnichannel.Store) Secrets {
	t.Helper()
	ctx := context.Background()
	emu := zalotest.New(zalotest.Options{})
	t.Cleanup(emu.Close)
	ch, err := zalooa.New(emu.Config())
	must(t, err)
	router, err := routing.New(routing.Config{})
	must(t, err)
	eng, err := omnichannel.New(omnichannel.Config{Store: store, Channels: []omnichannel.Channel{ch}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: t.TempDir()}})
	must(t, err)
	must(t, store.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: Workspace, ID: Admin, Name: "Admin",
			Role: omnichannel.RoleSupervisor, Active: true})
	}))
	authURL, err := eng.StartConnect(ctx, omnichannel.ConnectParams{WorkspaceID: Workspace, UserID: Admin,
		Kind: zalooa.Kind, RedirectURI: "https://crm.example/oauth/zalo/callback"})
	must(t, err)
	q, err := emu.Consent(ctx, authURL)
	must(t, err)
	conn, err := eng.CompleteConnect(ctx, Workspace, Admin, q)
	must(t, err)
	token := emu.RequestsTo(zalotest.PathAccessToken)
	if len(token) != 1 {
		t.Fatalf("want 1 token request, got %d", len(token))
	}
	form, err := url.ParseQuery(string(token[0].Body))
	must(t, err)
	s := Secrets{AccessToken: conn.Credentials.AccessToken, RefreshToken: conn.Credentials.RefreshToken,
		CodeVerifier: form.Get("code_verifier"), ConnectionID: conn.ID}
	for _, v := range s.All() {
		if len(v) < 16 {
			t.Fatalf("a secret of the flow is missing or short (%d bytes)", len(v))
		}
	}
	return s
}

// Find returns the secrets that occur in data.
func Find(data []byte, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

// ReadFiles returns the concatenated contents of the paths that exist (a SQLite database and its
// -wal and -shm files), and how many existed.
func ReadFiles(t testing.TB, paths ...string) ([]byte, int) {
	t.Helper()
	var all []byte
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		must(t, err)
		all = append(all, b...)
		n++
	}
	return all, n
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
