package model

// Failure reasons: the stable codes kept in Message.FailureReasonCode for a failed message (the
// provider's own code stays in FailureCode, its English text in FailureReason). Interfaces
// translate them.
const (
	FailureTokenMissing      = "token_missing"        // the connection has no access token: reconnect
	FailureTokenExpired      = "token_expired"        // the provider refused the token even after a refresh
	FailureNeedsReconnect    = "needs_reconnect"      // the grant is dead: an admin must reconnect
	FailureOutsideWindow     = "outside_window"       // the reply window closed
	FailureNotFollower       = "not_follower"         // the customer does not follow the account
	FailureQuota             = "quota"                // the account or the customer is out of message quota
	FailureUnreachable       = "customer_unreachable" // the customer's account is banned, inactive or blocks this
	FailureAttachmentExpired = "attachment_expired"   // the uploaded medium expired at the provider
	FailureTooLarge          = "too_large"            // a value is over the provider's limit
	FailureRateLimited       = "rate_limited"         // the provider throttles: retried
	FailureUnsupported       = "unsupported"          // the provider cannot send this here
	FailureInvalid           = "invalid"              // the message was refused before sending
	FailureDeliveryUnknown   = "delivery_unknown"     // the process stopped mid-send
	FailureProvider          = "provider_error"       // any other provider refusal
	FailureNetwork           = "network"              // the provider could not be reached
)
