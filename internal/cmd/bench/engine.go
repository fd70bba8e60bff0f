package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// discardLogger drops logs: the engine logs nothing per message at Info, but a failing run should
// not flood the table.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// providers are the Zalo OA and TikTok emulators whose secrets sign the webhooks, and the real
// adapters, configured with the same secrets, that verify and parse them.
type providers struct {
	zalo     *zalotest.Server
	tiktok   *tiktoktest.Server
	channels []omnichannel.Channel
}

func newProviders() (*providers, error) {
	p := &providers{zalo: zalotest.New(zalotest.Options{}), tiktok: tiktoktest.New(tiktoktest.Options{NoReplyLimits: true})}
	zc := p.zalo.Config()
	zc.Logger = discardLogger
	za, err := zalooa.New(zc)
	if err != nil {
		p.Close()
		return nil, err
	}
	tc := p.tiktok.Config()
	tc.Logger = discardLogger
	ta, err := tiktok.New(tc)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.channels = []omnichannel.Channel{za, ta}
	return p, nil
}

// Close stops the emulators.
func (p *providers) Close() {
	p.zalo.Close()
	p.tiktok.Close()
}

// newEngine returns an Engine over st with both adapters and the standard router. Its worker is
// not started: the scenarios measure the request paths, not the outbox.
func newEngine(st omnichannel.Store, p *providers, blobDir string) (*omnichannel.Engine, error) {
	router, err := routing.New(routing.Config{})
	if err != nil {
		return nil, err
	}
	return omnichannel.New(omnichannel.Config{Store: st, Channels: p.channels, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: blobDir}, Logger: discardLogger})
}

// scenarioEnv is what a timed scenario runs on: a fresh store, both provider emulators and an
// Engine over them.
type scenarioEnv struct {
	st  omnichannel.Store
	p   *providers
	eng *omnichannel.Engine
}

// openScenario opens a fresh store of kind for the named scenario, the emulators and an Engine;
// close releases them all (call it also when err is nil only).
func openScenario(ctx context.Context, o Options, kind, name string) (env scenarioEnv, closeAll func(), err error) {
	var undo []func()
	closeAll = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	st, closeStore, err := openFresh(ctx, o, kind, name)
	if err != nil {
		return env, nil, err
	}
	undo = append(undo, closeStore)
	p, err := newProviders()
	if err != nil {
		return env, nil, err
	}
	undo = append(undo, p.Close)
	blobs, rmBlobs, err := tempBlobDir()
	if err != nil {
		return env, nil, err
	}
	undo = append(undo, rmBlobs)
	eng, err := newEngine(st, p, blobs)
	if err != nil {
		return env, nil, err
	}
	return scenarioEnv{st: st, p: p, eng: eng}, closeAll, nil
}

// tempBlobDir is a directory for the engine's blobs (none are written by the scenarios).
func tempBlobDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "dakenh-bench-blobs-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Clean(dir), func() { os.RemoveAll(dir) }, nil
}

// workspace is a scenario's workspace: its users and the two emulated connections.
type workspace struct {
	id       string
	agents   []string
	zaloConn *omnichannel.Connection
	ttConn   *omnichannel.Connection
	ruleID   string
}

const benchSupervisor = "boss"

// setupWorkspace stores a supervisor and agents, connects both emulated accounts (shared with
// every agent) and puts them on one rule of method over ruleAgents (all agents when nil).
func setupWorkspace(ctx context.Context, eng *omnichannel.Engine, p *providers, id string, agents int,
	method omnichannel.AssignMethod, ruleAgents []string) (*workspace, error) {
	w := &workspace{id: id}
	for i := range agents {
		w.agents = append(w.agents, fmt.Sprintf("agent-%04d", i))
	}
	if ruleAgents == nil {
		ruleAgents = w.agents
	}
	now := time.Now()
	err := eng.Store().Update(ctx, func(tx omnichannel.Tx) error {
		if err := tx.PutUser(&omnichannel.User{WorkspaceID: id, ID: benchSupervisor, Name: "Chị Quản Lý",
			Role: omnichannel.RoleSupervisor, Active: true, CreatedAt: now}); err != nil {
			return err
		}
		for _, a := range w.agents {
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: id, ID: a, Name: "Nhân viên " + a,
				Role: omnichannel.RoleAgent, Active: true, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range []*omnichannel.Connection{p.zalo.Connection(), p.tiktok.Connection()} {
		c.WorkspaceID, c.Permission = id, omnichannel.PermissionShared
		conn, err := eng.AddConnection(ctx, benchSupervisor, *c)
		if err != nil {
			return nil, err
		}
		if conn.Kind == zalooa.Kind {
			w.zaloConn = conn
		} else {
			w.ttConn = conn
		}
	}
	rule, err := eng.SaveRule(ctx, benchSupervisor, omnichannel.Rule{WorkspaceID: id, Name: "Bench " + string(method),
		SourceIDs: []string{w.zaloConn.ID, w.ttConn.ID}, UserIDs: ruleAgents, Method: method})
	if err != nil {
		return nil, err
	}
	w.ruleID = rule.ID
	return w, nil
}

// webhook is one signed delivery as the provider sends it.
type webhook struct {
	path      string // "/webhooks/zalo" or "/webhooks/tiktok"
	body      []byte
	sigHeader string
	signature string
	// id is the provider message id prefixed with the channel ("z:…" or "t:…").
	id string
}

// message builds a customer's text message on channel n%2 (Zalo user_send_text or TikTok
// im_receive_msg) from user with provider message id msgID, signed now.
func (p *providers) message(zalo bool, user, msgID, text string) webhook {
	if zalo {
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		body := p.zalo.Build(zalotest.Event{EventName: "user_send_text", UserIDByApp: "app-" + user, Timestamp: ts,
			Sender: &zalotest.Party{ID: user}, Recipient: &zalotest.Party{ID: p.zalo.OAID()},
			Message: &zalotest.EventMessage{MsgID: msgID, Text: text}})
		return webhook{path: "/webhooks/" + string(zalooa.Kind), body: body, sigHeader: zalooa.SignatureHeader,
			signature: "mac=" + zalooa.Signature(p.zalo.AppID(), body, ts, p.zalo.OASecretKey()), id: "z:" + msgID}
	}
	now := time.Now()
	content := map[string]any{
		"conversation_id": "0:1+" + base64.StdEncoding.EncodeToString([]byte("tt:"+user)),
		"message_id":      msgID, "timestamp": now.UnixMilli(), "from": "Khách " + user, "to": "shophoamai",
		"from_user":   map[string]any{"id": user, "role": "personal_account"},
		"to_user":     map[string]any{"id": p.tiktok.BusinessID(), "role": "business_account"},
		"is_follower": true, "message_tag": map[string]any{"source": "APP"},
		"type": "text", "text": map[string]any{"body": text},
	}
	body := p.tiktok.WebhookBody("im_receive_msg", content)
	return webhook{path: "/webhooks/" + string(tiktok.Kind), body: body, sigHeader: tiktoktest.SignatureHeader,
		signature: tiktoktest.SignWith(p.tiktok.ClientSecret(), body, now), id: "t:" + msgID}
}

// providerID splits a webhook id into the connection of ws it arrived on and the provider id.
func (w *workspace) providerID(id string) (connID, msgID string) {
	if id[0] == 'z' {
		return w.zaloConn.ID, id[2:]
	}
	return w.ttConn.ID, id[2:]
}

// analyzer is a store that can refresh its planner statistics (postgres.Store.Analyze).
type analyzer interface {
	Analyze(ctx context.Context) error
}

// settle gives the store's planner the statistics of the tables a scenario just filled, as
// autovacuum does within a minute on a live database, so that a timed phase measures the plans of
// a running inbox rather than those cached on never-analyzed tables. Stores without planner
// statistics are left alone.
func settle(ctx context.Context, st omnichannel.Store) error {
	if a, ok := st.(analyzer); ok {
		return a.Analyze(ctx)
	}
	return nil
}
