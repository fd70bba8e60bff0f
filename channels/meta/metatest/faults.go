package metatest

import (
	"net/http"
)

// Endpoints, for FailNext.
const (
	EndpointToken         = "oauth/access_token"
	EndpointAccounts      = "me/accounts"
	EndpointPage          = "page"
	EndpointSubscribe     = "subscribed_apps"
	EndpointSend          = "messages"
	EndpointUpload        = "message_attachments"
	EndpointProfile       = "profile"
	EndpointConversations = "conversations"
	EndpointThread        = "thread_messages"
)

// endpointOf names the endpoint of a request path (segments below the version).
func endpointOf(method string, seg []string) string {
	switch {
	case len(seg) == 2 && seg[0] == "oauth":
		return EndpointToken
	case len(seg) == 2 && seg[0] == "me" && seg[1] == "accounts":
		return EndpointAccounts
	case len(seg) == 2 && seg[1] == "messages" && method == http.MethodPost:
		return EndpointSend
	case len(seg) == 2 && seg[1] == "messages":
		return EndpointThread
	case len(seg) == 2:
		return seg[1]
	case len(seg) == 1:
		return EndpointPage // page fields or a profile: FailNext(EndpointPage) covers both
	}
	return ""
}

// Fault is a failure the emulator answers instead of the real call.
type Fault int

// Faults, answered with Meta's status and error object.
const (
	// FaultTokenExpired: HTTP 400, 190/463 (session expired).
	FaultTokenExpired Fault = iota + 1
	// FaultTokenInvalid: HTTP 400, 190/460 (password changed).
	FaultTokenInvalid
	// FaultOutsideWindow: HTTP 400, 10/2018278.
	FaultOutsideWindow
	// FaultUserUnavailable: HTTP 400, 551/1545041.
	FaultUserUnavailable
	// FaultNoMatchingUser: HTTP 400, 100/2018001.
	FaultNoMatchingUser
	// FaultDeadTag: HTTP 400, 100 (a retired message tag).
	FaultDeadTag
	// FaultAppLimit: HTTP 403, 4 (application request limit reached).
	FaultAppLimit
	// FaultRateLimit: HTTP 429, 613.
	FaultRateLimit
	// FaultTemporary: HTTP 500, 1200 (temporary send failure).
	FaultTemporary
	// FaultServerError: HTTP 500, 2 (service unavailable).
	FaultServerError
	// FaultPermission: HTTP 403, 10 (permission missing).
	FaultPermission
	// FaultNoMessageID: HTTP 200 with recipient_id only.
	FaultNoMessageID
)

type pendingFault struct {
	fault Fault
	n     int
}

// faultAnswers are the status and error object of each fault.
var faultAnswers = map[Fault]struct {
	status, code, subcode int
	message               string
}{
	FaultTokenExpired:    {http.StatusBadRequest, 190, 463, "Error validating access token: Session has expired"},
	FaultTokenInvalid:    {http.StatusBadRequest, 190, 460, "Error validating access token: The session has been invalidated because the user changed their password"},
	FaultOutsideWindow:   {http.StatusBadRequest, 10, 2018278, "(#10) This message is sent outside of allowed window."},
	FaultUserUnavailable: {http.StatusBadRequest, 551, 1545041, "This person isn't available right now."},
	FaultNoMatchingUser:  {http.StatusBadRequest, 100, 2018001, "No matching user found"},
	FaultDeadTag:         {http.StatusBadRequest, 100, 0, "(#100) Param tag must be one of {HUMAN_AGENT, …}"},
	FaultAppLimit:        {http.StatusForbidden, 4, 0, "(#4) Application request limit reached"},
	FaultRateLimit:       {http.StatusTooManyRequests, 613, 0, "(#613) Calls to this api have exceeded the rate limit."},
	FaultTemporary:       {http.StatusInternalServerError, 1200, 0, "Temporary send message failure. Please try again later"},
	FaultServerError:     {http.StatusInternalServerError, 2, 0, "An unexpected error has occurred. Please retry your request later."},
	FaultPermission:      {http.StatusForbidden, 10, 0, "(#10) Application does not have permission for this action"},
}

func (f pendingFault) write(w http.ResponseWriter) {
	switch a, ok := faultAnswers[f.fault]; {
	case f.fault == FaultNoMessageID:
		writeJSON(w, http.StatusOK, map[string]any{"recipient_id": "0"})
	case ok:
		if f.fault == FaultRateLimit {
			w.Header().Set("Retry-After", "2")
		}
		writeError(w, a.status, a.code, a.subcode, a.message)
	}
}

// FailNext makes the next n calls of endpoint answer fault instead of running. The failed calls
// are recorded but change nothing.
func (s *Server) FailNext(endpoint string, fault Fault, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[endpoint] = append(s.faults[endpoint], pendingFault{fault: fault, n: n})
}

func (s *Server) takeFaultLocked(endpoint string) (pendingFault, bool) {
	list := s.faults[endpoint]
	if endpoint == "" || len(list) == 0 {
		return pendingFault{}, false
	}
	f := list[0]
	list[0].n--
	if list[0].n <= 0 {
		list = list[1:]
	}
	s.faults[endpoint] = list
	return f, true
}
