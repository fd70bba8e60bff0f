package postgres_test

import (
	"context"
	"log"
	"os"
	"os/signal"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/postgres"
)

// Each engine process of a deployment runs this with the same URL and Schema: the processes share
// conversations, the outbox, round-robin positions, token refreshes and events through the database.
func Example() {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return // nothing to connect to
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	store, err := postgres.Open(ctx, postgres.Config{URL: url, Schema: "dakenh"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	adapter, err := fakechannel.New(fakechannel.Config{Secret: os.Getenv("FAKE_WEBHOOK_SECRET"), BaseURL: "http://127.0.0.1:8081"})
	if err != nil {
		log.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		log.Fatal(err)
	}
	engine, err := omnichannel.New(omnichannel.Config{Store: store, Channels: []omnichannel.Channel{adapter}, Router: router})
	if err != nil {
		log.Fatal(err)
	}
	// Run sends queued replies (each exactly once across all processes) and relays the events of the
	// other processes to this one's subscribers until ctx ends.
	if err := engine.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
