package bigbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

func TestGenerateIsDeterministicAndConsistent(t *testing.T) {
	spec := bigbox.Spec{WorkspaceID: "ws", Conversations: 3000}
	collect := func() ([]*omnichannel.Bulk, bigbox.Totals) {
		var out []*omnichannel.Bulk
		tot, err := bigbox.Generate(t.Context(), spec, 1000, func(b *omnichannel.Bulk) error {
			out = append(out, b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, tot
	}
	a, ta := collect()
	b, tb := collect()
	if ta != tb || len(a) != 3 {
		t.Fatalf("totals %+v vs %+v, %d chunks", ta, tb, len(a))
	}
	if ta.Conversations != 3000 {
		t.Fatalf("conversations %d", ta.Conversations)
	}
	// Average thread length near 10 (two long threads of 200 included).
	if avg := float64(ta.Messages) / 3000; avg < 9 || avg > 11.5 {
		t.Fatalf("average thread length %.2f", avg)
	}
	for ci, chunk := range a {
		for j, c := range chunk.Conversations {
			d := b[ci].Conversations[j]
			if c.ID != d.ID || c.ContactName != d.ContactName || c.LastMessageAt != d.LastMessageAt {
				t.Fatalf("conversation %d differs between runs", j)
			}
		}
		inbound := map[string]int64{}
		last := map[string]int64{}
		for _, m := range chunk.Messages {
			if m.Seq != last[m.ConversationID]+1 {
				t.Fatalf("%s: seq %d after %d", m.ConversationID, m.Seq, last[m.ConversationID])
			}
			last[m.ConversationID] = m.Seq
			if m.Direction == omnichannel.DirectionIn {
				inbound[m.ConversationID]++
			}
		}
		for _, c := range chunk.Conversations {
			if c.InboundCount != inbound[c.ID] || c.LastSeq != last[c.ID] || c.InboundCount == 0 {
				t.Fatalf("%s: inbound %d/%d, last seq %d/%d", c.ID, c.InboundCount, inbound[c.ID], c.LastSeq, last[c.ID])
			}
		}
	}
	if !strings.Contains(bigbox.Name(spec, 7), " ") {
		t.Fatalf("name %q", bigbox.Name(spec, 7))
	}
}

func TestLoadIntoMemoryStoreIsListable(t *testing.T) {
	ctx := t.Context()
	st := memory.New()
	spec := bigbox.Spec{WorkspaceID: "ws", Conversations: 1200}
	tot, err := bigbox.Load(ctx, st, spec, 500)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	q := omnichannel.ConversationQuery{WorkspaceID: "ws", Limit: 200}
	for {
		var page []*omnichannel.Conversation
		if err := st.View(ctx, func(tx omnichannel.Tx) (err error) { page, err = tx.ListConversations(q); return err }); err != nil {
			t.Fatal(err)
		}
		n += len(page)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &omnichannel.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
	if n != tot.Conversations {
		t.Fatalf("listed %d of %d conversations", n, tot.Conversations)
	}
	var thread []*omnichannel.Message
	if err := st.View(ctx, func(tx omnichannel.Tx) (err error) {
		thread, err = tx.ListMessages("ws", bigbox.LongThreadID(), 0, 50)
		return err
	}); err != nil || len(thread) != 50 {
		t.Fatalf("long thread: %d messages, %v", len(thread), err)
	}
}

// Example generates a small workspace and counts what it holds.
func Example() {
	spec := bigbox.Spec{WorkspaceID: "demo", Conversations: 100, MessagesPerConversation: 4}
	tot, err := bigbox.Generate(context.Background(), spec, 50, func(*omnichannel.Bulk) error { return nil })
	fmt.Println(tot.Conversations, tot.Messages > 100, err)
	// Output: 100 true <nil>
}
