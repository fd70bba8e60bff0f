package zalooa_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// A whole life of a connection, logged at debug level by the engine and the adapter: connect,
// webhooks (good and forged), sends, a token refresh, provider refusals and a dead refresh token.
// No token, code, PKCE verifier, secret or signature appears in a log line, an error string or a
// stored failure reason.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	var errs []string
	seen := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err))
		}
	}
	var secrets []string

	q := e.startConsent("sup", oc.ConnectParams{})
	conn, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	e.conn = conn
	e.drain()
	form, _ := url.ParseQuery(string(e.emu.RequestsTo(zalotest.PathAccessToken)[0].Body))
	secrets = append(secrets, form.Get("code_verifier"))

	conv := e.openConversation()
	body := e.emu.UserSend("text", fxUser, "in-2", "số em 0912 345 678")
	secrets = append(secrets, strings.TrimPrefix(e.emu.Sign(body), "mac="))
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, body))
	forged := []byte(strings.Replace(string(body), "0912", "0987", 1))
	seen(e.emu.Post(e.ctx, e.hookTo, forged)) // 401
	secrets = append(secrets, strings.TrimPrefix(e.emu.Sign(forged), "mac="))

	e.emu.FailNext(zalotest.PathSend, zalotest.TokenExpired())
	m1 := e.send(conv, "một", "k1")
	e.emu.FailNext(zalotest.PathSend, zalotest.OutsideWindow())
	m2 := e.send(conv, "hai", "k2")
	e.drain()
	e.setCredentials(func(c *oc.Credentials) {
		c.RefreshToken = "zrt-dead-" + strings.Repeat("x", 20)
		c.AccessExpiry = time.Now()
	})
	m3 := e.send(conv, "ba", "k3")
	e.drain()

	// Adapter calls that fail, directly.
	ch := e.eng.Channel(zalooa.Kind).(*zalooa.Channel)
	live := e.connection()
	_, err = ch.RefreshTokens(e.ctx, live)
	seen(err)
	_, err = ch.Exchange(e.ctx, oc.CallbackParams{Query: url.Values{"code": {"zcode-unknown-0123456789"}, "oa_id": {fxOA}}, CodeVerifier: "verifier-" + strings.Repeat("v", 40)})
	seen(err)
	secrets = append(secrets, "zcode-unknown-0123456789", "verifier-"+strings.Repeat("v", 40))
	for _, f := range []zalotest.Fault{zalotest.TokenInvalid(), zalotest.RateLimited(), zalotest.ServerError(), zalotest.NotFollower()} {
		fresh := e.emu.Connection()
		e.emu.FailNext(zalotest.PathSend, f)
		_, err = ch.Send(e.ctx, fresh, &oc.OutboundMessage{RecipientID: fxUser, Text: "x"})
		seen(err)
		secrets = append(secrets, fresh.Credentials.AccessToken, fresh.Credentials.RefreshToken)
	}
	require.NotEmpty(t, errs)

	for _, id := range []string{m1.ID, m2.ID, m3.ID} {
		m := e.message(id)
		errs = append(errs, m.FailureReason, m.FailureCode)
	}
	errs = append(errs, e.connection().StatusReason)
	secrets = append(secrets, e.emu.IssuedSecrets()...)
	logs := e.logs.String()
	require.Contains(t, logs, "zalooa: provider call", "the adapter's debug logs were captured")
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		assert.NotContains(t, logs, s, "a secret (%d bytes starting %q) was logged", len(s), s[:3])
		for _, e := range errs {
			assert.NotContains(t, e, s, "an error or failure reason carries a secret")
		}
	}
}
