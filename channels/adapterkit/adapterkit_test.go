package adapterkit_test

import (
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/adapterkit"
	"github.com/dakenh/dakenh/model"
)

func TestDefaults(t *testing.T) {
	c := adapterkit.HTTPClient(nil)
	assert.Equal(t, adapterkit.DefaultTimeout, c.Timeout, "a provider call never waits forever")
	own := &http.Client{}
	assert.Same(t, own, adapterkit.HTTPClient(own))
	assert.Same(t, slog.Default(), adapterkit.Logger(nil))
	l := slog.New(slog.DiscardHandler)
	assert.Same(t, l, adapterkit.Logger(l))
}

func TestPerMinuteNeverExceedsTheMinute(t *testing.T) {
	l := adapterkit.PerMinute(600)
	now := time.Unix(0, 0)
	// Every call reserved one after another: the 601st may start only after a whole minute.
	var last time.Duration
	for range 601 {
		last = l.ReserveN(now, 1).DelayFrom(now)
	}
	assert.GreaterOrEqual(t, last, time.Minute)
	assert.Equal(t, 10, l.Burst())
}

func TestPerSecond(t *testing.T) {
	l := adapterkit.PerSecond(10)
	now := time.Unix(0, 0)
	for range 10 {
		assert.Zero(t, l.ReserveN(now, 1).DelayFrom(now), "a burst of 10 passes at once")
	}
	assert.Equal(t, 100*time.Millisecond, l.ReserveN(now, 1).DelayFrom(now))
	off := adapterkit.PerSecond(-1)
	for range 1000 {
		require.Zero(t, off.ReserveN(now, 1).DelayFrom(now), "a negative rate never waits")
	}
	assert.Zero(t, adapterkit.PerMinute(0).ReserveN(now, 1).DelayFrom(now))
}

func TestConfigHelpers(t *testing.T) {
	p := model.ConfigProblems{Source: "vendor"}
	adapterkit.Required(&p, "AppID", " ", "Secret", "x")
	assert.Equal(t, "https://api.example/v2", adapterkit.BaseURL(&p, "APIBaseURL", "", "https://api.example/v2/"))
	assert.Empty(t, adapterkit.BaseURL(&p, "A", "https://user:pw@api.example", ""))
	assert.Empty(t, adapterkit.BaseURL(&p, "B", "https://api.example/?token=pw", ""))
	assert.Empty(t, adapterkit.BaseURL(&p, "C", "file:///etc", ""))
	err := p.Err()
	require.ErrorIs(t, err, model.ErrInvalid)
	var ve *model.ValidationError
	require.True(t, errors.As(err, &ve))
	var fields []string
	for _, d := range ve.Details {
		fields = append(fields, d.Field)
	}
	assert.Equal(t, []string{"AppID", "A", "B", "C"}, fields)
	assert.Equal(t, model.ProblemRequired, ve.Details[0].Code)
	assert.NotContains(t, err.Error(), "pw", "a URL may carry a credential by mistake: it is never quoted")
	assert.Contains(t, err.Error(), "vendor: Config.AppID is required")
}
