package model

import "time"

// Contact is a customer, across channels.
type Contact struct {
	WorkspaceID string
	ID          string
	Name        string
	// Phone is in E.164 form ("+84912345678") or "".
	Phone     string
	Email     string
	AvatarURL string
	// Attributes hold extended data (status, interests, …) shown in the customer panel.
	Attributes map[string]string
	// CRMCustomerID is the host CRM's customer id once linked, "" before (the id
	// ContactDirectory.FindByPhone returned, which InteractionSource receives). Stores that keep
	// contacts as JSON documents keep it under its former name, "CRMRef".
	CRMCustomerID string `json:"CRMRef"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Identity is a contact's account on one connection (a Zalo user id for an OA, a TikTok user).
// (ConnectionID, ExternalUserID) is unique.
type Identity struct {
	WorkspaceID    string
	ID             string
	ContactID      string
	ConnectionID   string
	ChannelKind    Kind
	ExternalUserID string
	DisplayName    string
	AvatarURL      string
	// Phone the user shared through the channel, E.164, "" if none.
	Phone    string
	Follower bool
	// Anonymous marks a customer who writes without a provider account the business can address
	// by user id (Zalo's anonymous_send_* users): replies need ProviderConversationID.
	Anonymous bool
	// ProviderConversationID is the provider's id of the thread with this customer, kept when
	// replies must name it (Zalo anonymous users' conversation_id); "" when unknown or not needed.
	ProviderConversationID string
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Profile is what an adapter knows about a provider user.
type Profile struct {
	ExternalUserID string
	DisplayName    string
	AvatarURL      string
	// Phone as the provider gives it; the engine normalizes it to E.164.
	Phone      string
	Follower   *bool
	Attributes map[string]string
}
