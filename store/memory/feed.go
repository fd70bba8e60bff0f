package memory

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// The feed: each workspace keeps its entries in position order. Update holds the store's write
// lock for the whole transaction, so positions handed out at AppendFeed follow the commit order.

// AppendFeed numbers the entries and appends them to their workspaces' feeds (store.FeedTx).
func (t *txn) AppendFeed(entries []omnichannel.FeedEntry) error {
	if err := t.writing(); err != nil {
		return err
	}
	for _, en := range entries {
		t.s.d.feedPosition++
		en.Position = t.s.d.feedPosition
		en.Data = cloneData(en.Data)
		w := t.wsw(en.WorkspaceID)
		old := w.feed
		t.undo = append(t.undo, func() { w.feed = old })
		w.feed = append(slices.Clip(old), en)
	}
	return nil
}

// ListFeed returns up to limit entries of the workspace after the position (store.FeedTx).
func (t *txn) ListFeed(workspaceID string, after int64, limit int) ([]omnichannel.FeedEntry, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	feed := t.ws(workspaceID).feed
	i := sort.Search(len(feed), func(i int) bool { return feed[i].Position > after })
	var out []omnichannel.FeedEntry
	for ; i < len(feed) && len(out) < limit; i++ {
		en := feed[i]
		en.Data = cloneData(en.Data)
		out = append(out, en)
	}
	return out, nil
}

// PruneFeed removes up to limit entries older than before, in position order across workspaces,
// stopping at the first entry that is not older (store.FeedTx).
func (t *txn) PruneFeed(before time.Time, limit int) (int, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	// The oldest position that must stay: the first entry, in position order, not older than before.
	keep := int64(-1)
	for _, w := range t.s.d.workspaces {
		for _, en := range w.feed {
			if !en.At.Before(before) {
				if keep < 0 || en.Position < keep {
					keep = en.Position
				}
				break
			}
		}
	}
	var old []int64
	for _, w := range t.s.d.workspaces {
		for _, en := range w.feed {
			if keep >= 0 && en.Position >= keep {
				break
			}
			old = append(old, en.Position)
		}
	}
	slices.Sort(old)
	if len(old) > limit {
		old = old[:max(limit, 0)]
	}
	if len(old) == 0 {
		return 0, nil
	}
	last := old[len(old)-1]
	for _, w := range t.s.d.workspaces {
		t.filterFeed(w, func(en omnichannel.FeedEntry) bool { return en.Position > last })
	}
	return len(old), nil
}

// DeleteConversationsFeed removes the workspace's entries naming the conversations (store.FeedTx).
func (t *txn) DeleteConversationsFeed(workspaceID string, conversationIDs []string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if w, ok := t.s.d.workspaces[workspaceID]; ok {
		t.filterFeed(w, func(en omnichannel.FeedEntry) bool { return !slices.Contains(conversationIDs, en.ConversationID) })
	}
	return nil
}

// DeleteWorkspaceFeed removes every entry of the workspace (store.FeedTx).
func (t *txn) DeleteWorkspaceFeed(workspaceID string) error {
	if err := t.writing(); err != nil {
		return err
	}
	if w, ok := t.s.d.workspaces[workspaceID]; ok {
		t.filterFeed(w, func(omnichannel.FeedEntry) bool { return false })
	}
	return nil
}

// filterFeed keeps the entries of w's feed for which keep is true, logging the undo.
func (t *txn) filterFeed(w *workspace, keep func(omnichannel.FeedEntry) bool) {
	old := w.feed
	var kept []omnichannel.FeedEntry
	for _, en := range old {
		if keep(en) {
			kept = append(kept, en)
		}
	}
	if len(kept) == len(old) {
		return
	}
	t.undo = append(t.undo, func() { w.feed = old })
	w.feed = kept
}

func cloneData(d json.RawMessage) json.RawMessage {
	if d == nil {
		return nil
	}
	return slices.Clone(d)
}
