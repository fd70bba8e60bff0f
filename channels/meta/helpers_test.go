package meta_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	"github.com/dakenh/dakenh/internal/testlog"
	"github.com/dakenh/dakenh/omnichannel"
)

// Ids of the emulator's default business.
const (
	pageID = "104857600000001"
	igID   = "17841400000000001" // 17 digits: beyond float64's exact integers
	psid   = "6543210987654321"
	igsid  = "17841499999999901"
)

// pngBytes is a minimal PNG: http.DetectContentType says image/png.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 64)...)

// newAdapter returns the adapter of kind pointed at srv, logging into logs.
func newAdapter(t testing.TB, srv *metatest.Server, kind omnichannel.Kind, logs *testlog.Buffer, edit ...func(*meta.Config)) *meta.Channel {
	t.Helper()
	cfg := srv.Config()
	if logs != nil {
		cfg.Logger = logs.Logger()
	}
	for _, e := range edit {
		e(&cfg)
	}
	ch, err := meta.New(kind, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// capture is a webhook receiver that keeps every delivery the emulator posts.
type capture struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func newCapture(t *testing.T) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, b)
		c.heads = append(c.heads, r.Header.Clone())
		c.mu.Unlock()
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) last() ([]byte, http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodies[len(c.bodies)-1], c.heads[len(c.heads)-1]
}
