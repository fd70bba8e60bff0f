package zalooa

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// Zalo error codes the adapter treats specially.
const (
	codeRateLimited      = -32
	codeTokenInvalid     = -216
	codeTokenExpired     = -220
	codeNotFollower      = -213
	codeNoInteraction7d  = -230
	codeInteractionEnded = -232
	codeOADisabled       = -204
	codeOAMissing        = -205
	codeAppRemoved       = -219
	codeQuota            = -211
	codeQuotaReceiver    = -218
	codeUserInactive     = -227
	codeUserRestricted   = -244
	codeAttachmentGone   = -100
	codeTooBig           = -210
	codeTypeUnsupported  = -233
)

// rateLimitPause is the retry hint for -32: the quota is per minute.
const rateLimitPause = 30 * time.Second

// tokenCodes are the codes that mean "refresh the access token and retry once". -216 and -220 are
// documented; 216, 401, -401 and -124 are seen in other implementations (uncertain), and accepted.
var tokenCodes = map[int64]bool{codeTokenInvalid: true, codeTokenExpired: true, 216: true, 401: true, -401: true, -124: true}

// agentText explains, in words an agent understands, the codes an agent can act on.
var agentText = map[int64]string{
	codeNoInteraction7d: "Zalo refused the message: the customer has not interacted with the OA in the last 7 days. " +
		"Zalo only allows replies within 7 days of the customer's last message; wait for the customer to write again",
	codeInteractionEnded: "Zalo refused the message: the customer's last interaction with the OA has expired. " +
		"Wait for the customer to write again",
	codeNotFollower: "Zalo refused the message: the customer does not follow the OA (or has unfollowed it)",
	codeOADisabled:  "Zalo refused the message: the Official Account is disabled; an admin must check it on oa.zalo.me",
	codeOAMissing:   "Zalo refused the message: the Official Account no longer exists; an admin must reconnect it",
	codeAppRemoved:  "Zalo refused the message: the app was removed or disabled; an admin must reconnect the OA",
	codeQuota:       "Zalo refused the message: the OA is out of message quota",
	codeQuotaReceiver: "Zalo refused the message: this customer has received as many messages from the OA " +
		"as Zalo allows for now",
	codeUserInactive:    "Zalo refused the message: the customer's Zalo account is banned or has been inactive for more than 45 days",
	codeUserRestricted:  "Zalo refused the message: the customer has blocked this kind of message from the OA",
	codeAttachmentGone:  "Zalo refused the message: the uploaded attachment expired; send it again",
	codeTooBig:          "Zalo refused the message: a value is over Zalo's limit (text length or file size)",
	codeTypeUnsupported: "Zalo refused the message: Zalo does not support this kind of message here",
	codeRateLimited:     "Zalo is throttling the app (request limit per minute reached); the message will be retried",
}

// reasonOf maps the Zalo codes an agent can act on to the engine's stable failure reasons (the
// others are derived from the error's class).
var reasonOf = map[int64]string{
	codeNotFollower:     omnichannel.FailureNotFollower,
	codeQuota:           omnichannel.FailureQuota,
	codeQuotaReceiver:   omnichannel.FailureQuota,
	codeUserInactive:    omnichannel.FailureUnreachable,
	codeUserRestricted:  omnichannel.FailureUnreachable,
	codeAttachmentGone:  omnichannel.FailureAttachmentExpired,
	codeTooBig:          omnichannel.FailureTooLarge,
	codeTypeUnsupported: omnichannel.FailureUnsupported,
}

// classify turns a refused provider call into a *omnichannel.ProviderError: Zalo's error code when
// the body has one (error ≠ 0, usually with HTTP 200), otherwise the HTTP status. Every secret is
// removed from the provider's text before it is kept.
func classify(status int, header http.Header, env *envelope, secrets ...string) *omnichannel.ProviderError {
	pe := &omnichannel.ProviderError{Provider: Kind}
	code := int64(env.Error)
	provText := clean(env.text(), 300, secrets)
	switch {
	case code != 0:
		pe.Code = strconv.FormatInt(code, 10)
		pe.Message = provText
		if t, ok := agentText[code]; ok {
			pe.Message = t
			if provText != "" {
				pe.Message += " (Zalo: " + provText + ")"
			}
		}
		if pe.Message == "" {
			pe.Message = fmt.Sprintf("Zalo error %d", code)
		}
		classifyCode(pe, code)
		pe.Reason = reasonOf[code]
		if status >= 500 || status == http.StatusTooManyRequests {
			pe.Retryable = true
		}
	default:
		pe.Code = "http_" + strconv.Itoa(status)
		pe.Message = fmt.Sprintf("Zalo answered HTTP %d %s", status, http.StatusText(status))
		if provText != "" {
			pe.Message += ": " + provText
		}
		switch {
		case status == http.StatusTooManyRequests:
			pe.Class, pe.Retryable = omnichannel.ErrRateLimited, true
			pe.RetryAfter = retryAfter(header.Get("Retry-After"), time.Now())
		case status >= 500 || status == http.StatusRequestTimeout:
			pe.Retryable = true
		case status == http.StatusUnauthorized:
			pe.Class = omnichannel.ErrTokenExpired
		}
	}
	return pe
}

// classifyCode sets Class and Retryable for a Zalo error code.
func classifyCode(pe *omnichannel.ProviderError, code int64) {
	switch {
	case tokenCodes[code]:
		pe.Class, pe.Retryable = omnichannel.ErrTokenExpired, true // after a refresh, once
	case code == codeRateLimited:
		pe.Class, pe.Retryable, pe.RetryAfter = omnichannel.ErrRateLimited, true, rateLimitPause
	case code == codeNoInteraction7d || code == codeInteractionEnded:
		pe.Class = omnichannel.ErrOutsideWindow
	case code == codeOADisabled || code == codeOAMissing || code == codeAppRemoved:
		pe.Class = omnichannel.ErrNeedsReconnect
	}
}

// badResponse is a 2xx answer the adapter cannot read. It is final: the provider may have acted on
// the call (a message may have been delivered), so it must not be repeated blindly.
func badResponse(op string, status int) *omnichannel.ProviderError {
	return &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
		Message: fmt.Sprintf("Zalo answered the %s call (HTTP %d) with a body the adapter cannot read", op, status)}
}

// clean removes secrets from s, drops control characters and trims it to max runes.
func clean(s string, max int, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// retryAfter parses a Retry-After value (seconds or an HTTP date); zero when absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
