package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// maxUploadBytes caps an agent's or a simulated customer's attachment.
const maxUploadBytes = 10 << 20

// App is the example inbox: the engine on the chosen store, its channels (emulated in demo mode),
// the agent API, the web pages and the customer simulator.
type App struct {
	opts      Options
	engine    *omnichannel.Engine
	store     omnichannel.Store
	storeName string
	log       *slog.Logger
	sessions  *sessions
	emulators map[omnichannel.Kind]emulator
	handler   http.Handler
	// firstRun is true when this start seeded an empty workspace.
	firstRun bool
	// selfURL is the app's own base URL on loopback, where the emulators post webhooks.
	selfURL string
}

// newApp opens the store, builds the engine and seeds the workspace. Close it when done.
func newApp(ctx context.Context, o Options, selfURL string, logOut io.Writer) (_ *App, err error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	level := slog.LevelInfo
	if o.Quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	a := &App{opts: o, log: logger, emulators: map[omnichannel.Kind]emulator{}, selfURL: strings.TrimSuffix(selfURL, "/")}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.store, a.storeName, err = openStore(ctx, o); err != nil {
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	chans, emus, err := buildChannels(o)
	for _, e := range emus {
		a.emulators[e.Kind()] = e
	}
	if err != nil {
		return nil, err
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		return nil, err
	}
	crm := newDemoCRM(time.Now())
	a.engine, err = omnichannel.New(omnichannel.Config{
		Store: a.store, Channels: chans, Router: router,
		Blobs:     omnichannel.DirBlobStore{Dir: filepath.Join(o.DataDir, "blobs")},
		Directory: crm, Interactions: crm, Logger: logger,
		MaxAttachmentBytes: maxUploadBytes,
		JobLease:           o.JobLease,
	})
	if err != nil {
		return nil, err
	}
	if a.firstRun, err = seedWorkspace(ctx, a.store); err != nil {
		return nil, err
	}
	if o.Demo() {
		if _, err := connectEmulators(ctx, a.engine, emus, a.firstRun); err != nil {
			return nil, err
		}
	}
	a.sessions = newSessions(a.store)
	api, err := newAPI(a.engine, a.sessions, logger, apiPublicURL(o))
	if err != nil {
		return nil, err
	}
	a.handler = a.routes(api)
	return a, nil
}

// Handler returns the app's HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Run runs the engine's worker (sends, retries, media copies) until ctx ends.
func (a *App) Run(ctx context.Context) error { return a.engine.Run(ctx) }

// Close stops the emulators and closes the store.
func (a *App) Close() {
	for _, e := range a.emulators {
		e.Close()
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn("closing the store", "err", err)
		}
	}
}

// SeedConversations makes the demo customers write their first messages, on the first run in demo
// mode only. The HTTP server must be serving: the emulators post real webhooks to it.
func (a *App) SeedConversations(ctx context.Context) error {
	if !a.firstRun || !a.opts.Demo() {
		return nil
	}
	for _, s := range seedConversations {
		if err := a.customerWrites(ctx, s.kind, s.msg); err != nil {
			return fmt.Errorf("seeding a conversation: %w", err)
		}
	}
	return nil
}

// webhookURL is where the emulator of kind posts its webhooks.
func (a *App) webhookURL(kind omnichannel.Kind) string {
	return a.selfURL + "/webhooks/" + string(kind)
}

// customerWrites delivers a simulated customer's message as the provider does: a signed webhook
// posted by the emulator to the app's webhook endpoint.
func (a *App) customerWrites(ctx context.Context, kind omnichannel.Kind, m customerMessage) error {
	emu := a.emulators[kind]
	if emu == nil {
		return fmt.Errorf("%w: no emulator for channel %q", omnichannel.ErrNotFound, kind)
	}
	return emu.CustomerWrites(ctx, a.webhookURL(kind), m)
}

// errNotDemo refuses simulator calls outside demo mode.
var errNotDemo = errors.New("the customer simulator needs demo mode")

// apiPublicURL is the API's absolute URL for OAuth redirects when the options name a public URL
// other than the listen address; "" lets the API derive it from each request.
func apiPublicURL(o Options) string {
	if o.PublicURL == "" || o.PublicURL == "http://"+o.Addr {
		return ""
	}
	return strings.TrimSuffix(o.PublicURL, "/") + apiPrefix
}
