package main

import (
	"log/slog"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
	"go.opentelemetry.io/otel/metric"
)

// apiPrefix is where the agent API is mounted.
const apiPrefix = "/api"

// newAPI builds the agent HTTP API the web pages call (package inboxapi), authenticated by the
// session cookie. After a provider consent the browser comes back to "/" with ?connected=<id>.
func newAPI(engine *omnichannel.Engine, auth *sessions, logger *slog.Logger, publicURL string, meter metric.MeterProvider) (*inboxapi.Handler, error) {
	return inboxapi.New(inboxapi.Config{
		Engine: engine, Auth: auth, Logger: logger, MeterProvider: meter,
		MaxUploadBytes: maxUploadBytes,
		AfterConnect:   "/",
		PublicURL:      publicURL,
	})
}
