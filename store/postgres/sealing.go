package postgres

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

// ErrSealed is returned when a connection's credentials were stored encrypted and the Store has no
// Config.CredentialsKey, or a different one.
var ErrSealed = errors.New("postgres: connection credentials are encrypted with another key")

// sealedCredentials is the stored form of encrypted credentials: AES-GCM of their JSON, nonce first,
// with the connection id as additional data (a sealed value copied to another row does not open).
type sealedCredentials struct {
	Sealed []byte `json:"sealed"`
}

// sealer encrypts connection credentials at rest; nil stores them as plain JSON.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) == 0 {
		return nil, nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("CredentialsKey must be 16, 24 or 32 bytes (AES-128, -192 or -256)")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns the jsonb value of c's credentials.
func (s *sealer) seal(connectionID string, c omnichannel.Credentials) ([]byte, error) {
	plain, err := jsonArg(c)
	if err != nil || s == nil {
		return plain, err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("postgres: sealing credentials: %w", err)
	}
	return jsonArg(sealedCredentials{Sealed: s.aead.Seal(nonce, nonce, plain, []byte(connectionID))})
}

// open decodes a stored credentials value, plain or sealed. Plain values are accepted with a key
// too (rows written before the key was set are sealed on their next update).
func (s *sealer) open(connectionID string, stored []byte, c *omnichannel.Credentials) error {
	var probe struct {
		Sealed []byte `json:"sealed"`
	}
	if err := json.Unmarshal(stored, &probe); err != nil {
		return err
	}
	if probe.Sealed == nil {
		return fromJSON(stored, c)
	}
	if s == nil || len(probe.Sealed) < s.aead.NonceSize() {
		return fmt.Errorf("connection %q: %w", connectionID, ErrSealed)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, probe.Sealed[:n], probe.Sealed[n:], []byte(connectionID))
	if err != nil {
		return fmt.Errorf("connection %q: %w", connectionID, ErrSealed)
	}
	return json.Unmarshal(plain, c)
}
