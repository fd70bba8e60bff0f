// Package seal encrypts small secrets at rest (provider tokens, PKCE verifiers) with AES-256-GCM
// under a Keyring of keys the host provides, and supports key rotation.
//
// A Keyring holds one or more 32-byte keys, each with an id. The first key is the current one: it
// seals every new value. Every key of the ring opens the values sealed with it. To rotate, put a
// new key first and keep the old ones after it; once every stored value was sealed again with the
// new key (the stores' ResealCredentials does that), the old keys can be dropped.
//
// A sealed value is text:
//
//	sealed:v1:<key id>:<base64url of nonce and ciphertext>
//
// The version prefix lets a later format coexist with this one; the key id picks the key that
// opens it. Seal takes associated data that binds the value to its place (for example the id of
// the row that stores it): Open with other associated data fails, so a sealed value copied to
// another row does not open there. The prefix and the key id are authenticated too.
//
// Keys are configured as text, "id:secret" entries separated by commas, where the secret is 64 hex
// digits or the standard or URL-safe base64 of 32 bytes (padding optional); see ParseKeyring and
// GenerateKey. Errors of this package name key ids and positions, never key material or plaintext,
// and Key and Keyring print redacted.
package seal
