package inboxapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/sqlite"
)

// hostileNames are customer display names that look like SQL, markup or LIKE patterns: they must be
// stored and returned as data.
var hostileNames = []string{
	"Robert'); DROP TABLE conversations;--",
	`<script>alert("x")</script>`,
	"100% _off_ \\ ' \" ;",
	"Nguyễn Văn An",
}

// sqliteAPI is the agent API over an engine on a SQLite file, without network: requests are
// served in process. Workspace A (supervisor "sup", agent "a1") has one conversation per
// hostileNames entry; workspace B (supervisor "supb") has one conversation, "Khách B bí mật".
type sqliteAPI struct {
	tb    testing.TB
	ctx   context.Context
	eng   *oc.Engine
	store *sqlite.Store
	prov  *fakechannel.Provider
	api   http.Handler
	hook  http.Handler
	dir   string
	// convA are workspace A's conversation ids; convB is workspace B's.
	convA []string
	convB string
}

// bName is the display name of workspace B's customer; it never appears in A's answers.
const bName = "Khách B bí mật"

func newSQLiteAPI(tb testing.TB) *sqliteAPI {
	tb.Helper()
	s := &sqliteAPI{tb: tb, ctx: context.Background(), prov: fakechannel.NewProvider("hook-secret-123"), dir: tb.TempDir()}
	tb.Cleanup(s.prov.Close)
	st, err := sqlite.Open(s.ctx, sqlite.Config{Path: filepath.Join(s.dir, "inbox.db")})
	if err != nil {
		tb.Fatal(err)
	}
	s.store = st
	tb.Cleanup(func() { st.Close() })
	ch, err := fakechannel.New(fakechannel.Config{Secret: s.prov.Secret(), BaseURL: s.prov.URL(), HTTPClient: s.prov.Client()})
	if err != nil {
		tb.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s.eng, err = oc.New(oc.Config{Store: st, Channels: []oc.Channel{ch}, Router: router, Logger: quiet,
		Blobs: oc.DirBlobStore{Dir: filepath.Join(s.dir, "blobs")}, RetryBaseDelay: time.Millisecond, RetryMaxDelay: time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	s.api, err = inboxapi.New(inboxapi.Config{Engine: s.eng, Auth: inboxapi.AuthenticatorFunc(headerAuth), Logger: quiet,
		MaxUploadBytes: 64 << 10})
	if err != nil {
		tb.Fatal(err)
	}
	s.hook = s.eng.WebhookHandler()
	s.seed()
	return s
}

func (s *sqliteAPI) seed() {
	tb := s.tb
	if err := s.store.Update(s.ctx, func(tx oc.Tx) error {
		for _, u := range []*oc.User{
			{WorkspaceID: wsA, ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor},
			{WorkspaceID: wsA, ID: "a1", Name: "Nguyễn Minh", Role: oc.RoleAgent},
			{WorkspaceID: wsB, ID: "supb", Name: "B Sup", Role: oc.RoleSupervisor},
		} {
			u.Active = true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	ca := s.prov.Connection()
	ca.WorkspaceID = wsA
	connA, err := s.eng.AddConnection(s.ctx, "sup", *ca)
	if err != nil {
		tb.Fatal(err)
	}
	cb := s.prov.Connection()
	cb.WorkspaceID, cb.ExternalID, cb.DisplayName = wsB, accountB, "B shop"
	connB, err := s.eng.AddConnection(s.ctx, "supb", *cb)
	if err != nil {
		tb.Fatal(err)
	}
	for i, name := range hostileNames {
		user := "cust-" + string(rune('a'+i))
		s.customerSays(fakechannel.AccountID, user, name, "m-"+user, name+" hỏi giá 0912 345 678")
		s.convA = append(s.convA, s.conversationOf(wsA, connA.ID, user))
	}
	s.customerSays(accountB, "cust-b", bName, "m-b", "B secret text 0987 654 321")
	s.convB = s.conversationOf(wsB, connB.ID, "cust-b")
}

// customerSays delivers one signed customer message; it must be acknowledged.
func (s *sqliteAPI) customerSays(account, user, name, msgID, text string) {
	s.tb.Helper()
	body := fakechannel.Webhook{AccountID: account, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: user, UserName: name, MessageID: msgID, Text: text}}}.JSON()
	rec := httptest.NewRecorder()
	s.hook.ServeHTTP(rec, s.prov.SignedWebhook("http://inbox.test/fake", body))
	if rec.Code != http.StatusOK {
		s.tb.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
}

func (s *sqliteAPI) conversationOf(ws, connID, user string) string {
	s.tb.Helper()
	var id string
	if err := s.store.View(s.ctx, func(tx oc.Tx) error {
		ident, err := tx.FindIdentity(ws, connID, user)
		if err != nil {
			return err
		}
		conv, err := tx.FindConversation(ws, connID, ident.ID)
		if err == nil {
			id = conv.ID
		}
		return err
	}); err != nil {
		s.tb.Fatal(err)
	}
	return id
}

// serve runs one API request in process: target is the path and query under the API's mount
// point, user a "workspace/user" value.
func (s *sqliteAPI) serve(method, target, user, contentType string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://inbox.test"+target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set(userHeader, user)
	req.Header.Set(inboxapi.CSRFHeader, "1")
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, req)
	if _, fuzz := s.tb.(*testing.F); !fuzz { // a fuzz target checks with its own t
		checkRecorded(s.tb, method, target, rec) // every answer must match the OpenAPI description
	}
	return rec
}

// get serves a GET with a JSON answer expected.
func (s *sqliteAPI) get(target, user string) *httptest.ResponseRecorder {
	return s.serve(http.MethodGet, target, user, "", nil)
}

// post serves a POST of a JSON body.
func (s *sqliteAPI) post(target, user, body string) *httptest.ResponseRecorder {
	return s.serve(http.MethodPost, target, user, "application/json", strings.NewReader(body))
}
