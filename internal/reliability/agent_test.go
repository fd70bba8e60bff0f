package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/dakenh/dakenh/inboxapi"
)

// agent is a signed-in user of the example inbox, talking to its agent API as the web page does.
type agent struct {
	base   string
	client *http.Client
}

// crashPassword is the supervisor's password: the inbox runs with real provider credentials, so
// it has real accounts; the first supervisor comes from DAKENH_SUPERVISOR_* (startInbox).
const crashPassword = "crash-test-password"

// login signs userID in with crashPassword and returns the agent, or an error when the process
// does not answer (it may just have been killed).
func login(ctx context.Context, base, userID string) (*agent, error) {
	jar, _ := cookiejar.New(nil)
	a := &agent{base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := url.Values{"user": {userID}, "password": {crashPassword}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/auth/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(inboxapi.CSRFHeader, "1")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "error") {
		return nil, fmt.Errorf("login as %s: HTTP %d to %q", userID, resp.StatusCode, resp.Header.Get("Location"))
	}
	return a, nil
}

// apiError is a non-2xx answer of the agent API.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// do calls the API (path relative to /api) with a JSON body and decodes a 2xx JSON answer into out.
func (a *agent) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+"/api"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(inboxapi.CSRFHeader, "1") // as the web page does
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Body: string(data)}
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// send posts a text reply with an idempotency key and returns the accepted message.
func (a *agent) send(ctx context.Context, conversationID, text, key string) (*inboxapi.Message, error) {
	var out inboxapi.MessageResponse
	err := a.do(ctx, http.MethodPost, "/conversations/"+url.PathEscape(conversationID)+"/messages",
		inboxapi.SendRequest{Text: text, IdempotencyKey: key}, &out)
	if err != nil {
		return nil, err
	}
	return &out.Message, nil
}

// conversations lists the first page (newest first) of the inbox.
func (a *agent) conversations(ctx context.Context) ([]inboxapi.Conversation, error) {
	var out inboxapi.ConversationList
	if err := a.do(ctx, http.MethodGet, "/conversations?limit=200", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// markRead marks a conversation read for the agent.
func (a *agent) markRead(ctx context.Context, conversationID string) error {
	return a.do(ctx, http.MethodPost, "/conversations/"+url.PathEscape(conversationID)+"/read", nil, nil)
}

// inboxapiConversation is a row of the inbox list.
type inboxapiConversation = inboxapi.Conversation

// messages returns every entry of a conversation, oldest first, page by page.
func (a *agent) messages(ctx context.Context, conversationID string) ([]inboxapi.Message, error) {
	var all []inboxapi.Message
	before := int64(0)
	for {
		var out inboxapi.MessageList
		path := fmt.Sprintf("/conversations/%s/messages?limit=500", url.PathEscape(conversationID))
		if before > 0 {
			path += fmt.Sprintf("&before=%d", before)
		}
		if err := a.do(ctx, http.MethodGet, path, nil, &out); err != nil {
			return nil, err
		}
		all = append(out.Items, all...)
		if !out.More || len(out.Items) == 0 {
			return all, nil
		}
		before = out.Items[0].Seq
	}
}

// connect runs the provider's consent flow for kind through the API: start it, let consent play
// the account admin pressing "Allow" on the provider's page, and follow the redirect back to the
// API's callback. It returns the connection id.
func (a *agent) connect(ctx context.Context, kind string, consent func(context.Context, string) (url.Values, error)) (string, error) {
	var start inboxapi.ConnectURL
	if err := a.do(ctx, http.MethodPost, "/connections/"+kind+"/connect", inboxapi.ConnectRequest{}, &start); err != nil {
		return "", fmt.Errorf("starting the %s connect flow: %w", kind, err)
	}
	back, err := consent(ctx, start.URL)
	if err != nil {
		return "", fmt.Errorf("%s consent: %w", kind, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/api/connect/callback/"+kind+"?"+back.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("connected") == "" {
		return "", fmt.Errorf("%s connect callback: HTTP %d to %q", kind, resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("connected"), nil
}
