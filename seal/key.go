package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of a key's secret in bytes: AES-256.
const KeySize = 32

// ErrInvalidKey is wrapped by every error about a key or a keyring configuration: a bad id, a
// secret of the wrong length or encoding, a duplicate id, an empty keyring.
var ErrInvalidKey = errors.New("seal: invalid key")

// keyIDPattern is what a key id may hold: it appears in sealed values and in "id:secret" lists.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Key is one AES-256 key and its id. The zero Key is invalid; make one with NewKey, ParseKey or
// GenerateKey. Its String and GoString methods redact the secret.
type Key struct {
	id     string
	secret [KeySize]byte
}

// NewKey returns the key with id and secret. id is 1 to 32 letters, digits, '-' or '_'; secret is
// KeySize random bytes (it is copied). Errors wrap ErrInvalidKey.
func NewKey(id string, secret []byte) (Key, error) {
	if !keyIDPattern.MatchString(id) {
		return Key{}, fmt.Errorf("%w: a key id must be 1 to 32 letters, digits, '-' or '_'", ErrInvalidKey)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("%w: key %q: secret must be %d bytes, got %d", ErrInvalidKey, id, KeySize, len(secret))
	}
	k := Key{id: id}
	copy(k.secret[:], secret)
	return k, nil
}

// GenerateKey returns a new key with id and a secret from crypto/rand.
func GenerateKey(id string) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("seal: generating a key: %w", err)
	}
	return NewKey(id, secret)
}

// ParseKey parses one "id:secret" entry, the secret being 64 hex digits or the standard or
// URL-safe base64 of KeySize bytes, padded or not. Errors wrap ErrInvalidKey and never quote the
// secret.
func ParseKey(s string) (Key, error) {
	id, encoded, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Key{}, fmt.Errorf("%w: want id:secret (hex or base64 of %d bytes)", ErrInvalidKey, KeySize)
	}
	id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
	secret, err := decodeSecret(encoded)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %s: %v", ErrInvalidKey, describeID(id), err)
	}
	return NewKey(id, secret)
}

// decodeSecret decodes hex (exactly 2*KeySize digits) or base64 in any of its four common forms.
// Its errors describe the problem without quoting the input.
func decodeSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("secret is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("secret must be %d bytes, its base64 holds %d", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("secret is neither %d hex digits nor base64 of %d bytes", 2*KeySize, KeySize)
}

// describeID names a key id in an error: quoted when it is a valid id, described otherwise (a
// malformed id might be a secret pasted in the wrong place, so it is never quoted).
func describeID(id string) string {
	if keyIDPattern.MatchString(id) {
		return fmt.Sprintf("%q", id)
	}
	return "with an invalid id"
}

// ID returns the key's id.
func (k Key) ID() string { return k.id }

// Encoded returns the key as "id:secret" with the secret in standard base64: the form ParseKey and
// ParseKeyring read, for writing a key file. It is secret.
func (k Key) Encoded() string {
	return k.id + ":" + base64.StdEncoding.EncodeToString(k.secret[:])
}

// String returns the id with the secret redacted.
func (k Key) String() string { return "seal.Key{id:" + k.id + " secret:redacted}" }

// GoString redacts the secret (for %#v).
func (k Key) GoString() string { return k.String() }
