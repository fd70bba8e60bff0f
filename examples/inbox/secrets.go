package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dakenh/dakenh/seal"
)

// SecretKeysFile is the key file in the data directory: generated in demo mode on the first run,
// used whenever it exists and -secret-keys is not given. It holds "id:base64" entries, the
// current key first, and must be readable by its owner only (mode 0600).
const SecretKeysFile = "secret-keys"

// resealer is what the stores offer to move every stored secret to the keyring's current key.
type resealer interface {
	ResealCredentials(ctx context.Context) (int, error)
}

// keyring returns the keys that encrypt provider tokens at rest and says where they came from:
// -secret-keys (DAKENH_SECRET_KEYS) when set; else the data directory's key file, generated in
// demo mode when missing. Without either it returns nil: tokens are stored unencrypted.
func (o Options) keyring() (*seal.Keyring, string, error) {
	if o.SecretKeys != "" {
		keys, err := seal.ParseKeyring(o.SecretKeys)
		if err != nil {
			return nil, "", fmt.Errorf("-secret-keys: %w", err)
		}
		return keys, "-secret-keys", nil
	}
	path := filepath.Join(o.DataDir, SecretKeysFile)
	keys, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) && o.Demo() {
		keys, err = writeKeyFile(path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return keys, path, nil
}

// readKeyFile reads a key file; it refuses one that others may read.
func readKeyFile(path string) (*seal.Keyring, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := seal.ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// writeKeyFile generates a key and writes it to a new file of mode 0600 (never over an existing
// file: two starts racing keep the first one's key).
func writeKeyFile(path string) (*seal.Keyring, error) {
	k, err := seal.GenerateKey("demo-" + time.Now().UTC().Format("20060102"))
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	_, werr := f.WriteString(k.Encoded() + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("writing the key file %s: %w", path, err)
	}
	return seal.NewKeyring(k)
}

// secretsNote describes the protection of stored tokens for the start-up line.
func secretsNote(keys *seal.Keyring, source string, resealed int) string {
	if keys == nil {
		return "provider tokens stored unencrypted: set -secret-keys"
	}
	note := fmt.Sprintf("provider tokens encrypted with key %q from %s", keys.CurrentID(), source)
	if resealed > 0 {
		note += fmt.Sprintf(", %d connection(s) re-sealed", resealed)
	}
	return note
}

// secretKeysProblems reports a malformed -secret-keys value (for Options.validate).
func (o Options) secretKeysProblems() []error {
	if strings.TrimSpace(o.SecretKeys) == "" {
		return nil
	}
	if _, err := seal.ParseKeyring(o.SecretKeys); err != nil {
		return []error{fmt.Errorf("-secret-keys: %w", err)}
	}
	return nil
}
