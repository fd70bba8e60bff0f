// Command inbox is the example web inbox of dakenh: every feature of the product in a browser, on the
// embedded SQLite store, in one command.
//
//	go run ./examples/inbox
//
// It listens on 127.0.0.1:8080 (-addr), keeps its database and attachments under ./data (-data,
// -db, or -postgres for PostgreSQL), and prints the URL and how to sign in. Without provider
// credentials it runs in demo mode: the Zalo OA and TikTok emulators run in process and the page
// /sim lets you write as a customer. With credentials (flags or DAKENH_* environment variables, see
// -help) it talks to the real providers.
//
// The pages are plain HTML, CSS and JavaScript modules embedded in the binary (no CDN, no build
// step). They call the agent API (package inboxapi) mounted at /api and receive live updates over
// Server-Sent Events. Customer text is only ever inserted with textContent, and a strict
// Content-Security-Policy forbids inline scripts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "inbox:", err)
		os.Exit(1)
	}
}

// run parses the options, starts the app and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	if o.AddUser.ID != "" {
		return addUser(ctx, o, os.Stdin, stdout)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	return serve(ctx, o, ln, stdout, stderr)
}

// serve runs the app on ln until ctx ends, printing the URL and the login hint to stdout.
func serve(ctx context.Context, o Options, ln net.Listener, stdout, logOut io.Writer) error {
	defer ln.Close()
	self := "http://" + ln.Addr().String()
	app, err := newApp(ctx, o, self, logOut)
	if err != nil {
		return err
	}
	defer app.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		_ = app.Run(ctx)
	}()
	var unused unusedConns
	srv := newHTTPServer(app.Handler(), o.Timeouts, unused.track)
	srv.RegisterOnShutdown(app.CloseStreams) // open event streams end, so Shutdown does not wait for them
	url := self
	fmt.Fprintf(stdout, "dakenh inbox on %s (store: %s, %s)\n", url, app.storeName, modeName(o))
	if o.Demo() {
		fmt.Fprintf(stdout, "sign in at %s/login as any listed user with the password %q\n", app.publicURL, DemoPassword)
		fmt.Fprintf(stdout, "play the customer at %s/sim\n", app.publicURL)
	} else {
		fmt.Fprintf(stdout, "sign in at %s/login (%s)\n", app.publicURL, app.accountsNote)
		fmt.Fprintf(stdout, "provider webhooks: %s/webhooks/{zalo,tiktok,messenger,instagram}; OAuth redirects: %s/api/connect/callback/{zalo,tiktok,messenger,instagram}\n",
			app.publicURL, app.publicURL)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if err := app.SeedConversations(ctx); err != nil {
		app.log.Warn("seeding the demo conversations", "err", err)
	}
	select {
	case err := <-errc:
		cancel()
		<-workerDone
		return err
	case <-ctx.Done():
	}
	// Stop accepting, wait for Serve to return (every accepted connection is then tracked), close
	// the connections that never sent a request, and let the requests in flight finish.
	ln.Close()
	<-errc
	unused.closeAll()
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	err = srv.Shutdown(shutdown)
	<-workerDone
	return err
}

func modeName(o Options) string {
	if o.Demo() {
		return "demo mode: Zalo OA and TikTok emulators in process"
	}
	return "real providers"
}

// addUser creates the account of o.AddUser (-add-user), the password read from the first line of
// in, and exits: run it with the same storage options (or environment) as the server.
func addUser(ctx context.Context, o Options, in io.Reader, stdout io.Writer) error {
	password, err := readPassword(in)
	if err != nil {
		return err
	}
	n := o.AddUser
	n.Password = password
	if err := errors.Join(n.problems(true)...); err != nil {
		return err
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	store, _, err := openStore(ctx, o)
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	defer closeStore(store)
	if _, err := seedWorkspace(ctx, store, false); err != nil { // the teams, for -user-teams
		return err
	}
	if err := createAccount(ctx, store, newAccounts(o.DataDir), n); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %q (%s) saved in %s\n", n.ID, n.Role, filepath.Join(o.DataDir, accountsFile))
	return nil
}
