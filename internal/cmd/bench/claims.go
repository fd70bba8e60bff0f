package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
)

// claimContenders is how many agents race for each waiting conversation.
const claimContenders = 3

// runClaims races o.ClaimAgents agents over o.ClaimConvs conversations waiting on a self-claim
// rule: each conversation is claimed by claimContenders agents at about the same time (each agent
// works through its own shuffled share). It reports claims/s and checks that each conversation has
// exactly one owner, in the final state and in the activity entries.
func runClaims(ctx context.Context, o Options, kind string, rep *Report, logf func(string, ...any)) error {
	env, closeAll, err := openScenario(ctx, o, kind, "claims")
	if err != nil {
		return err
	}
	defer closeAll()
	st, p, eng := env.st, env.p, env.eng
	ws, err := setupWorkspace(ctx, eng, p, "bench-claims", o.ClaimAgents, omnichannel.MethodClaim, nil)
	if err != nil {
		return err
	}
	ids, err := seedWaiting(ctx, st, ws, o.ClaimConvs)
	if err != nil {
		return err
	}
	if err := settle(ctx, st); err != nil {
		return err
	}

	shares := make([][]string, len(ws.agents))
	for k, id := range ids {
		for j := range min(claimContenders, len(ws.agents)) {
			a := (k*claimContenders + j) % len(ws.agents)
			shares[a] = append(shares[a], id)
		}
	}
	var (
		mu      sync.Mutex
		winners = map[string][]string{}
		lost    int
		others  []error
		wg      sync.WaitGroup
	)
	logf("claims on %s: %d agents over %d waiting conversations", kind, len(ws.agents), len(ids))
	start := time.Now()
	for a, share := range shares {
		rng := rand.New(rand.NewPCG(uint64(a), 7))
		rng.Shuffle(len(share), func(i, j int) { share[i], share[j] = share[j], share[i] })
		agent := ws.agents[a]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range share {
				_, err := eng.Claim(ctx, ws.id, agent, id)
				mu.Lock()
				switch {
				case err == nil:
					winners[id] = append(winners[id], agent)
				case errors.Is(err, omnichannel.ErrAlreadyClaimed):
					lost++
				default:
					others = append(others, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	won := 0
	for _, w := range winners {
		won += len(w)
	}
	target := ""
	if kind == storePostgres {
		target = "≥ 2,000/s"
	}
	rep.add(Figure{Scenario: scenarioClaims, Store: kind, Name: "claims/s (successful)", Value: float64(won) / elapsed.Seconds(),
		Unit: "claims/s", Target: target})
	rep.add(Figure{Scenario: scenarioClaims, Store: kind, Name: "attempts/s (won + lost races)",
		Value: float64(won+lost) / elapsed.Seconds(), Unit: "attempts/s"})
	if len(others) > 0 {
		return fmt.Errorf("%d claims failed with other errors than already claimed, the first: %w", len(others), others[0])
	}
	return checkClaims(ctx, st, ws.id, ids, winners, lost, kind, rep)
}

// checkClaims verifies that every conversation was won exactly once, is owned by its winner and
// holds exactly one "claimed" activity entry, by the winner.
func checkClaims(ctx context.Context, st omnichannel.Store, wsID string, ids []string, winners map[string][]string, lost int,
	kind string, rep *Report) error {
	doubles, unclaimed, wrongOwner, activityProblems := 0, 0, 0, 0
	for _, id := range ids {
		switch len(winners[id]) {
		case 0:
			unclaimed++
		case 1:
		default:
			doubles++
		}
	}
	err := st.View(ctx, func(tx omnichannel.Tx) error {
		for _, id := range ids {
			c, err := tx.GetConversation(wsID, id)
			if err != nil {
				return err
			}
			w := winners[id]
			if len(w) == 0 || c.AssigneeID != w[0] || c.AwaitingClaim || !c.Claimed {
				wrongOwner++
			}
			thread, err := tx.ListMessages(wsID, id, 0, 100)
			if err != nil {
				return err
			}
			claims := 0
			for _, m := range thread {
				if m.Activity != nil && m.Activity.Action == omnichannel.ActivityClaimed {
					claims++
					if len(w) == 0 || m.Activity.ActorID != w[0] {
						activityProblems++
					}
				}
			}
			if claims != 1 {
				activityProblems++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.add(Figure{Scenario: scenarioClaims, Store: kind, Name: "double assignments", Value: float64(doubles + activityProblems), Unit: "conversations", Target: "0"})
	rep.check(Check{Scenario: scenarioClaims, Store: kind, Name: "one owner per conversation",
		OK: doubles == 0 && unclaimed == 0 && wrongOwner == 0 && activityProblems == 0,
		Detail: fmt.Sprintf("%d conversations, %d races lost; won twice %d, never won %d, owner ≠ winner %d, claimed-activity entries ≠ 1 or not by the winner %d",
			len(ids), lost, doubles, unclaimed, wrongOwner, activityProblems)})
	return nil
}

// seedWaiting stores n conversations waiting for a claim on ws's rule (one customer message each),
// through BulkLoad when the store has it, and returns their ids.
func seedWaiting(ctx context.Context, st omnichannel.Store, ws *workspace, n int) ([]string, error) {
	const chunk = 2000
	base := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	ids := make([]string, 0, n)
	for start := 0; start < n; start += chunk {
		b := &omnichannel.Bulk{}
		for i := start; i < min(start+chunk, n); i++ {
			conn := ws.zaloConn
			if i%2 == 1 {
				conn = ws.ttConn
			}
			id := fmt.Sprintf("%06d", i)
			at := base.Add(time.Duration(i) * time.Millisecond)
			name := fmt.Sprintf("Khách chờ %d", i)
			b.Contacts = append(b.Contacts, &omnichannel.Contact{WorkspaceID: ws.id, ID: "ct-" + id, Name: name, CreatedAt: at, UpdatedAt: at})
			b.Identities = append(b.Identities, &omnichannel.Identity{WorkspaceID: ws.id, ID: "id-" + id, ContactID: "ct-" + id,
				ConnectionID: conn.ID, ChannelKind: conn.Kind, ExternalUserID: "waiting-" + id, DisplayName: name, CreatedAt: at, UpdatedAt: at})
			c := &omnichannel.Conversation{WorkspaceID: ws.id, ID: "cv-" + id, ConnectionID: conn.ID, ChannelKind: conn.Kind,
				ContactID: "ct-" + id, IdentityID: "id-" + id, ContactName: name, Status: omnichannel.StatusOpen,
				RuleID: ws.ruleID, AwaitingClaim: true, InboundCount: 1, LastSeq: 1, LastMessageAt: at, LastInboundAt: at,
				LastMessageText: "Shop ơi tư vấn giúp mình", LastMessageDirection: omnichannel.DirectionIn,
				CreatedAt: at, UpdatedAt: at, Version: 1}
			b.Conversations = append(b.Conversations, c)
			b.Messages = append(b.Messages, &omnichannel.Message{WorkspaceID: ws.id, ID: "m-" + id, ConversationID: c.ID,
				ConnectionID: conn.ID, Seq: 1, Direction: omnichannel.DirectionIn, Type: omnichannel.MessageText,
				Text: c.LastMessageText, Status: omnichannel.MessageReceived, SenderID: "id-" + id, SenderName: name,
				ProviderMessageID: "pm-waiting-" + id, ProviderTime: at, CreatedAt: at, UpdatedAt: at})
			ids = append(ids, c.ID)
		}
		var err error
		if bl, ok := st.(omnichannel.BulkLoader); ok {
			err = bl.BulkLoad(ctx, b)
		} else {
			err = st.Update(ctx, func(tx omnichannel.Tx) error { return bigbox.PutBulk(tx, b) })
		}
		if err != nil {
			return nil, fmt.Errorf("seeding waiting conversations: %w", err)
		}
	}
	return ids, nil
}
