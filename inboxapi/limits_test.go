package inboxapi_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestRequestBodyEdges: media types (415), sizes (413) and strict JSON (400).
func TestRequestBodyEdges(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	send := "/conversations/" + e.convA.ID + "/messages"
	huge := `{"text":"` + strings.Repeat("a", inboxapi.MaxJSONBytes) + `","idempotencyKey":"k"}`
	cases := []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int
		code                            string
	}{
		{"text/plain body", "POST", send, "text/plain", []byte(`{"text":"x","idempotencyKey":"k"}`), 415, "unsupported_media_type"},
		{"no content type", "POST", send, "", []byte(`{"text":"x","idempotencyKey":"k"}`), 415, "unsupported_media_type"},
		{"form body on details", "PATCH", "/conversations/" + e.convA.ID + "/details", "application/x-www-form-urlencoded", []byte("note=x"), 415, "unsupported_media_type"},
		{"JSON on attachments", "POST", "/attachments", "application/json", []byte(`{}`), 415, "unsupported_media_type"},
		{"JSON over 1 MiB", "POST", send, "application/json", []byte(huge), 413, "too_large"},
		{"unknown field", "POST", send, "application/json", []byte(`{"text":"x","idempotencyKey":"k","sender":"boss"}`), 400, "bad_request"},
		{"trailing data", "POST", send, "application/json", []byte(`{"text":"x","idempotencyKey":"k"} {}`), 400, "bad_request"},
		{"trailing garbage", "POST", send, "application/json", []byte(`{"text":"x","idempotencyKey":"k"}x`), 400, "bad_request"},
		{"invalid UTF-8", "POST", send, "application/json", []byte("{\"text\":\"\xff\xfe\",\"idempotencyKey\":\"k\"}"), 400, "bad_request"},
		{"malformed JSON", "POST", send, "application/json", []byte(`{"text":`), 400, "bad_request"},
		{"empty body", "POST", send, "application/json", nil, 400, "bad_request"},
		{"array body", "POST", send, "application/json; charset=utf-8", []byte(`[1]`), 400, "bad_request"},
		{"wrong field type", "POST", send, "application/json", []byte(`{"text":1,"idempotencyKey":"k"}`), 400, "bad_request"},
		{"malformed multipart", "POST", "/attachments", "multipart/form-data", []byte("x"), 400, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := e.request(c.method, c.path, agent1, nil)
			req.Body = io.NopCloser(bytes.NewReader(c.body))
			req.ContentLength = int64(len(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			d := e.do(req).requireError(t, c.status, c.code)
			assert.NotContains(t, d.Message, "boss", "the body is never echoed")
		})
	}
	// None of these sent anything.
	assert.Equal(t, e.convA.LastSeq+1, e.reload(e.convA).LastSeq, "only the claim entry was added")
}

func TestUploadLimits(t *testing.T) {
	e := newEnv(t) // MaxUploadBytes is 64 KiB in tests
	t.Run("declared length over the limit", func(t *testing.T) {
		e.do(e.uploadRequest(agent1, "file", "big.png", pngBytes(200<<10))).requireError(t, http.StatusRequestEntityTooLarge, "too_large")
	})
	t.Run("streamed body over the limit", func(t *testing.T) {
		req := e.uploadRequest(agent1, "file", "big.png", pngBytes(64<<10+1))
		req.ContentLength = -1 // chunked: only the stream tells the size
		req.Body = io.NopCloser(req.Body)
		e.do(req).requireError(t, http.StatusRequestEntityTooLarge, "too_large")
	})
	t.Run("exactly the limit", func(t *testing.T) {
		a := e.upload(agent1, "ok.png", pngBytes(64<<10))
		assert.Equal(t, int64(64<<10), a.Size)
	})
	t.Run("no file field", func(t *testing.T) {
		d := e.do(e.uploadRequest(agent1, "other", "x.png", pngBytes(10))).requireError(t, http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, d.Fields, "file")
	})
	t.Run("empty file", func(t *testing.T) {
		d := e.do(e.uploadRequest(agent1, "file", "x.png", nil)).requireError(t, http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, d.Fields, "file")
	})
	// Refused uploads leave no blob behind: only "ok.png" is stored.
	var files []string
	require.NoError(t, filepath.Walk(e.blobs.(oc.DirBlobStore).Dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, filepath.Base(p))
		}
		return err
	}))
	require.Len(t, files, 1)
	assert.True(t, strings.HasSuffix(files[0], "ok.png"))
}
