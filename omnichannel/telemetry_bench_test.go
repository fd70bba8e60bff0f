package omnichannel_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

// BenchmarkWebhookTelemetry measures one customer message through the webhook handler (verify,
// parse, store, route on the memory store) with the default no-op providers and with the SDK's
// providers recording every span and metric, and reports the ratio: the cost of turning
// observation on. Run: go test -run '^$' -bench WebhookTelemetry ./omnichannel
func BenchmarkWebhookTelemetry(b *testing.B) {
	var perOp [2]float64
	for i, mode := range []string{"noop", "sdk"} {
		b.Run(mode, func(b *testing.B) {
			prov := fakechannel.NewProvider("bench-secret")
			defer prov.Close()
			ch, err := fakechannel.New(fakechannel.Config{Secret: prov.Secret(), BaseURL: prov.URL(), HTTPClient: prov.Client()})
			if err != nil {
				b.Fatal(err)
			}
			router, _ := routing.New(routing.Config{})
			store := memory.New()
			cfg := oc.Config{Store: store, Channels: []oc.Channel{ch}, Router: router, Blobs: oc.DirBlobStore{Dir: b.TempDir()},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if mode == "sdk" {
				cfg.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
				cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			}
			eng, err := oc.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := store.Update(ctx, func(tx oc.Tx) error {
				return tx.PutUser(&oc.User{WorkspaceID: ws, ID: "sup", Name: "Sup", Role: oc.RoleSupervisor, Active: true})
			}); err != nil {
				b.Fatal(err)
			}
			c := prov.Connection()
			c.WorkspaceID = ws
			if _, err := eng.AddConnection(ctx, "sup", *c); err != nil {
				b.Fatal(err)
			}
			h := http.StripPrefix("/webhooks", eng.WebhookHandler())
			bodies := make([][]byte, b.N)
			for n := range bodies {
				bodies[n] = fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{{Type: "message",
					Direction: "in", UserID: fmt.Sprintf("u%d", n%500), UserName: "Khách", MessageID: fmt.Sprintf("m%d", n), Text: "Xin chào"}}}.JSON()
			}
			b.ResetTimer()
			start := time.Now()
			for n := 0; n < b.N; n++ {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, prov.SignedWebhook("http://127.0.0.1/webhooks/fake", bodies[n]))
				if rec.Code != http.StatusOK {
					b.Fatalf("webhook answered %d", rec.Code)
				}
			}
			perOp[i] = float64(time.Since(start).Nanoseconds()) / float64(b.N)
		})
	}
	if perOp[0] > 0 && perOp[1] > 0 {
		b.Logf("webhook ingest: no-op telemetry %.1f µs, SDK recording %.1f µs, ratio %.2f", perOp[0]/1e3, perOp[1]/1e3, perOp[1]/perOp[0])
	}
}
