package metatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/meta/metatest"
)

type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.heads = append(r.heads, req.Header.Clone())
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// The emulator's HMAC matches the RFC 4231-style published vector for HMAC-SHA256.
func TestSignWithKnownVector(t *testing.T) {
	got := metatest.SignWith("key", []byte("The quick brown fox jumps over the lazy dog"))
	assert.Equal(t, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", got)
}

func TestMetaJSONEscapes(t *testing.T) {
	b := metatest.MetaJSON(map[string]any{"text": "áo đỏ 😀 a/b <x>", "n": json.Number("1517776481860111")})
	assert.Equal(t, `{"n":1517776481860111,"text":"\u00e1o \u0111\u1ecf \ud83d\ude00 a\/b <x>"}`, string(b))
	var v map[string]string
	require.NoError(t, json.Unmarshal(bytes.Replace(b, []byte(`1517776481860111`), []byte(`"x"`), 1), &v))
	assert.Equal(t, "áo đỏ 😀 a/b <x>", v["text"])
}

// A delivery carries several entries and items, signed with both headers; redelivery is byte for
// byte.
func TestBatchedDeliveryAndRedelivery(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	rcv := newReceiver(t)
	ctx := context.Background()
	pages := srv.Pages()
	now := time.UnixMilli(1785312004523)
	item := func(page, user, text string) map[string]any {
		return map[string]any{"sender": map[string]any{"id": user}, "recipient": map[string]any{"id": page}, "timestamp": now.UnixMilli(),
			"message": map[string]any{"mid": "m_" + user, "text": text}}
	}
	require.NoError(t, srv.Post(ctx, rcv.srv.URL, "page",
		metatest.Entry{ID: pages[0].ID, Time: now, Messaging: []map[string]any{item(pages[0].ID, "u1", "một"), item(pages[0].ID, "u2", "hai")}},
		metatest.Entry{ID: pages[1].ID, Time: now, Messaging: []map[string]any{item(pages[1].ID, "u3", "ba")}, Standby: []map[string]any{item(pages[1].ID, "u4", "bốn")}}))
	require.NoError(t, srv.Redeliver(ctx, rcv.srv.URL))
	require.Equal(t, 2, rcv.count())
	assert.Equal(t, rcv.bodies[0], rcv.bodies[1])
	assert.Equal(t, srv.Sign(rcv.bodies[0]), rcv.heads[0].Get("X-Hub-Signature-256"))
	assert.True(t, strings.HasPrefix(rcv.heads[0].Get("X-Hub-Signature"), "sha1="))
	var env struct {
		Object string `json:"object"`
		Entry  []struct {
			ID        string            `json:"id"`
			Messaging []json.RawMessage `json:"messaging"`
			Standby   []json.RawMessage `json:"standby"`
		} `json:"entry"`
	}
	require.NoError(t, json.Unmarshal(rcv.bodies[0], &env))
	assert.Equal(t, "page", env.Object)
	require.Len(t, env.Entry, 2)
	assert.Len(t, env.Entry[0].Messaging, 2)
	assert.Len(t, env.Entry[1].Standby, 1)
}

// The echo of an API send reaches the webhook before the send call answers; its mid is the
// message_id; app_id is a number and the metadata comes back.
func TestEchoBeforeSendAnswer(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	rcv := newReceiver(t)
	ctx := context.Background()
	_, err := srv.CustomerSays(ctx, rcv.srv.URL, srv.PageID(), "u1", "Lan", "hi")
	require.NoError(t, err)
	srv.SetEchoURL("page", rcv.srv.URL)
	conn := srv.Connection(srv.PageID())
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v25.0/"+srv.PageID()+"/messages",
		strings.NewReader(`{"recipient":{"id":"u1"},"messaging_type":"RESPONSE","message":{"text":"Dạ","metadata":"dakenh:x1"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+conn.Credentials.AccessToken)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 2, rcv.count(), "the echo arrived before the answer")
	var out struct {
		MessageID string `json:"message_id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	echo := string(rcv.bodies[1])
	assert.Contains(t, echo, `"mid":"`+out.MessageID+`"`)
	assert.Contains(t, echo, `"app_id":`+srv.AppID()+`,`)
	assert.Contains(t, echo, `"metadata":"dakenh:x1"`)
	assert.Contains(t, echo, `"is_echo":true`)
}

// Sends are refused as Meta refuses them: outside the window, a dead tag, an unknown user, too
// long an Instagram text, a missing or dead token.
func TestSendRefusals(t *testing.T) {
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	srv := metatest.New(metatest.Options{Now: now})
	defer srv.Close()
	rcv := newReceiver(t)
	ctx := context.Background()
	_, err := srv.CustomerSays(ctx, rcv.srv.URL, srv.PageID(), "u1", "Lan", "hi")
	require.NoError(t, err)
	_, err = srv.CustomerSays(ctx, rcv.srv.URL, srv.InstagramID(), "ig1", "Mai", "hi")
	require.NoError(t, err)
	token := srv.Connection(srv.PageID()).Credentials.AccessToken
	send := func(tok, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v25.0/me/messages", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	msg := func(user, typ, tag, text string) string {
		return fmt.Sprintf(`{"recipient":{"id":%q},"messaging_type":%q,"tag":%q,"message":{"text":%q}}`, user, typ, tag, text)
	}
	code, body := send(token, msg("nobody", "RESPONSE", "", "x"))
	assert.Equal(t, 400, code)
	assert.Contains(t, body, `"error_subcode":2018001`)
	_, body = send(token, msg("u1", "MESSAGE_TAG", "ACCOUNT_UPDATE", "x"))
	assert.Contains(t, body, `"code":100`)
	_, body = send(token, msg("ig1", "RESPONSE", "", strings.Repeat("ấ", 334)))
	assert.Contains(t, body, "1000 bytes")
	code, _ = send("EAAPnotatoken", msg("u1", "RESPONSE", "", "x"))
	assert.Equal(t, 400, code)

	mu.Lock()
	clock = clock.Add(25 * time.Hour)
	mu.Unlock()
	_, body = send(token, msg("u1", "RESPONSE", "", "x"))
	assert.Contains(t, body, `"error_subcode":2018278`)
	_, body = send(token, msg("ig1", "RESPONSE", "", "x"))
	assert.Contains(t, body, `"error_subcode":2534022`)
	code, _ = send(token, msg("u1", "MESSAGE_TAG", "HUMAN_AGENT", "x"))
	assert.Equal(t, 200, code, "HUMAN_AGENT within 7 days")
	assert.Len(t, srv.Sent(), 1)
}

// The login dialog lists every Page and Instagram account as a checkbox a browser can click; the
// code is single use and bound to the redirect URI.
func TestLoginDialogAndCode(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	auth := srv.AuthorizeURL() + "?client_id=" + srv.AppID() + "&redirect_uri=https%3A%2F%2Fcrm.example%2Fcb&state=s1&scope=pages_messaging"
	resp, err := srv.Client().Get(auth)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, p := range srv.Pages() {
		assert.Contains(t, string(page), `name="page" value="`+p.ID+`"`)
	}
	assert.Contains(t, string(page), `name="ig" value="`+srv.InstagramID()+`"`)
	q, err := srv.Consent(context.Background(), auth)
	require.NoError(t, err)
	assert.Equal(t, "s1", q.Get("state"))
	code := q.Get("code")
	get := func(redirect string) int {
		resp, err := srv.Client().Get(srv.URL() + "/v25.0/oauth/access_token?client_id=" + srv.AppID() + "&client_secret=" + srv.AppSecret() +
			"&redirect_uri=" + redirect + "&code=" + code)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 400, get("https%3A%2F%2Fother.example%2Fcb"), "another redirect_uri")
	assert.Equal(t, 200, get("https%3A%2F%2Fcrm.example%2Fcb"))
	assert.Equal(t, 400, get("https%3A%2F%2Fcrm.example%2Fcb"), "single use")
}

// The Conversations API pages threads with a cursor and shows at most the 20 latest messages.
func TestConversationsPagingAndCap(t *testing.T) {
	srv := metatest.New(metatest.Options{})
	defer srv.Close()
	base := time.Now().Add(-48 * time.Hour)
	for i := 0; i < 3; i++ {
		var msgs []metatest.HistoryMessage
		for j := 0; j < 25; j++ {
			msgs = append(msgs, metatest.HistoryMessage{FromCustomer: j%2 == 0, Text: fmt.Sprint(j), At: base.Add(time.Duration(i*100+j) * time.Minute)})
		}
		_, err := srv.SeedHistory(srv.PageID(), fmt.Sprintf("h%d", i), "H", msgs)
		require.NoError(t, err)
	}
	token := srv.Connection(srv.PageID()).Credentials.AccessToken
	get := func(path string) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/v25.0/"+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var v map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v
	}
	first := get(srv.PageID() + "/conversations?platform=messenger&limit=2")
	require.Len(t, first["data"], 2)
	paging := first["paging"].(map[string]any)
	require.NotEmpty(t, paging["next"])
	after := paging["cursors"].(map[string]any)["after"].(string)
	second := get(srv.PageID() + "/conversations?platform=messenger&limit=2&after=" + after)
	require.Len(t, second["data"], 1)
	assert.Nil(t, second["paging"].(map[string]any)["next"])
	id := first["data"].([]any)[0].(map[string]any)["id"].(string)
	msgs := get(id + "/messages")
	require.Len(t, msgs["data"], 20, "the 20 most recent only")
	assert.Equal(t, "24", msgs["data"].([]any)[0].(map[string]any)["message"])
}
