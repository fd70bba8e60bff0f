package smsgw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/examples/customchannel/smsgw"
	"github.com/dakenh/dakenh/examples/customchannel/smsgw/smsgwtest"
	"github.com/dakenh/dakenh/omnichannel"
)

const secret = "smsgw-webhook-secret-42"

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestConformance is the whole of a vendor's integration test: the adapter against its emulator,
// through the engine's conformance harness.
func TestConformance(t *testing.T) {
	gw := smsgwtest.NewProvider(secret)
	t.Cleanup(gw.Close)
	logs := &syncBuffer{}
	ch, err := smsgw.New(smsgw.Config{
		Secret:  secret,
		BaseURL: gw.URL(),
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	form := func(kv ...string) []byte {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return []byte(v.Encode())
	}
	channeltest.Run(t, channeltest.Harness{
		Channel: ch,
		Conn:    gw.Connection(),
		Sign:    func(body []byte) http.Header { return gw.Sign(body, time.Now()) },
		SignWrongKey: func(body []byte) http.Header {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			return http.Header{smsgw.TimestampHeader: {ts}, smsgw.SignatureHeader: {smsgw.Signature("not-the-secret", ts, body)}}
		},
		SignAt: func(body []byte, at time.Time) (http.Header, []byte) { return gw.Sign(body, at), body },
		Window: smsgw.DefaultTolerance,
		Fixtures: []channeltest.Fixture{
			{
				Name:   "sms",
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				Body:   form("event", "sms", "account", "8055", "from", "+84912345678", "id", "in-1", "text", "Còn hàng không?", "ts", "1700000000"),
				Want: []omnichannel.InboundEvent{{
					Type: omnichannel.InboundMessage, ExternalAccountID: "8055", ExternalUserID: "+84912345678",
					Direction: omnichannel.DirectionIn, ProviderMessageID: "in-1", MessageType: omnichannel.MessageText,
					Text: "Còn hàng không?", Time: time.Unix(1700000000, 0),
					Profile: &omnichannel.Profile{Phone: "+84912345678"},
				}},
			},
			{
				Name: "delivery_report",
				Body: form("event", "dlr", "account", "8055", "ref", "sms-7", "status", "delivered", "ts", "1700000001"),
				Want: []omnichannel.InboundEvent{{
					Type: omnichannel.InboundStatus, ExternalAccountID: "8055", Status: omnichannel.MessageDelivered,
					ProviderMessageIDs: []string{"sms-7"},
				}},
			},
			{
				Name: "failed_report",
				Body: form("event", "dlr", "account", "8055", "ref", "sms-8", "status", "failed"),
				Want: []omnichannel.InboundEvent{{
					Type: omnichannel.InboundStatus, ExternalAccountID: "8055", Status: omnichannel.MessageFailed,
					ProviderMessageIDs: []string{"sms-8"},
				}},
			},
		},
		Malformed: [][]byte{
			[]byte("%zz"),
			[]byte(""),
			form("event", "sms", "from", "+84912345678", "id", "x"),
			form("event", "sms", "account", "8055", "id", "x"),
			form("event", "dlr", "account", "8055", "status", "delivered"),
			form("event", "sms", "account", "8055", "from", "+8491", "id", "x", "ts", "noon"),
		},
		UnknownEvent: form("event", "keyword_optout", "account", "8055", "from", "+84912345678"),
		Recipient:    "+84912345678",
		SentCount:    func() int { return len(gw.Sent()) },
		Fault: func(k channeltest.FaultKind) bool {
			switch k {
			case channeltest.FaultRateLimit:
				gw.FailNext(http.StatusTooManyRequests, "THROTTLED", 1)
			case channeltest.FaultServerError:
				gw.FailNext(http.StatusServiceUnavailable, "UPSTREAM_DOWN", 1)
			default:
				return false // API keys do not expire; SMS has no reply window
			}
			return true
		},
		Secrets: []string{secret, gw.APIKey()},
		Logs:    logs.String,
	})
}

func TestSendRequest(t *testing.T) {
	var got *http.Request
	var body map[string]string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		got = r
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"sms-1","status":"queued"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ch, err := smsgw.New(smsgw.Config{Secret: "s", BaseURL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	conn := &omnichannel.Connection{ExternalID: "8055", Credentials: omnichannel.Credentials{AccessToken: "key-1"}}
	res, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{MessageID: "m-9", RecipientID: "+8491", Text: "Dạ"})
	if err != nil || res.ProviderMessageID != "sms-1" {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	if got.Header.Get("X-API-Key") != "key-1" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", got.Header)
	}
	want := map[string]string{"from": "8055", "to": "+8491", "text": "Dạ", "client_ref": "m-9"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body[%q] = %q, want %q (body %v)", k, body[k], v, body)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := smsgw.New(smsgw.Config{Tolerance: -1})
	if err == nil {
		t.Fatal("New accepted an empty config")
	}
	for _, want := range []string{"Secret", "BaseURL", "Tolerance"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestSendRefusesAttachmentsAndRevokedKeys(t *testing.T) {
	gw := smsgwtest.NewProvider(secret)
	t.Cleanup(gw.Close)
	ch, _ := smsgw.New(smsgw.Config{Secret: secret, BaseURL: gw.URL()})
	_, err := ch.Send(context.Background(), gw.Connection(), &omnichannel.OutboundMessage{RecipientID: "+8491",
		Attachments: []omnichannel.OutboundAttachment{{Kind: omnichannel.MessageImage}}})
	if !errors.Is(err, omnichannel.ErrUnsupported) {
		t.Errorf("attachment: %v, want ErrUnsupported", err)
	}
	revoked := gw.Connection()
	revoked.Credentials.AccessToken = "smsk_revoked"
	_, err = ch.Send(context.Background(), revoked, &omnichannel.OutboundMessage{RecipientID: "+8491", Text: "x"})
	if !errors.Is(err, omnichannel.ErrNeedsReconnect) || strings.Contains(err.Error(), "smsk_revoked") {
		t.Errorf("revoked key: %v, want ErrNeedsReconnect without the key", err)
	}
}
