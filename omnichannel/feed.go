package omnichannel

import (
	"context"
	"encoding/json"
	"iter"
	"time"
	"unicode/utf8"
)

// The durable event feed. Every change the engine commits (Engine.update and its grouped form)
// writes its events into the store's feed in its own transaction (store.FeedTx.AppendFeed), so an
// event is in the feed if and only if its change committed, on every store and across processes.
// A host reads the feed with Events and keeps its cursor (the last Position it handled); Run
// numbers entries on stores that need it (store.FeedSequencer) and prunes entries older than
// Config.FeedRetention.

// feedPage is how many entries Events reads from the store at a time.
const feedPage = 256

// feedPruneBatch bounds the entries one prune transaction removes.
const feedPruneBatch = 5000

// feedPruneEvery is how often, by the engine's clock, Run prunes the feed.
const feedPruneEvery = time.Minute

// Events returns the workspace's feed entries with Position > after, in position order, reading
// pages from the store as the caller iterates; it ends when it has returned every entry committed
// (and, on PostgreSQL, numbered) by the time it read its last page. The caller keeps the cursor:
// it saves the Position of each entry it has handled and passes the saved value as after to its
// next call, after a restart too, so it sees each entry at least once (exactly once per cursor
// position when it saves the cursor after handling each entry). Positions increase in commit
// order, so a later call never finds a new entry at or before a position already returned.
// Entries older than Config.FeedRetention may have been pruned. An error (the store's, or ctx's)
// is yielded once, with a zero entry, and ends the sequence.
func (e *Engine) Events(ctx context.Context, workspaceID string, after int64) iter.Seq2[FeedEntry, error] {
	return func(yield func(FeedEntry, error) bool) {
		for {
			page, err := e.feedPage(ctx, workspaceID, after, feedPage)
			if err != nil {
				yield(FeedEntry{}, err)
				return
			}
			for _, en := range page {
				if !yield(en, nil) {
					return
				}
				after = en.Position
			}
			if len(page) < feedPage {
				return
			}
		}
	}
}

// feedPage numbers the committed entries when the store needs it, then reads one page.
func (e *Engine) feedPage(ctx context.Context, workspaceID string, after int64, limit int) ([]FeedEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.sequenceFeed(ctx); err != nil {
		return nil, err
	}
	var page []FeedEntry
	err := e.view(ctx, func(tx Tx) (err error) {
		page, err = tx.ListFeed(workspaceID, after, limit)
		return err
	})
	return page, err
}

// sequenceFeed numbers the committed feed entries on stores that number them after commit.
func (e *Engine) sequenceFeed(ctx context.Context) error {
	if s, ok := e.store.(FeedSequencer); ok {
		return s.SequenceFeed(ctx)
	}
	return nil
}

// appendFeed writes the events of a change into the feed, in tx.
func (e *Engine) appendFeed(tx Tx, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	entries := make([]FeedEntry, 0, len(events))
	for _, ev := range events {
		if ev.WorkspaceID == "" {
			continue
		}
		at := ev.At
		if at.IsZero() {
			at = e.now()
		}
		entries = append(entries, FeedEntry{WorkspaceID: ev.WorkspaceID, Kind: ev.Kind,
			ConversationID: ev.ConversationID, MessageID: ev.MessageID, ConnectionID: ev.ConnectionID,
			UserID: ev.UserID, At: at, Data: feedData(ev)})
	}
	return tx.AppendFeed(entries)
}

// feedData is the entry's FeedData snapshot (no text, names or secrets), nil when there is none.
func feedData(ev Event) json.RawMessage {
	var d FeedData
	if c := ev.Conversation; c != nil {
		d.Status, d.AssigneeID, d.TeamID, d.ContactID, d.Channel = c.Status, c.AssigneeID, c.TeamID, c.ContactID, c.ChannelKind
	}
	if m := ev.Message; m != nil {
		d.Direction, d.MessageType, d.MessageStatus, d.Seq = m.Direction, m.Type, m.Status, m.Seq
		d.TextLength, d.Attachments = utf8.RuneCountInString(m.Text), len(m.Attachments)
	}
	d.EndpointID, d.Failures, d.RecordID = ev.EndpointID, ev.Failures, ev.RecordID
	if ev.ContactID != "" {
		d.ContactID = ev.ContactID
	}
	if d == (FeedData{}) {
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil { // FeedData holds strings and numbers only
		return nil
	}
	return b
}

// maintainFeed numbers committed entries (on stores that need it) every PollInterval and prunes
// expired ones, and the outgoing webhooks' delivery log entries as old, every feedPruneEvery of
// the engine's clock, until ctx ends.
func (e *Engine) maintainFeed(ctx context.Context) {
	var lastPrune time.Time
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := e.sequenceFeed(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("dakenh: numbering feed entries failed", "err", err)
		}
		if now := e.now(); lastPrune.IsZero() || now.Sub(lastPrune) >= feedPruneEvery || now.Before(lastPrune) {
			_, err := e.PruneFeed(ctx)
			if err == nil {
				err = e.pruneWebhookLog(ctx)
			}
			if err != nil && ctx.Err() == nil {
				e.log.Warn("dakenh: pruning the event feed failed", "err", err)
			} else {
				lastPrune = now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PruneFeed removes the feed entries older than Config.FeedRetention by the engine's clock and
// returns how many it removed. Run calls it periodically; hosts that do not call Run may call it.
func (e *Engine) PruneFeed(ctx context.Context) (int, error) {
	before := e.now().Add(-e.cfg.FeedRetention)
	total := 0
	for {
		var n int
		err := e.store.Update(ctx, func(tx Tx) (err error) {
			n, err = tx.PruneFeed(before, feedPruneBatch)
			return err
		})
		total += n
		if err != nil || n < feedPruneBatch {
			return total, err
		}
	}
}

// pruneWebhookLog removes the outgoing webhook delivery log entries older than FeedRetention.
func (e *Engine) pruneWebhookLog(ctx context.Context) error {
	before := e.now().Add(-e.cfg.FeedRetention)
	for {
		var n int
		err := e.store.Update(ctx, func(tx Tx) (err error) {
			n, err = tx.PruneWebhookDeliveries(before, feedPruneBatch)
			return err
		})
		if err != nil || n < feedPruneBatch {
			return err
		}
	}
}
