package main

import (
	"context"
	"errors"
	"io"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// telemetry holds the OpenTelemetry providers the engine and the API report to: none (the
// engine's no-op default) unless -otel-stdout asks for spans and metrics as JSON on standard
// output, which shows what a host would send to its own collector.
type telemetry struct {
	tracer   trace.TracerProvider
	meter    metric.MeterProvider
	shutdown func(context.Context) error
}

// newTelemetry returns the providers: stdout exporters when enabled (metrics every interval),
// nil providers otherwise.
func newTelemetry(enabled bool, out io.Writer, interval time.Duration) (*telemetry, error) {
	if !enabled {
		return &telemetry{shutdown: func(context.Context) error { return nil }}, nil
	}
	spans, err := stdouttrace.New(stdouttrace.WithWriter(out))
	if err != nil {
		return nil, err
	}
	metrics, err := stdoutmetric.New(stdoutmetric.WithWriter(out))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics, sdkmetric.WithInterval(interval))))
	return &telemetry{tracer: tp, meter: mp, shutdown: func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}}, nil
}
