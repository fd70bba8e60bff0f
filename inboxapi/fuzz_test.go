package inboxapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// FuzzListFilters: any query string of GET /conversations and /conversations/unread-count, for a
// supervisor or an agent, answers 200 with the user's own workspace's conversations only, or 422
// "invalid" naming the fields — never a server error — on a real SQLite store, where search text and
// ids reach SQL.
func FuzzListFilters(f *testing.F) {
	s := newSQLiteAPI(f)
	cursor := oc.EncodeCursor(oc.Cursor{ConversationID: s.convA[0]})
	for _, q := range []string{
		"", "status=open", "status=open,done&read=unread", "status=closed", "read=maybe", "assignee=me", "assignee=unassigned,a1",
		"channel=fake,zalo,tiktok", "awaiting=1", "awaiting=yes", "limit=0", "limit=201", "limit=-1", "limit=99999999999999999999",
		"q=Robert'); DROP TABLE conversations;--", "q=%25", "q=_", "q=%5C", "q=0912 345", "q=%FF%FE", "q=" + strings.Repeat("a", 201),
		"q=<script>", "q=bí mật", "q=0987654321", "connection=" + s.convB, "team=x&category=y&classification=z",
		"cursor=" + cursor, "cursor=not-a-cursor", "cursor=%00", "q=%00", "status=open&status=done", "q=' OR '1'='1",
		"assignee=' OR 1=1 --", "category=%27%29%3B", "limit=5&cursor=" + cursor + "&q=a",
	} {
		f.Add(q, true)
	}
	f.Fuzz(func(t *testing.T, rawQuery string, supervisor bool) {
		user := agent1
		if supervisor {
			user = supA
		}
		if strings.ContainsAny(rawQuery, " #\r\n\t") || !validQuery(rawQuery) {
			rawQuery = url.PathEscape(rawQuery)
		}
		for _, path := range []string{"/conversations", "/conversations/unread-count"} {
			rec := s.get(path+"?"+rawQuery, user)
			checkRecorded(t, http.MethodGet, path, rec)
			body := rec.Body.String()
			switch rec.Code {
			case http.StatusOK:
			case http.StatusUnprocessableEntity:
				var e inboxapi.ErrorResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != "invalid" || len(e.Error.Fields) == 0 {
					t.Fatalf("GET %s?%s: 422 without fields: %s", path, rawQuery, body)
				}
				continue
			default:
				t.Fatalf("GET %s?%s answered %d: %s", path, rawQuery, rec.Code, body)
			}
			if strings.Contains(body, s.convB) || strings.Contains(body, bName) {
				t.Fatalf("GET %s?%s showed workspace B: %s", path, rawQuery, body)
			}
			if path != "/conversations" {
				continue
			}
			var l inboxapi.ConversationList
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				t.Fatalf("GET %s?%s: %v: %s", path, rawQuery, err, body)
			}
			for _, c := range l.Items {
				if !slices.Contains(s.convA, c.ID) {
					t.Fatalf("GET %s?%s listed unknown conversation %s", path, rawQuery, c.ID)
				}
			}
		}
	})
}

// validQuery reports whether s can be sent as the query of a request line and parses as a URL
// query (the fuzzer's other strings are escaped first).
func validQuery(s string) bool {
	if _, err := url.Parse("http://inbox.test/conversations?" + s); err != nil {
		return false
	}
	_, err := url.ParseQuery(s)
	return err == nil
}
