package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dakenh/dakenh/internal/sealtest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
)

// storedTokens returns the access and refresh tokens of the workspace's connections, read through
// the app's store.
func storedTokens(t *testing.T, a *App) []string {
	t.Helper()
	var tokens []string
	err := a.store.View(context.Background(), func(tx omnichannel.Tx) error {
		conns, err := tx.ListConnections(workspaceID)
		for _, c := range conns {
			tokens = append(tokens, c.Credentials.AccessToken, c.Credentials.RefreshToken)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) < 8 {
		t.Fatalf("want the tokens of the seeded Zalo, TikTok, Messenger and Instagram connections (Page tokens and the user token that renews them), got %d", len(tokens))
	}
	return tokens
}

// A fresh demo start generates a key file of mode 0600 in the data directory, and the seeded
// connections' tokens are nowhere in the SQLite files; a restart keeps the same key and reads them.
func TestDemoEncryptsTokensWithGeneratedKey(t *testing.T) {
	dir := t.TempDir()
	a, stop := startAppIn(t, dir)
	tokens := storedTokens(t, a.app)
	if !strings.Contains(a.app.storeName, "encrypted") {
		t.Errorf("start-up note %q does not say the tokens are encrypted", a.app.storeName)
	}
	db := filepath.Join(dir, "inbox.db")
	files, n := sealtest.ReadFiles(t, db, db+"-wal", db+"-shm")
	if n == 0 {
		t.Fatal("no database files")
	}
	if found := sealtest.Find(files, tokens); len(found) > 0 {
		t.Errorf("%d plain tokens in the database files", len(found))
	}
	stop()

	keyFile := filepath.Join(dir, SecretKeysFile)
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseKeyring(string(key)); err != nil {
		t.Fatalf("the key file does not parse: %v", err)
	}

	a, stop = startAppIn(t, dir)
	defer stop()
	again, _ := os.ReadFile(keyFile)
	if !bytes.Equal(key, again) {
		t.Error("a restart replaced the key file")
	}
	// The restarted emulators issue new tokens, which the app stores (sealed) again.
	tokens = storedTokens(t, a.app)
	files, _ = sealtest.ReadFiles(t, db, db+"-wal", db+"-shm")
	if found := sealtest.Find(files, tokens); len(found) > 0 {
		t.Errorf("%d plain tokens in the database files after the restart", len(found))
	}
}

// Rotation through the option: a new key put first re-seals every connection at start, after
// which the old key can be dropped; a key file others can read is refused.
func TestSecretKeysRotationAtStart(t *testing.T) {
	dir := t.TempDir()
	_, stop := startAppIn(t, dir)
	stop()
	oldKey, err := os.ReadFile(filepath.Join(dir, SecretKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := seal.GenerateKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	start := func(keys string) (*App, error) {
		o, err := parseOptions([]string{"-data", dir, "-secret-keys", keys}, func(string) string { return "" }, io.Discard)
		if err != nil {
			return nil, err
		}
		o.Quiet = true
		return newApp(context.Background(), o, "http://127.0.0.1:1", io.Discard)
	}

	app, err := start(newKey.Encoded() + "," + strings.TrimSpace(string(oldKey)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(app.storeName, `key "k2" from -secret-keys`) || !strings.Contains(app.storeName, "re-sealed") {
		t.Errorf("start-up note %q", app.storeName)
	}
	app.Close()

	app, err = start(newKey.Encoded())
	if err != nil {
		t.Fatalf("the old key is no longer needed after the re-seal: %v", err)
	}
	storedTokens(t, app)
	app.Close()

	if _, err := start(strings.TrimSpace(string(oldKey))); err == nil {
		t.Error("the old key alone opened rows re-sealed with the new key")
	}

	if err := os.Chmod(filepath.Join(dir, SecretKeysFile), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := parseOptions([]string{"-data", dir}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.keyring(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file: %v", err)
	}
}

// -secret-keys and DAKENH_SECRET_KEYS are validated with the other options, and the error never
// quotes the secret.
func TestSecretKeysOption(t *testing.T) {
	good := "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	o, err := parseOptions(nil, func(k string) string {
		if k == "DAKENH_SECRET_KEYS" {
			return good
		}
		return ""
	}, io.Discard)
	if err != nil || o.SecretKeys != good {
		t.Fatalf("env DAKENH_SECRET_KEYS: %v %q", err, o.SecretKeys)
	}
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{4}, 16))
	_, err = parseOptions([]string{"-secret-keys", "k1:" + short}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-secret-keys") || strings.Contains(err.Error(), short) {
		t.Errorf("a 16-byte key: %v", err)
	}
}
