package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// maxUploadBytes caps an agent's or a simulated customer's attachment.
const maxUploadBytes = 10 << 20

// App is the example inbox: the engine on the chosen store, its channels (emulated in demo mode),
// the agent API, the web pages and the customer simulator.
type App struct {
	tel       *telemetry
	api       *inboxapi.Handler
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
	// publicURL is the base URL browsers and providers reach: -public-url, or selfURL in demo
	// mode without it. Its origin is the only one allowed to make unsafe requests.
	publicURL string
	// accounts holds the password hashes of the real accounts (not used in demo mode).
	accounts *accounts
	// guard refuses cross-site requests on the login routes (the API has its own).
	guard *inboxapi.CrossSiteGuard
	// sim are the customer simulator's sessions (demo mode).
	sim *simSessions
	// accountsNote is the start-up line about the accounts (outside demo mode).
	accountsNote string
	// seeded is closed once the demo conversations are seeded, or at once when there are none to
	// seed; seededOnce closes it.
	seeded     chan struct{}
	seededOnce sync.Once
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
	a := &App{opts: o, log: logger, emulators: map[omnichannel.Kind]emulator{}, selfURL: strings.TrimSuffix(selfURL, "/"),
		accounts: newAccounts(o.DataDir)}
	a.publicURL = strings.TrimSuffix(cmp.Or(o.PublicURL, a.selfURL), "/")
	now := o.clock
	if now == nil {
		now = time.Now
	}
	if a.guard, err = inboxapi.NewCrossSiteGuard(a.publicURL); err != nil {
		return nil, err
	}
	a.sim = newSimSessions(now, strings.HasPrefix(a.publicURL, "https://"))
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
	if a.tel, err = newTelemetry(o.OTelStdout, os.Stdout, cmp.Or(o.OTelInterval, 30*time.Second)); err != nil {
		return nil, err
	}
	a.engine, err = omnichannel.New(omnichannel.Config{
		TracerProvider: a.tel.tracer, MeterProvider: a.tel.meter,
		Store: a.store, Channels: chans, Router: router,
		Blobs:     omnichannel.DirBlobStore{Dir: filepath.Join(o.DataDir, "blobs")},
		Directory: crm, Interactions: crm, Logger: logger,
		MaxAttachmentBytes: maxUploadBytes,
		JobLease:           o.JobLease,
	})
	if err != nil {
		return nil, err
	}
	if a.firstRun, err = seedWorkspace(ctx, a.store, o.Demo()); err != nil {
		return nil, err
	}
	if !o.Demo() {
		if a.accountsNote, err = a.firstSupervisor(ctx); err != nil {
			return nil, err
		}
	}
	if o.Demo() {
		if _, err := connectEmulators(ctx, a.engine, emus, a.firstRun); err != nil {
			return nil, err
		}
	}
	a.sessions = newSessions(a.store, now, o.Demo(), a.accounts, strings.HasPrefix(a.publicURL, "https://"))
	api, err := newAPI(a.engine, a.sessions, logger, a.publicURL+apiPrefix, a.tel.meter)
	if err != nil {
		return nil, err
	}
	a.api = api
	a.handler = a.routes(api)
	a.seeded = make(chan struct{})
	if !a.firstRun || !o.Demo() {
		a.seededOnce.Do(func() { close(a.seeded) })
	}
	return a, nil
}

// CloseStreams ends the agents' open event streams (inboxapi.Handler.CloseStreams), so that the
// HTTP server's Shutdown returns promptly: main registers it with RegisterOnShutdown.
func (a *App) CloseStreams() { a.api.CloseStreams() }

// Handler returns the app's HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Run runs the engine's worker (sends, retries, media copies) until ctx ends.
//
// On the first run in demo mode the worker starts once SeedConversations has returned: the new
// connections' first history syncs (jobs) would otherwise race the seed's webhooks, importing some
// demo customers as old conversations and taking round-robin turns in an order that depended on the
// machine's load, so which agent got which demo customer changed from run to run.
func (a *App) Run(ctx context.Context) error {
	select {
	case <-a.seeded:
	case <-ctx.Done():
		return ctx.Err()
	}
	return a.engine.Run(ctx)
}

// Close stops the emulators, flushes the telemetry and closes the store.
func (a *App) Close() {
	if a.tel != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.tel.shutdown(ctx); err != nil {
			a.log.Warn("flushing telemetry", "err", err)
		}
		cancel()
	}
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
	defer a.seededOnce.Do(func() { close(a.seeded) })
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

// firstSupervisor creates the first supervisor's account from o.Supervisor (the environment) when
// no account exists yet, and returns the start-up line about the accounts.
func (a *App) firstSupervisor(ctx context.Context) (string, error) {
	n, err := a.accounts.count()
	if err != nil {
		return "", err
	}
	sup := a.opts.Supervisor
	switch {
	case n > 0 && sup.ID != "":
		return fmt.Sprintf("%d accounts; DAKENH_SUPERVISOR_* ignored (accounts exist): remove them from the environment", n), nil
	case n > 0:
		return fmt.Sprintf("%d accounts", n), nil
	case sup.ID == "":
		return "no account yet: restart with DAKENH_SUPERVISOR_ID and DAKENH_SUPERVISOR_PASSWORD set, or run -add-user ID -user-role supervisor (see README)", nil
	}
	if err := createAccount(ctx, a.store, a.accounts, sup); err != nil {
		return "", fmt.Errorf("creating the first supervisor from DAKENH_SUPERVISOR_*: %w", err)
	}
	return fmt.Sprintf("created the first supervisor %q from DAKENH_SUPERVISOR_*: sign in, then remove the password from the environment", sup.ID), nil
}
