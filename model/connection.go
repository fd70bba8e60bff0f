package model

import (
	"fmt"
	"time"
)

// Kind identifies a channel type, e.g. "zalooa" or "tiktok". It is the first path segment of the
// webhook URL.
type Kind string

// ConnectionStatus is the health of a connected provider account.
type ConnectionStatus string

// Connection statuses.
const (
	// ConnectionConnected ("Đã kết nối") can receive and send.
	ConnectionConnected ConnectionStatus = "connected"
	// ConnectionNeedsReconnect means the grant was revoked or expired; an admin must reconnect.
	ConnectionNeedsReconnect ConnectionStatus = "needs_reconnect"
	// ConnectionDisconnected was removed by an admin; its webhooks are ignored.
	ConnectionDisconnected ConnectionStatus = "disconnected"
)

// ChatPermission decides who gets the conversations of a connection.
type ChatPermission string

// Chat permissions.
const (
	// PermissionOnlyMe ("Chỉ mình tôi") gives every conversation to the connection's owner.
	PermissionOnlyMe ChatPermission = "only_me"
	// PermissionShared ("Chia sẻ hội thoại") distributes conversations by the connection's rule.
	PermissionShared ChatPermission = "shared"
)

// Connection is one connected provider account (a Zalo OA, a TikTok business account).
type Connection struct {
	WorkspaceID string
	ID          string
	Kind        Kind
	// ExternalID is the provider's account id (Zalo oa_id, TikTok business_id / open_id).
	ExternalID  string
	DisplayName string
	AvatarURL   string
	Status      ConnectionStatus
	// StatusReason explains NeedsReconnect in words an admin understands.
	StatusReason string
	// OwnerID is the user who connected the account.
	OwnerID    string
	Permission ChatPermission
	// RuleID is the assignment rule used when Permission is PermissionShared.
	RuleID      string
	Credentials Credentials
	// Settings holds adapter-specific, non-secret options.
	Settings  map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Credentials are a connection's provider tokens. They are secrets: String and GoString redact them so
// they never reach a log line or an error string by accident.
type Credentials struct {
	AccessToken  string
	RefreshToken string
	// AccessExpiry is when AccessToken stops working (zero: unknown / never).
	AccessExpiry time.Time
	// RefreshExpiry is when RefreshToken stops working (zero: unknown / never).
	RefreshExpiry time.Time
	// Scopes granted by the account owner.
	Scopes []string
	// Extra holds other secret values an adapter needs.
	Extra map[string]string
}

// String redacts the secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{access:%s refresh:%s expiry:%s}",
		redacted(c.AccessToken), redacted(c.RefreshToken), c.AccessExpiry.Format(time.RFC3339))
}

// GoString redacts the secrets (for %#v).
func (c Credentials) GoString() string { return c.String() }

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "redacted"
}

// OAuthState is a pending connect flow: single use, bound to the user who started it, short-lived.
type OAuthState struct {
	// State is the random value sent to the provider and returned on the callback.
	State       string
	WorkspaceID string
	UserID      string
	Kind        Kind
	// CodeVerifier is the PKCE verifier (secret until the exchange).
	CodeVerifier string
	RedirectURI  string
	// Permission, RuleID and NewRule carry what the admin chose when starting the flow.
	Permission ChatPermission
	RuleID     string
	ExpiresAt  time.Time
}
