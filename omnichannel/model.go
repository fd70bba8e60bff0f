package omnichannel

import "github.com/dakenh/dakenh/model"

// The domain types live in package model, a leaf package that the store contract (package store)
// and the stores share without importing the engine; omnichannel re-exports them under the same
// names, so model.Conversation and omnichannel.Conversation are one type. Their documentation is
// in package model.
type (
	Activity              = model.Activity
	ActivityAction        = model.ActivityAction
	AssignMethod          = model.AssignMethod
	Attachment            = model.Attachment
	Category              = model.Category
	ChatPermission        = model.ChatPermission
	Classification        = model.Classification
	Connection            = model.Connection
	ConnectionStatus      = model.ConnectionStatus
	Contact               = model.Contact
	Conversation          = model.Conversation
	ConversationQuery     = model.ConversationQuery
	ConversationStatus    = model.ConversationStatus
	Credentials           = model.Credentials
	Cursor                = model.Cursor
	Direction             = model.Direction
	Event                 = model.Event
	EventKind             = model.EventKind
	FeedData              = model.FeedData
	FeedEntry             = model.FeedEntry
	Identity              = model.Identity
	Job                   = model.Job
	JobKind               = model.JobKind
	JobQueue              = model.JobQueue
	Kind                  = model.Kind
	Message               = model.Message
	MessageStatus         = model.MessageStatus
	MessageType           = model.MessageType
	OAuthState            = model.OAuthState
	OldConversationPolicy = model.OldConversationPolicy
	Profile               = model.Profile
	Reaction              = model.Reaction
	ReadFilter            = model.ReadFilter
	ReadState             = model.ReadState
	Role                  = model.Role
	Rule                  = model.Rule
	Team                  = model.Team
	Template              = model.Template
	User                  = model.User
	Workspace             = model.Workspace
	WorkspaceStatus       = model.WorkspaceStatus
	WebhookDelivery       = model.WebhookDelivery
	WebhookEndpoint       = model.WebhookEndpoint
	WebhookSecret         = model.WebhookSecret
)

const (
	ActivityAssigned             = model.ActivityAssigned
	ActivityAwaitingClaim        = model.ActivityAwaitingClaim
	ActivityCategory             = model.ActivityCategory
	ActivityClaimed              = model.ActivityClaimed
	ActivityClassification       = model.ActivityClassification
	ActivityDone                 = model.ActivityDone
	ActivityInfoShared           = model.ActivityInfoShared
	ActivityLinked               = model.ActivityLinked
	ActivityNote                 = model.ActivityNote
	ActivityOpened               = model.ActivityOpened
	ActivityReopened             = model.ActivityReopened
	ActivityTeam                 = model.ActivityTeam
	ActivityUnassigned           = model.ActivityUnassigned
	ConnectionConnected          = model.ConnectionConnected
	ConnectionDisconnected       = model.ConnectionDisconnected
	ConnectionNeedsReconnect     = model.ConnectionNeedsReconnect
	DirectionIn                  = model.DirectionIn
	DirectionOut                 = model.DirectionOut
	DirectionSystem              = model.DirectionSystem
	EventConnectionUpdated       = model.EventConnectionUpdated
	EventContactDeleted          = model.EventContactDeleted
	EventConversationDeleted     = model.EventConversationDeleted
	EventConversationOpened      = model.EventConversationOpened
	EventConversationUpdated     = model.EventConversationUpdated
	EventMessageCreated          = model.EventMessageCreated
	EventMessageUpdated          = model.EventMessageUpdated
	EventReadUpdated             = model.EventReadUpdated
	EventUserSaved               = model.EventUserSaved
	EventUserDeactivated         = model.EventUserDeactivated
	EventUserRemoved             = model.EventUserRemoved
	EventTeamSaved               = model.EventTeamSaved
	EventTeamDeleted             = model.EventTeamDeleted
	EventRuleSaved               = model.EventRuleSaved
	EventRuleDeleted             = model.EventRuleDeleted
	EventTemplateSaved           = model.EventTemplateSaved
	EventTemplateDeleted         = model.EventTemplateDeleted
	EventCategorySaved           = model.EventCategorySaved
	EventClassificationSaved     = model.EventClassificationSaved
	EventWorkspaceSaved          = model.EventWorkspaceSaved
	EventWorkspaceSuspended      = model.EventWorkspaceSuspended
	EventWorkspaceResumed        = model.EventWorkspaceResumed
	WorkspaceActive              = model.WorkspaceActive
	WorkspaceSuspended           = model.WorkspaceSuspended
	EventWebhookEndpointDisabled = model.EventWebhookEndpointDisabled
	EventWorkspaceDeleted        = model.EventWorkspaceDeleted
	JobFetchMedia                = model.JobFetchMedia
	JobFetchProfile              = model.JobFetchProfile
	JobLinkContact               = model.JobLinkContact
	JobSend                      = model.JobSend
	JobSyncHistory               = model.JobSyncHistory
	MessageActivity              = model.MessageActivity
	MessageAudio                 = model.MessageAudio
	MessageContact               = model.MessageContact
	MessageDelivered             = model.MessageDelivered
	MessageFailed                = model.MessageFailed
	MessageFile                  = model.MessageFile
	MessageImage                 = model.MessageImage
	MessageInfoRequest           = model.MessageInfoRequest
	MessageLink                  = model.MessageLink
	MessageLocation              = model.MessageLocation
	MessageOther                 = model.MessageOther
	MessagePending               = model.MessagePending
	MessageReceived              = model.MessageReceived
	MessageSeen                  = model.MessageSeen
	MessageSending               = model.MessageSending
	MessageSent                  = model.MessageSent
	MessageSticker               = model.MessageSticker
	MessageText                  = model.MessageText
	MessageVideo                 = model.MessageVideo
	MethodClaim                  = model.MethodClaim
	MethodLeastLoaded            = model.MethodLeastLoaded
	MethodRoundRobin             = model.MethodRoundRobin
	PermissionOnlyMe             = model.PermissionOnlyMe
	PermissionShared             = model.PermissionShared
	PolicyAll                    = model.PolicyAll
	PolicyAvailable              = model.PolicyAvailable
	PolicyNone                   = model.PolicyNone
	ReadAny                      = model.ReadAny
	ReadRead                     = model.ReadRead
	ReadUnread                   = model.ReadUnread
	RoleAgent                    = model.RoleAgent
	RoleSupervisor               = model.RoleSupervisor
	StatusDone                   = model.StatusDone
	StatusOpen                   = model.StatusOpen
	Unassigned                   = model.Unassigned
)

// FoldSearch is model.FoldSearch: the search form of a contact name, on every store.
func FoldSearch(s string) string { return model.FoldSearch(s) }

// TeamMembers is model.TeamMembers: the members of the given teams, as the team filter of
// ConversationQuery.TeamIDs matches them.
func TeamMembers(teams []*Team, teamIDs []string) []string { return model.TeamMembers(teams, teamIDs) }
