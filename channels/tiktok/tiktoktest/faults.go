package tiktoktest

import (
	"net/http"
	"strings"
	"time"
)

// Fault is a failure the emulator can answer instead of the real call.
type Fault int

// Faults, answered the way TikTok does.
const (
	// FaultThrottled answers HTTP 200 with code 40100 (rate limited).
	FaultThrottled Fault = iota + 1
	// FaultTokenExpired answers code 40105 (access token invalid or expired).
	FaultTokenExpired
	// FaultWindowClosed answers code 40064 (blocked by DM rules, the reply window or the quota).
	FaultWindowClosed
	// FaultServerError answers HTTP 503 with code 51065 (system error).
	FaultServerError
	// FaultParamError answers code 40002 (parameter error).
	FaultParamError
	// FaultTimeout holds the answer until the caller gives up (its request ends), at most
	// TimeoutHold, and changes nothing: a provider too slow to answer before the client's timeout.
	FaultTimeout
)

// TimeoutHold caps how long FaultTimeout holds a request whose caller never gives up; the emulator
// then answers HTTP 504 without acting on the call.
const TimeoutHold = 30 * time.Second

type pendingFault struct {
	fault Fault
	n     int
}

func (f pendingFault) write(w http.ResponseWriter, r *http.Request) {
	switch f.fault {
	case FaultTimeout:
		t := time.NewTimer(TimeoutHold)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	case FaultThrottled:
		writeCode(w, CodeThrottled, "Too many requests")
	case FaultTokenExpired:
		writeCode(w, CodeTokenInvalid, "Access token is invalid or has expired")
	case FaultWindowClosed:
		writeCode(w, CodeDMRules, "The message cannot be sent due to DM rules")
	case FaultServerError:
		writeEnvelope(w, http.StatusServiceUnavailable, CodeSystemError, "System error", map[string]any{})
	default:
		writeCode(w, CodeParamError, "Param error")
	}
}

// FailNext makes the next n calls of endpoint (EndpointSend, EndpointToken, …) answer fault
// instead of running. The failed calls are recorded but change nothing.
func (s *Server) FailNext(endpoint string, fault Fault, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[endpoint] = append(s.faults[endpoint], pendingFault{fault: fault, n: n})
}

func (s *Server) takeFaultLocked(path string) (pendingFault, bool) {
	for endpoint, list := range s.faults {
		if len(list) == 0 || strings.TrimSuffix(path, "/") != strings.TrimSuffix(endpoint, "/") {
			continue
		}
		f := list[0]
		list[0].n--
		if list[0].n <= 0 {
			list = list[1:]
		}
		s.faults[endpoint] = list
		return f, true
	}
	return pendingFault{}, false
}
