package reliability

import (
	"context"
	"errors"
	"sync"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
)

// delivery is one customer message's webhook, posted until the inbox acknowledges it (HTTP 200).
type delivery struct {
	kind  string // "zalo" or "tiktok"
	msgID string
	body  []byte
	acked bool
	posts int
	busy  bool // a worker is posting it now
}

// sendRecord is one agent reply, posted with its idempotency key until the API answers 2xx.
type sendRecord struct {
	conversationID, key, text string
	messageID                 string // the accepted message
	accepted                  bool
	busy                      bool
}

// ledger records what the test posted and what the inbox acknowledged, across kills.
type ledger struct {
	mu         sync.Mutex
	deliveries []*delivery
	sends      []*sendRecord
	seq        int
	kills      int
	// refusedSends counts sends refused before storing (TikTok's 10-reply cap).
	refusedSends int
}

func newLedger() *ledger { return &ledger{} }

func (l *ledger) nextSeq() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

func (l *ledger) addDelivery(d *delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d.busy = true
	l.deliveries = append(l.deliveries, d)
}

// takeUnacked reserves a delivery that was posted but never acknowledged, nil when none.
func (l *ledger) takeUnacked() *delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.deliveries {
		if !d.acked && !d.busy {
			d.busy = true
			return d
		}
	}
	return nil
}

func (l *ledger) delivered(d *delivery, acked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d.posts++
	d.acked = d.acked || acked
	d.busy = false
}

func (l *ledger) addSend(s *sendRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.busy = true
	l.sends = append(l.sends, s)
}

// takeUnanswered reserves a send the API never answered, nil when none.
func (l *ledger) takeUnanswered() *sendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sends {
		if !s.accepted && !s.busy {
			s.busy = true
			return s
		}
	}
	return nil
}

// refused drops a send the API refused for a reason of the channel (never stored, never sent).
func (l *ledger) refused(s *sendRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.sends {
		if x == s {
			l.sends = append(l.sends[:i], l.sends[i+1:]...)
			break
		}
	}
	l.refusedSends++
}

func (l *ledger) answered(s *sendRecord, m *inboxapi.Message, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.busy = false
	if err != nil || m == nil {
		return
	}
	if s.accepted && s.messageID != m.ID {
		s.messageID = "conflict:" + s.messageID + "/" + m.ID // two messages for one key: verify fails
		return
	}
	s.accepted, s.messageID = true, m.ID
}

// crashSummary holds the figures of one crash run.
type crashSummary struct {
	webhooksAcked, posts, redelivered         int
	sendsAccepted, sentOnce, failedWithReason int
	deliveryUnknown, unknownButReached        int
	threads, lost, doubled                    int
}

// verify checks the database of a finished run against the ledger and the emulators.
func (r *crashRun) verify(ctx context.Context, st omnichannel.Store) crashSummary {
	t := r.t
	var sum crashSummary
	byProviderID := map[string]int{} // connection kind + provider id → stored messages
	byKey := map[string]int{}        // idempotency key → stored messages
	messages := map[string]*omnichannel.Message{}
	err := st.View(ctx, func(tx omnichannel.Tx) error {
		conns, err := tx.ListConnections(crashWorkspaceID)
		if err != nil {
			return err
		}
		kindOf := map[string]string{}
		for _, c := range conns {
			kindOf[c.ID] = string(c.Kind)
		}
		convs, err := allConversations(tx, crashWorkspaceID)
		if err != nil {
			return err
		}
		wantUnread := 0
		for _, c := range convs {
			sum.threads++
			entries, err := tx.ListMessages(crashWorkspaceID, c.ID, 0, 1_000_000)
			if err != nil {
				return err
			}
			var inbound int64
			for i, m := range entries {
				if m.Seq != int64(i+1) {
					t.Errorf("conversation %s: entry %d has seq %d (want a gapless 1..n in order)", c.ID, i, m.Seq)
					break
				}
			}
			if n := int64(len(entries)); n != c.LastSeq {
				t.Errorf("conversation %s: %d entries but LastSeq %d", c.ID, n, c.LastSeq)
			}
			for _, m := range entries {
				messages[m.ID] = m
				if m.ProviderMessageID != "" {
					byProviderID[kindOf[m.ConnectionID]+"/"+m.ProviderMessageID]++
				}
				if m.IdempotencyKey != "" {
					byKey[m.IdempotencyKey]++
				}
				if m.Direction == omnichannel.DirectionIn {
					inbound++
				}
			}
			if c.InboundCount != inbound {
				t.Errorf("conversation %s: InboundCount %d, recount from messages %d", c.ID, c.InboundCount, inbound)
			}
			unread := inbound
			rs, err := tx.GetReadState(crashWorkspaceID, crashSupervisor, c.ID)
			switch {
			case err == nil:
				if rs.InboundCount > inbound {
					t.Errorf("conversation %s: read state counts %d customer messages, thread has %d", c.ID, rs.InboundCount, inbound)
				}
				unread = inbound - rs.InboundCount
			case !errorsIsNotFound(err):
				return err
			}
			if unread > 0 {
				wantUnread++
			}
		}
		got, err := tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: crashWorkspaceID, ViewerID: crashSupervisor})
		if err != nil {
			return err
		}
		if got != wantUnread {
			t.Errorf("unread conversations for %s: store counts %d, recount %d", crashSupervisor, got, wantUnread)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the store: %v", err)
	}

	r.ledger.mu.Lock()
	defer r.ledger.mu.Unlock()
	for _, d := range r.ledger.deliveries {
		sum.posts += d.posts
		if d.posts > 1 {
			sum.redelivered++
		}
		if !d.acked {
			t.Errorf("%s webhook %s was never acknowledged", d.kind, d.msgID)
			continue
		}
		sum.webhooksAcked++
		switch n := byProviderID[d.kind+"/"+d.msgID]; {
		case n == 0:
			sum.lost++
			t.Errorf("acknowledged %s webhook %s is not stored", d.kind, d.msgID)
		case n > 1:
			sum.doubled++
			t.Errorf("acknowledged %s webhook %s is stored %d times", d.kind, d.msgID, n)
		}
	}
	reached := map[string]int{} // reply text → times the emulators accepted it
	for _, m := range r.zalo.Sent() {
		reached[m.Text]++
	}
	for _, m := range r.tiktok.Sent() {
		reached[m.Text]++
	}
	ours := map[string]bool{}
	for _, s := range r.ledger.sends {
		ours[s.text] = true
		if !s.accepted {
			t.Errorf("send %s was never accepted", s.key)
			continue
		}
		sum.sendsAccepted++
		if n := byKey[s.key]; n != 1 {
			t.Errorf("send %s: %d stored messages carry its idempotency key", s.key, n)
		}
		m := messages[s.messageID]
		if m == nil {
			sum.lost++
			t.Errorf("accepted send %s (message %s) is not stored", s.key, s.messageID)
			continue
		}
		n := reached[s.text]
		switch {
		case n > 1:
			sum.doubled++
			t.Errorf("send %s reached the provider %d times", s.key, n)
		case m.Status == omnichannel.MessageFailed && m.FailureReason == "":
			sum.lost++
			t.Errorf("send %s failed without a reason", s.key)
		case m.Status == omnichannel.MessageFailed:
			sum.failedWithReason++
			if m.FailureCode == "delivery_unknown" {
				sum.deliveryUnknown++
				sum.unknownButReached += n
			}
		case n == 0:
			sum.lost++
			t.Errorf("send %s is %s but never reached the provider", s.key, m.Status)
		default:
			sum.sentOnce++
		}
	}
	for text, n := range reached {
		if !ours[text] {
			t.Errorf("the provider got %d message(s) nobody sent through the API: %q", n, text)
		}
	}
	return sum
}

// allConversations lists every conversation of the workspace, page by page.
func allConversations(tx omnichannel.Tx, workspaceID string) ([]*omnichannel.Conversation, error) {
	var out []*omnichannel.Conversation
	q := omnichannel.ConversationQuery{WorkspaceID: workspaceID, Limit: 100}
	for {
		page, err := tx.ListConversations(q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		last := page[len(page)-1]
		q.After = &omnichannel.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
}

func errorsIsNotFound(err error) bool { return errors.Is(err, omnichannel.ErrNotFound) }
