package tiktok_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/dakenh/dakenh/internal/testlog"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
)

// pngBytes is a minimal PNG header: http.DetectContentType says image/png.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 64)...)

// testlog.Buffer captures logs so tests can assert what never appears in them.
// newAdapter returns an adapter pointed at srv, logging into logs.
func newAdapter(t *testing.T, srv *tiktoktest.Server, logs *testlog.Buffer, edit ...func(*tiktok.Config)) *tiktok.Channel {
	t.Helper()
	cfg := srv.Config()
	if logs != nil {
		cfg.Logger = logs.Logger()
	}
	for _, e := range edit {
		e(&cfg)
	}
	ch, err := tiktok.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// capture is a webhook receiver that keeps every delivery the emulator posts (to turn the
// emulator's own deliveries into fixtures).
type capture struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newCapture(t *testing.T) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, b)
		c.mu.Unlock()
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) last() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodies[len(c.bodies)-1]
}

// envelope builds a delivery whose content is the JSON string of content (written by hand in the
// fixtures, byte for byte as TikTok sends it).
func envelope(event, content string) []byte {
	b, _ := json.Marshal(map[string]any{"client_key": "tt-app-7001", "event": event, "create_time": 1700000000,
		"user_openid": "biz-6980001", "content": content})
	return b
}

func readAll(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

func serve(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
