package adapterkit

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"
)

// DefaultTimeout bounds each provider call of an adapter whose Config.HTTPClient is nil.
const DefaultTimeout = 30 * time.Second

// HTTPClient returns c, or, when c is nil, a new client with DefaultTimeout.
func HTTPClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// Logger returns l, or slog.Default() when l is nil.
func Logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}

// Resty returns a resty client over c that never logs (its messages may quote requests and
// tokens), never retries by itself and reads at most maxResponseBytes of an answer.
func Resty(c *http.Client, maxResponseBytes int) *resty.Client {
	return resty.NewWithClient(c).
		SetRetryCount(0).
		SetLogger(silent{}).
		SetDisableWarn(true).
		SetResponseBodyLimit(maxResponseBytes)
}

type silent struct{}

func (silent) Errorf(string, ...any) {}
func (silent) Warnf(string, ...any)  {}
func (silent) Debugf(string, ...any) {}

// PerMinute returns a token bucket that never lets more than n calls through in any 60-second
// window: a burst of n/60 (at least 1) and a refill of the rest over the minute. n <= 0 returns a
// limiter that never waits.
func PerMinute(n int) *rate.Limiter {
	if n <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	burst := max(n/60, 1)
	refill := max(n-burst, 1)
	return rate.NewLimiter(rate.Limit(float64(refill)/60), burst)
}

// PerSecond returns a token bucket of n calls a second with a burst of n. n <= 0 returns a limiter
// that never waits.
func PerSecond(n int) *rate.Limiter {
	if n <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(n), n)
}
