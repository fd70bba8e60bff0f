package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/seal"
)

func key(t *testing.T, id string, fill byte) seal.Key {
	t.Helper()
	k, err := seal.NewKey(id, bytes.Repeat([]byte{fill}, seal.KeySize))
	require.NoError(t, err)
	return k
}

func ring(t *testing.T, keys ...seal.Key) *seal.Keyring {
	t.Helper()
	r, err := seal.NewKeyring(keys...)
	require.NoError(t, err)
	return r
}

func TestSealOpenRoundTrip(t *testing.T) {
	r := ring(t, key(t, "k1", 1))
	for _, plain := range []string{"", "at-SECRET", strings.Repeat("x", 10_000), "Tiếng Việt \x00 binary"} {
		sealed, err := r.Seal([]byte(plain), []byte("conn-1"))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(sealed, "sealed:v1:k1:"), sealed)
		assert.True(t, seal.IsSealed(sealed))
		if plain != "" {
			assert.NotContains(t, sealed, plain)
		}
		got, err := r.Open(sealed, []byte("conn-1"))
		require.NoError(t, err)
		assert.Equal(t, plain, string(got))
	}
	a, err := r.Seal([]byte("same"), nil)
	require.NoError(t, err)
	b, err := r.Seal([]byte("same"), nil)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "every seal draws a new nonce")
}

// A value opens only under its own key and its own associated data, and any change to it is
// detected; no error carries the plaintext or the key.
func TestOpenRefusesWrongKeyRowAndTampering(t *testing.T) {
	k1 := key(t, "k1", 1)
	r := ring(t, k1)
	sealed, err := r.Seal([]byte("rt-SECRET"), []byte("conn-1"))
	require.NoError(t, err)
	body := strings.TrimPrefix(sealed, "sealed:v1:k1:")

	// Tamper with the decoded bytes: flipping a bit of a base64 character can make it an invalid
	// character ('-' and '_' do), which is "not sealed", not "tampered".
	tamper := func(i func(n int) int) string {
		raw, err := base64.RawURLEncoding.DecodeString(body)
		require.NoError(t, err)
		raw[i(len(raw))] ^= 0x80
		return "sealed:v1:k1:" + base64.RawURLEncoding.EncodeToString(raw)
	}
	tamperedTag := tamper(func(n int) int { return n - 1 })
	tamperedNonce := tamper(func(int) int { return 0 })

	cases := []struct {
		name   string
		keys   *seal.Keyring
		sealed string
		ad     string
		want   error
	}{
		{"other row", r, sealed, "conn-2", seal.ErrTampered},
		{"no associated data", r, sealed, "", seal.ErrTampered},
		{"same id, other material", ring(t, key(t, "k1", 9)), sealed, "conn-1", seal.ErrTampered},
		{"key not in the ring", ring(t, key(t, "k2", 2)), sealed, "conn-1", seal.ErrUnknownKey},
		{"nil keyring", nil, sealed, "conn-1", seal.ErrUnknownKey},
		{"tag changed", r, tamperedTag, "conn-1", seal.ErrTampered},
		{"nonce changed", r, tamperedNonce, "conn-1", seal.ErrTampered},
		{"key id relabelled", ring(t, k1, key(t, "k0", 1)), "sealed:v1:k0:" + body, "conn-1", seal.ErrTampered},
		{"truncated", r, sealed[:len(sealed)-30], "conn-1", seal.ErrNotSealed},
		{"not base64url", r, "sealed:v1:k1:***", "conn-1", seal.ErrNotSealed},
		{"plain JSON", r, `{"AccessToken":"x"}`, "conn-1", seal.ErrNotSealed},
		{"other version", r, "sealed:v2:k1:" + body, "conn-1", seal.ErrNotSealed},
		{"bad key id", r, "sealed:v1:k 1:" + body, "conn-1", seal.ErrNotSealed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.keys.Open(c.sealed, []byte(c.ad))
			require.ErrorIs(t, err, c.want)
			assert.Nil(t, got)
			assert.NotContains(t, err.Error(), "SECRET")
			assert.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
		})
	}
}

// Rotation: a keyring with a new key first seals with it and still opens the old key's values;
// re-sealed values open once the old key is dropped.
func TestRotation(t *testing.T) {
	old := ring(t, key(t, "2024", 1))
	sealedOld, err := old.Seal([]byte("at-1"), []byte("row"))
	require.NoError(t, err)

	rotated := ring(t, key(t, "2025", 2), key(t, "2024", 1))
	assert.Equal(t, "2025", rotated.CurrentID())
	assert.Equal(t, []string{"2025", "2024"}, rotated.IDs())
	assert.False(t, rotated.SealedWithCurrent(sealedOld))
	plain, err := rotated.Open(sealedOld, []byte("row"))
	require.NoError(t, err)
	resealed, err := rotated.Seal(plain, []byte("row"))
	require.NoError(t, err)
	assert.True(t, rotated.SealedWithCurrent(resealed))
	id, err := seal.KeyID(resealed)
	require.NoError(t, err)
	assert.Equal(t, "2025", id)

	newOnly := ring(t, key(t, "2025", 2))
	got, err := newOnly.Open(resealed, []byte("row"))
	require.NoError(t, err)
	assert.Equal(t, "at-1", string(got))
	_, err = newOnly.Open(sealedOld, []byte("row"))
	assert.ErrorIs(t, err, seal.ErrUnknownKey)
}

func TestParseKeyring(t *testing.T) {
	secret := bytes.Repeat([]byte{0xab}, 32)
	forms := map[string]string{
		"hex":     hex.EncodeToString(secret),
		"std":     base64.StdEncoding.EncodeToString(secret),
		"raw std": base64.RawStdEncoding.EncodeToString(secret),
		"url":     base64.URLEncoding.EncodeToString(secret),
		"raw url": base64.RawURLEncoding.EncodeToString(secret),
		"HEX":     strings.ToUpper(hex.EncodeToString(secret)),
	}
	reference := ring(t, key(t, "a", 0xab))
	sealed, err := reference.Seal([]byte("v"), nil)
	require.NoError(t, err)
	for name, form := range forms {
		r, err := seal.ParseKeyring(" a:" + form + " \n")
		require.NoError(t, err, name)
		got, err := r.Open(sealed, nil)
		require.NoError(t, err, name)
		assert.Equal(t, "v", string(got), name)
	}

	r, err := seal.ParseKeyring("new:" + hex.EncodeToString(bytes.Repeat([]byte{2}, 32)) + ",\n old:" + forms["std"])
	require.NoError(t, err)
	assert.Equal(t, []string{"new", "old"}, r.IDs())

	g, err := seal.GenerateKey("gen-1")
	require.NoError(t, err)
	back, err := seal.ParseKey(g.Encoded())
	require.NoError(t, err)
	assert.Equal(t, g, back, "Encoded round-trips through ParseKey")
}

// Config mistakes are refused with ErrInvalidKey and the message never quotes the secret.
func TestParseKeyringRefusals(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 16))
	badHex := strings.Repeat("zz", 32)
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32))
	cases := map[string]string{
		"empty":               "",
		"only separators":     " , ,",
		"no id":               good,
		"empty secret":        "k1:",
		"16-byte key":         "k1:" + short,
		"not hex nor base64":  "k1:" + badHex,
		"bad id":              "k/1:" + good,
		"id too long":         strings.Repeat("i", 33) + ":" + good,
		"duplicate id":        "k1:" + good + ",k1:" + good,
		"one good one broken": "k1:" + good + ",k2:" + short,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := seal.ParseKeyring(in)
			require.ErrorIs(t, err, seal.ErrInvalidKey)
			assert.Nil(t, r)
			for _, secret := range []string{short, badHex, good, "zzzz"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
	_, err := seal.NewKeyring(seal.Key{})
	assert.ErrorIs(t, err, seal.ErrInvalidKey, "zero Key")
	_, err = seal.NewKey("k", make([]byte, 31))
	assert.ErrorIs(t, err, seal.ErrInvalidKey)
	var empty *seal.Keyring
	_, err = empty.Seal([]byte("x"), nil)
	assert.ErrorIs(t, err, seal.ErrInvalidKey)
	_, err = (&seal.Keyring{}).Seal([]byte("x"), nil)
	assert.ErrorIs(t, err, seal.ErrInvalidKey)
}

// Keys and keyrings print their ids, never their secrets, whatever the verb.
func TestPrintingRedacts(t *testing.T) {
	secret := bytes.Repeat([]byte{0x5a}, 32) // "ZZZZ…"
	k, err := seal.NewKey("k1", secret)
	require.NoError(t, err)
	r := ring(t, k)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		for _, v := range []any{k, r, *r} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, string(secret), verb)
			assert.NotContains(t, out, hex.EncodeToString(secret), verb)
			assert.NotContains(t, out, base64.StdEncoding.EncodeToString(secret), verb)
		}
	}
	assert.Contains(t, fmt.Sprint(r), "k1")
	assert.Equal(t, fmt.Sprintf("%#v", *r), fmt.Sprintf("%v", r), "printed by value, the ids only")
	var none *seal.Keyring
	assert.Equal(t, "<nil>", fmt.Sprint(none))
}
