package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Errors of Open, usable with errors.Is. Their messages name the key id at most.
var (
	// ErrNotSealed: the value does not have the sealed format (no "sealed:v1:" prefix, a bad key
	// id, or a body that is not base64url or too short).
	ErrNotSealed = errors.New("seal: not a sealed value")
	// ErrUnknownKey: the value was sealed with a key id the keyring does not hold (a key dropped
	// too early, or a keyring of another deployment).
	ErrUnknownKey = errors.New("seal: sealed with a key the keyring does not hold")
	// ErrTampered: the value does not authenticate under the key of its id: it was modified, it is
	// opened with other associated data (copied to another row), or the key with that id holds
	// other material than the one that sealed it.
	ErrTampered = errors.New("seal: sealed value does not authenticate (tampered, moved to another row, or wrong key)")
)

// Prefix starts every sealed value of this format version.
const Prefix = "sealed:v1:"

// Keyring seals with its current (first) key and opens with any of its keys. It is safe for
// concurrent use. Make one with NewKeyring or ParseKeyring; a nil or zero Keyring holds no key and
// every Seal and Open fails. String and GoString list the ids only.
type Keyring struct {
	keys []ringKey
	byID map[string]cipher.AEAD
}

type ringKey struct {
	id   string
	aead cipher.AEAD
}

// NewKeyring returns a keyring of keys, the first one current. It needs at least one key, and ids
// must be distinct. Errors wrap ErrInvalidKey.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: a keyring needs at least one key", ErrInvalidKey)
	}
	r := &Keyring{byID: make(map[string]cipher.AEAD, len(keys))}
	for i, k := range keys {
		if !keyIDPattern.MatchString(k.id) {
			return nil, fmt.Errorf("%w: key %d is not initialized (use NewKey, ParseKey or GenerateKey)", ErrInvalidKey, i+1)
		}
		if _, dup := r.byID[k.id]; dup {
			return nil, fmt.Errorf("%w: key id %q is listed twice", ErrInvalidKey, k.id)
		}
		block, err := aes.NewCipher(k.secret[:])
		if err != nil { // unreachable: the secret is always KeySize bytes
			return nil, fmt.Errorf("%w: key %q: %v", ErrInvalidKey, k.id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrInvalidKey, k.id, err)
		}
		r.keys = append(r.keys, ringKey{id: k.id, aead: aead})
		r.byID[k.id] = aead
	}
	return r, nil
}

// ParseKeyring parses "id:secret" entries separated by commas, newlines or spaces, the current key
// first (see ParseKey for the secret's forms). Errors wrap ErrInvalidKey, give the entry's position
// and never quote a secret.
func ParseKeyring(s string) (*Keyring, error) {
	entries := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	var keys []Key
	var errs []error
	for i, e := range entries {
		k, err := ParseKey(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i+1, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewKeyring(keys...)
}

// Len returns the number of keys.
func (r *Keyring) Len() int {
	if r == nil {
		return 0
	}
	return len(r.keys)
}

// CurrentID returns the id of the key that seals ("" for an empty keyring).
func (r *Keyring) CurrentID() string {
	if r.Len() == 0 {
		return ""
	}
	return r.keys[0].id
}

// IDs returns the key ids, the current one first.
func (r *Keyring) IDs() []string {
	ids := make([]string, 0, r.Len())
	if r != nil {
		for _, k := range r.keys {
			ids = append(ids, k.id)
		}
	}
	return ids
}

// String lists the key ids; the secrets are never printed (a value receiver, so that a Keyring
// printed by value or inside another value is covered too).
func (r Keyring) String() string {
	return "seal.Keyring{current:" + r.CurrentID() + " ids:" + strings.Join(r.IDs(), ",") + "}"
}

// GoString is String (for %#v).
func (r Keyring) GoString() string { return r.String() }

// Seal encrypts plaintext with the current key and returns the sealed text. associatedData is not
// stored but must be given again to Open: pass what identifies the value's place (a row id), so
// that the value opens nowhere else.
func (r *Keyring) Seal(plaintext, associatedData []byte) (string, error) {
	if r.Len() == 0 {
		return "", fmt.Errorf("%w: the keyring is empty", ErrInvalidKey)
	}
	k := r.keys[0]
	header := Prefix + k.id + ":"
	body := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(body); err != nil {
		return "", fmt.Errorf("seal: reading a nonce: %w", err)
	}
	body = k.aead.Seal(body, body, plaintext, additional(header, associatedData))
	return header + base64.RawURLEncoding.EncodeToString(body), nil
}

// Open decrypts a value Seal returned with the same associatedData, with the key its id names.
// It fails with ErrNotSealed, ErrUnknownKey or ErrTampered.
func (r *Keyring) Open(sealed string, associatedData []byte) ([]byte, error) {
	id, encoded, err := split(sealed)
	if err != nil {
		return nil, err
	}
	var aead cipher.AEAD
	if r != nil {
		aead = r.byID[id]
	}
	if aead == nil {
		return nil, fmt.Errorf("key %q: %w", id, ErrUnknownKey)
	}
	body, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || len(body) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("key %q: %w: the body is malformed", id, ErrNotSealed)
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, body[:n], body[n:], additional(Prefix+id+":", associatedData))
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", id, ErrTampered)
	}
	return plain, nil
}

// IsSealed reports whether s has the sealed format's prefix (it may still fail to open).
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// KeyID returns the id of the key that sealed s; ErrNotSealed when s is not a sealed value.
func KeyID(sealed string) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

// SealedWithCurrent reports whether sealed was sealed by the current key: false for plain values
// and values of other keys, which a re-seal should rewrite.
func (r *Keyring) SealedWithCurrent(sealed string) bool {
	id, err := KeyID(sealed)
	return err == nil && r.Len() > 0 && id == r.CurrentID()
}

// split parses the header of a sealed value.
func split(sealed string) (id, body string, err error) {
	rest, ok := strings.CutPrefix(sealed, Prefix)
	if !ok {
		return "", "", ErrNotSealed
	}
	id, body, ok = strings.Cut(rest, ":")
	if !ok || !keyIDPattern.MatchString(id) {
		return "", "", fmt.Errorf("%w: bad key id", ErrNotSealed)
	}
	return id, body, nil
}

// additional is the GCM additional data: the header (format version and key id) and the caller's
// associated data, length-prefixed so that no two (header, data) pairs give the same bytes.
func additional(header string, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+1+len(associatedData))
	ad = append(ad, byte(len(header)))
	ad = append(ad, header...)
	return append(ad, associatedData...)
}
