package omnichannel

import (
	"encoding/json"
	"errors"
	"net/http"
)

// HealthStatus is the JSON body of the health handlers: "ok", or "unavailable" with the Reason (a
// Health* code). It never carries an error's text.
type HealthStatus struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// LivenessHandler answers Alive as HTTP, for a host to mount at e.g. /healthz: 200 {"status":"ok"},
// or 503 {"status":"unavailable","reason":"workers_stuck"} when the process should be restarted.
func (e *Engine) LivenessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.writeHealth(w, e.Alive())
	})
}

// ReadinessHandler answers Ready as HTTP, for a host to mount at e.g. /readyz: 200
// {"status":"ok"}, or 503 with the reason (store_unreachable, migrations_pending, workers_stopped,
// workers_stuck) while the process should get no traffic. The cause is logged, never answered.
func (e *Engine) ReadinessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.writeHealth(w, e.Ready(r.Context()))
	})
}

func (e *Engine) writeHealth(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err == nil {
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(HealthStatus{Status: "ok"})
		return
	}
	reason := HealthStoreUnreachable
	var he *HealthError
	if errors.As(err, &he) {
		reason = he.Code
	}
	e.log.Warn("dakenh: health check failed", "reason", reason, "err", err)
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(HealthStatus{Status: "unavailable", Reason: reason})
}
