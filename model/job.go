package model

import "time"

// JobKind names background work the engine does durably.
type JobKind string

// Job kinds.
const (
	// JobSend sends an outgoing message through its channel.
	JobSend JobKind = "send"
	// JobFetchMedia copies an inbound attachment from the provider into the BlobStore.
	JobFetchMedia JobKind = "fetch_media"
	// JobLinkContact looks the contact's phone up in the host's ContactDirectory.
	JobLinkContact JobKind = "link_contact"
	// JobFetchProfile fetches a provider user's profile.
	JobFetchProfile JobKind = "fetch_profile"
	// JobSyncHistory imports old conversations of a new connection.
	JobSyncHistory JobKind = "sync_history"
)

// Job is a row of the engine's durable work queue (the outbox).
//
// A job is claimed by one worker at a time: ClaimJobs sets LockedBy and LockedUntil; a job whose lock
// expired may be claimed again. Started is set (and saved) before a send leaves the process, so a
// send interrupted by a crash is never repeated blindly.
type Job struct {
	WorkspaceID string
	ID          string
	Kind        JobKind
	// ConversationID, MessageID and ConnectionID say what the job is about ("" when not relevant).
	ConversationID string
	MessageID      string
	ConnectionID   string
	// Payload holds kind-specific data (e.g. an attachment index).
	Payload     map[string]string
	Attempts    int
	RunAt       time.Time
	LockedBy    string
	LockedUntil time.Time
	// Started is true once the provider call has begun (delivery of that attempt is unknown until it
	// finishes).
	Started   bool
	LastError string
	CreatedAt time.Time
}

// JobQueue describes the job queue at one instant, for metrics: Due jobs may run now (RunAt ≤ now,
// lock free or expired), Running jobs hold a live lock, and OldestDue is the earliest RunAt of the
// due jobs (zero when none is due), so now − OldestDue is how long the oldest has waited.
type JobQueue struct {
	Due       int
	Running   int
	OldestDue time.Time
}
