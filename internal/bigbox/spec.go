// Package bigbox generates the large, realistic workspace of the performance scenarios ("big inbox":
// by default 1,000,000 conversations and about 10,000,000 messages) deterministically, in chunks a
// store's omnichannel.BulkLoader imports, so that every store and the bench tool measure the same
// data.
//
// The shape follows a busy Vietnamese shop on Zalo and TikTok: four connections (two of each kind),
// Vietnamese customer names (a few family names are very common, so a search for "Nguyễn" matches a
// third of the customers and a full name matches a few hundred), 60% of customers with a phone,
// 70% of conversations done, 8% without an owner (half of them waiting for a claim), of the others
// two thirds handed out by the rule (no team, as the round-robin leaves it) and a third through the
// assignee's team (its id set), a three-level category tree and classifications on part of them,
// activity spread over a year, and read states: each conversation's assignee has read it (open ones
// only half the time) and the supervisor has read a fifth of them.
package bigbox

import (
	"errors"
	"fmt"
	"time"
)

// Spec sizes the generated workspace. The zero value of every field but WorkspaceID takes a default.
type Spec struct {
	WorkspaceID string
	// Conversations is the number of conversations (and contacts, and identities). Default 1,000,000.
	Conversations int
	// MessagesPerConversation is the average thread length. Default 10. Thread lengths vary from 1
	// to 2×average−1; every 1,000th conversation is a long thread of LongThread messages.
	MessagesPerConversation int
	// LongThread is the length of the long threads. Default 200.
	LongThread int
	// Agents is the number of agents (ids AgentID(0…Agents−1)); a supervisor SupervisorID exists too.
	// Default 50.
	Agents int
	// Seed makes different but still deterministic data. Default 1.
	Seed uint64
	// Start is the time of the oldest activity; activity spans the following year. Default
	// 2025-01-01 UTC.
	Start time.Time
}

// Defaults of Spec.
const (
	DefaultConversations           = 1_000_000
	DefaultMessagesPerConversation = 10
	DefaultLongThread              = 200
	DefaultAgents                  = 50
)

// SupervisorID is the id of the workspace's supervisor.
const SupervisorID = "boss"

// AgentID is the id of agent i.
func AgentID(i int) string { return fmt.Sprintf("agent-%03d", i) }

// TeamID is the id of team i (of Teams).
func TeamID(i int) string { return fmt.Sprintf("team-%d", i) }

// Teams is the number of teams; agent i belongs to team i mod Teams.
const Teams = 5

// ConversationID is the id of conversation i.
func ConversationID(i int) string { return fmt.Sprintf("cv-%07d", i) }

// LongThreadID is the id of a conversation whose thread has Spec.LongThread messages.
func LongThreadID() string { return ConversationID(longThreadEvery) }

const longThreadEvery = 1000

// withDefaults returns s with its defaults applied and checks it.
func (s Spec) withDefaults() (Spec, error) {
	if s.Conversations == 0 {
		s.Conversations = DefaultConversations
	}
	if s.MessagesPerConversation == 0 {
		s.MessagesPerConversation = DefaultMessagesPerConversation
	}
	if s.LongThread == 0 {
		s.LongThread = DefaultLongThread
	}
	if s.Agents == 0 {
		s.Agents = DefaultAgents
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Start.IsZero() {
		s.Start = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
	}
	var errs []error
	if s.WorkspaceID == "" {
		errs = append(errs, errors.New("bigbox: WorkspaceID is required"))
	}
	if s.Conversations < 0 || s.MessagesPerConversation < 0 || s.LongThread < 0 || s.Agents < 0 {
		errs = append(errs, errors.New("bigbox: sizes must not be negative"))
	}
	return s, errors.Join(errs...)
}
