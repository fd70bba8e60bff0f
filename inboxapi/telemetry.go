package inboxapi

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// streamMetrics are the event-stream instruments (Config.MeterProvider).
type streamMetrics struct {
	clients metric.Int64UpDownCounter
	refusal metric.Int64Counter
}

func newStreamMetrics(mp metric.MeterProvider) (streamMetrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter("github.com/dakenh/dakenh/inboxapi")
	clients, err1 := m.Int64UpDownCounter("dakenh.event_stream.clients",
		metric.WithDescription("Open event streams (GET /events)."), metric.WithUnit("{stream}"))
	refusal, err2 := m.Int64Counter("dakenh.event_stream.refused",
		metric.WithDescription("Event streams refused, by reason (too_many_streams, shutting_down)."), metric.WithUnit("{stream}"))
	return streamMetrics{clients: clients, refusal: refusal}, errors.Join(err1, err2)
}

// refused counts a stream the API did not open.
func (s streamMetrics) refused(ctx context.Context, reason string) {
	s.refusal.Add(ctx, 1, metric.WithAttributes(attribute.String("dakenh.reason", reason)))
}
