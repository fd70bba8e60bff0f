package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// The claim race of issue #7 (scenario 3).
const (
	claimAgents        = 200
	claimConversations = 10_000
	claimWorkspace     = "claims"
)

// BenchmarkClaims races claimAgents agents, one goroutine each, over claimConversations
// conversations waiting for a claim (a self-claim rule with every agent), through Engine.Claim:
// each agent tries the conversations in its own random order, skipping those another agent holds,
// until all are claimed. It reports claims/s (successful claims over the wall time of the race) and
// fails unless every conversation ended with exactly one assignee, exactly one "claimed" activity
// entry, and the agent whose Claim succeeded.
//
//	go test -run '^$' -bench Claims -benchtime 1x ./store/postgres/
func BenchmarkClaims(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		schema := newSchema(b)
		st := openStore(b, schema, func(c *postgres.Config) { c.MaxConns = 16 })
		seedClaims(b, st)
		eng := bigInboxEngine(b, st)
		ctx := context.Background()
		winners := make([]atomic.Value, claimConversations)
		var claimed, refused atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, claimAgents)
		b.StartTimer()
		start := time.Now()
		for a := range claimAgents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				agent := fmt.Sprintf("agent-%03d", a)
				for _, i := range rand.New(rand.NewPCG(uint64(a), 3)).Perm(claimConversations) {
					if winners[i].Load() != nil {
						continue // seen taken in the list
					}
					_, err := eng.Claim(ctx, claimWorkspace, agent, claimID(i))
					var taken *omnichannel.ClaimedError
					switch {
					case err == nil:
						if prev := winners[i].Swap(agent); prev != nil {
							errs <- fmt.Errorf("%s claimed by %s and %s", claimID(i), prev, agent)
							return
						}
						claimed.Add(1)
					case errors.As(err, &taken):
						refused.Add(1)
					default:
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		b.StopTimer()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(float64(claimed.Load())/took.Seconds(), "claims/s")
		b.ReportMetric(float64(refused.Load()), "refused")
		b.ReportMetric(float64(verifyClaims(b, schema, winners)), "double-assignments")
		b.StartTimer()
	}
}

func claimID(i int) string { return fmt.Sprintf("cl-%05d", i) }

// seedClaims stores the agents, a self-claim rule, one connection and the waiting conversations.
func seedClaims(b *testing.B, st *postgres.Store) {
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var agents []string
	err := st.Update(ctx, func(tx omnichannel.Tx) error {
		for a := range claimAgents {
			id := fmt.Sprintf("agent-%03d", a)
			agents = append(agents, id)
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: claimWorkspace, ID: id, Name: id,
				Role: omnichannel.RoleAgent, Active: true}); err != nil {
				return err
			}
		}
		if err := tx.PutRule(&omnichannel.Rule{WorkspaceID: claimWorkspace, ID: "rule", Name: "Nhận chat",
			SourceIDs: []string{"conn"}, UserIDs: agents, Method: omnichannel.MethodClaim}); err != nil {
			return err
		}
		return tx.PutConnection(&omnichannel.Connection{WorkspaceID: claimWorkspace, ID: "conn", Kind: "fake",
			ExternalID: "claims", Status: omnichannel.ConnectionConnected, Permission: omnichannel.PermissionShared,
			RuleID: "rule", CreatedAt: start, UpdatedAt: start, Version: 1})
	})
	if err != nil {
		b.Fatal(err)
	}
	bulk := &omnichannel.Bulk{}
	for i := range claimConversations {
		id := fmt.Sprintf("%05d", i)
		at := start.Add(time.Duration(i) * time.Second)
		bulk.Contacts = append(bulk.Contacts, &omnichannel.Contact{WorkspaceID: claimWorkspace, ID: "ct-" + id,
			Name: "Khách " + id, CreatedAt: at, UpdatedAt: at})
		bulk.Identities = append(bulk.Identities, &omnichannel.Identity{WorkspaceID: claimWorkspace, ID: "id-" + id,
			ContactID: "ct-" + id, ConnectionID: "conn", ChannelKind: "fake", ExternalUserID: "u" + id,
			DisplayName: "Khách " + id, CreatedAt: at, UpdatedAt: at})
		bulk.Conversations = append(bulk.Conversations, &omnichannel.Conversation{WorkspaceID: claimWorkspace,
			ID: claimID(i), ConnectionID: "conn", ChannelKind: "fake", ContactID: "ct-" + id, IdentityID: "id-" + id,
			ContactName: "Khách " + id, Status: omnichannel.StatusOpen, RuleID: "rule", AwaitingClaim: true,
			LastSeq: 1, InboundCount: 1, LastMessageText: "Shop ơi", LastMessageAt: at,
			LastMessageDirection: omnichannel.DirectionIn, LastInboundAt: at, CreatedAt: at, UpdatedAt: at, Version: 1})
		bulk.Messages = append(bulk.Messages, &omnichannel.Message{WorkspaceID: claimWorkspace, ID: "m-" + id,
			ConversationID: claimID(i), ConnectionID: "conn", Seq: 1, Direction: omnichannel.DirectionIn,
			Type: omnichannel.MessageText, SenderID: "id-" + id, Text: "Shop ơi", ProviderMessageID: "pm-" + id,
			Status: omnichannel.MessageReceived, ProviderTime: at, CreatedAt: at, UpdatedAt: at})
	}
	load := func(ctx context.Context, bulk *omnichannel.Bulk) error {
		return st.Update(ctx, func(tx omnichannel.Tx) error { return bigbox.PutBulk(tx, bulk) })
	}
	if bl, ok := any(st).(omnichannel.BulkLoader); ok {
		load = bl.BulkLoad
	}
	if err := load(ctx, bulk); err != nil {
		b.Fatal(err)
	}
}

// verifyClaims checks the stored outcome of the race against the winners Claim reported and
// returns the number of conversations that were claimed more than once or not as reported.
func verifyClaims(b *testing.B, schema string, winners []atomic.Value) int {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT c.id, c.assignee_id, c.awaiting_claim,
			(SELECT count(*) FROM `+schema+`.messages m WHERE m.workspace_id = c.workspace_id
				AND m.conversation_id = c.id AND m.activity->>'Action' = 'claimed'),
			(SELECT min(m.sender_id) FROM `+schema+`.messages m WHERE m.workspace_id = c.workspace_id
				AND m.conversation_id = c.id AND m.activity->>'Action' = 'claimed')
		FROM `+schema+`.conversations c WHERE c.workspace_id = $1`, claimWorkspace)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	bad, seen := 0, 0
	for rows.Next() {
		var id, assignee string
		var awaiting bool
		var entries int
		var actor *string
		if err := rows.Scan(&id, &assignee, &awaiting, &entries, &actor); err != nil {
			b.Fatal(err)
		}
		seen++
		var i int
		if _, err := fmt.Sscanf(id, "cl-%05d", &i); err != nil {
			b.Fatal(err)
		}
		winner, _ := winners[i].Load().(string)
		if entries != 1 || awaiting || assignee == "" || assignee != winner || actor == nil || *actor != winner {
			b.Logf("%s: assignee %q, reported winner %q, %d claimed entries, awaiting %v", id, assignee, winner, entries, awaiting)
			bad++
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if seen != claimConversations {
		b.Fatalf("%d conversations stored, want %d", seen, claimConversations)
	}
	return bad
}
