package inboxapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// sse is one parsed Server-Sent Event, or a comment line (Comment set).
type sse struct {
	Event   string
	Data    string
	Comment string
	At      time.Time
}

func (s sse) decode(t *testing.T) inboxapi.Event {
	t.Helper()
	var ev inboxapi.Event
	require.NoError(t, json.Unmarshal([]byte(s.Data), &ev), s.Data)
	return ev
}

// stream is an open GET /events of one user.
type stream struct {
	t      *testing.T
	c      chan sse
	cancel context.CancelFunc
	header http.Header
}

// openEvents opens the event stream of user and waits for its first comment (the subscription is
// live from then on).
func (e *env) openEvents(user string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	e.t.Cleanup(cancel)
	req := e.request("GET", "/events", user, nil).WithContext(ctx)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	checkAPIResponse(e.t, req, response{status: resp.StatusCode, header: resp.Header})
	s := &stream{t: e.t, c: make(chan sse, 1024), cancel: cancel, header: resp.Header}
	go func() {
		defer resp.Body.Close()
		defer close(s.c)
		rd := bufio.NewReader(resp.Body)
		var cur sse
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if cur.Event != "" || cur.Data != "" {
					cur.At = time.Now()
					s.c <- cur
				}
				cur = sse{}
			case strings.HasPrefix(line, ":"):
				s.c <- sse{Comment: strings.TrimSpace(line[1:]), At: time.Now()}
			case strings.HasPrefix(line, "event: "):
				cur.Event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				cur.Data = line[len("data: "):]
			}
		}
	}()
	first := s.next(2 * time.Second)
	require.Equal(e.t, "connected", first.Comment)
	return s
}

// next returns the next item (comment or event) within d.
func (s *stream) next(d time.Duration) sse {
	s.t.Helper()
	select {
	case ev, ok := <-s.c:
		require.True(s.t, ok, "stream closed")
		if ev.Event != "" {
			if err := spec(s.t).checkEvent(ev.Event, ev.Data); err != nil {
				s.t.Errorf("openapi: %v", err)
			}
		}
		return ev
	case <-time.After(d):
		s.t.Fatalf("no event within %s", d)
		return sse{}
	}
}

// until returns the events (comments skipped) received up to and including the first one match
// accepts, failing after d.
func (s *stream) until(d time.Duration, match func(sse) bool) []sse {
	s.t.Helper()
	deadline := time.Now().Add(d)
	var got []sse
	for {
		ev := s.next(time.Until(deadline))
		if ev.Comment != "" {
			continue
		}
		got = append(got, ev)
		if match(ev) {
			return got
		}
	}
}

func messageOf(conversationID string) func(sse) bool {
	return func(s sse) bool {
		return s.Event == "message.created" && strings.Contains(s.Data, `"conversationId":"`+conversationID+`"`)
	}
}

func mentions(evs []sse, id string) bool {
	for _, ev := range evs {
		if strings.Contains(ev.Data, id) {
			return true
		}
	}
	return false
}

// TestEventsDeliverVisibleChangesOnly: a new customer message reaches every user who may see it
// within a second; workspace B's events never reach A, another agent's "only me" account never
// reaches an agent, and read states only reach their reader.
func TestEventsDeliverVisibleChangesOnly(t *testing.T) {
	e := newEnv(t)
	sup, agent, other := e.openEvents(supA), e.openEvents(agent2), e.openEvents(supB)
	assert.Equal(t, "text/event-stream; charset=utf-8", sup.header.Get("Content-Type"))

	// Workspace B's message, then a1's only-me account's, then A's shared account's. Each stream
	// delivers in commit order, so what a stream did not get before the last message, it never gets.
	e.inbound(accountB, "cust-b", "m-b-2", "B again")
	e.inbound(accountA2, "cust-a2", "m-a2-2", "only for Minh")
	start := time.Now()
	e.inbound(fakechannel.AccountID, "cust-a", "m-a-2", "Cho mình hỏi giá")

	got := sup.until(time.Second, messageOf(e.convA.ID))
	latency := got[len(got)-1].At.Sub(start)
	assert.Less(t, latency, time.Second)
	t.Logf("customer message → SSE event: %s", latency)
	ev := got[len(got)-1].decode(t)
	assert.Equal(t, "message.created", ev.Kind)
	require.NotNil(t, ev.Message)
	assert.Equal(t, "Cho mình hỏi giá", ev.Message.Text)
	assert.Equal(t, "in", ev.Message.Direction)
	assert.False(t, mentions(got, e.convB.ID), "B's event reached A's supervisor")
	assert.True(t, mentions(got, e.convA2.ID), "the supervisor sees every account")

	// The conversation's summary follows its message.
	got = agent.until(time.Second, func(s sse) bool {
		return s.Event == "conversation.updated" && strings.Contains(s.Data, `"conversationId":"`+e.convA.ID+`"`)
	})
	assert.True(t, mentions(got, "Cho mình hỏi giá"))
	assert.False(t, mentions(got, e.convB.ID), "B's event reached A's agent")
	assert.False(t, mentions(got, e.convA2.ID), "a1's only-me account reached a2")
	var sawConversation bool
	for _, s := range got {
		if s.Event == "conversation.updated" {
			c := s.decode(t).Conversation
			require.NotNil(t, c)
			assert.Equal(t, e.convA.ID, c.ID)
			assert.Equal(t, int64(2), c.Unread, "unread is the viewer's")
			sawConversation = true
		}
	}
	assert.True(t, sawConversation)

	got = other.until(time.Second, messageOf(e.convB.ID))
	assert.False(t, mentions(got, e.convA.ID))
	assert.False(t, mentions(got, e.convA2.ID))

	// Read states go to their reader only.
	require.Equal(t, http.StatusNoContent, e.call("POST", "/conversations/"+e.convA.ID+"/read", supA, nil).status)
	got = sup.until(time.Second, func(s sse) bool { return s.Event == "read.updated" })
	assert.Equal(t, e.convA.ID, got[len(got)-1].decode(t).ConversationID)
	e.inbound(fakechannel.AccountID, "cust-a", "m-a-3", "marker")
	got = agent.until(time.Second, messageOf(e.convA.ID))
	for _, s := range got {
		assert.NotEqual(t, "read.updated", s.Event)
	}
	// B's stream still saw nothing of A.
	e.inbound(accountB, "cust-b", "m-b-3", "B marker")
	got = other.until(time.Second, messageOf(e.convB.ID))
	assert.False(t, mentions(got, e.convA.ID))

	// Outgoing messages and their delivery states stream too.
	e.claim("a2", e.convA)
	r := e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent2, inboxapi.SendRequest{Text: "Dạ 200k ạ", IdempotencyKey: "k"})
	require.Equal(t, http.StatusAccepted, r.status)
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	got = agent.until(time.Second, func(s sse) bool { return s.Event == "message.updated" && strings.Contains(s.Data, `"status":"sent"`) })
	assert.Equal(t, "Dạ 200k ạ", got[len(got)-1].decode(t).Message.Text)
}

func TestEventsHeartbeatAndEndWhenClientLeaves(t *testing.T) {
	e := newEnv(t) // heartbeat every 50 ms in tests
	s := e.openEvents(agent1)
	ev := s.next(time.Second)
	assert.Equal(t, "heartbeat", ev.Comment)
	s.cancel()
	select {
	case <-e.eventsDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not return after the client went away")
	}
}

func TestEventsResyncWhenTheClientLags(t *testing.T) {
	e := newEnv(t, func(_ *oc.Config, c *inboxapi.Config) { c.EventBuffer = 1 })
	s := e.openEvents(supA)
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		e.inbound(fakechannel.AccountID, "cust-lag", fmt.Sprintf("m-lag-%d", i), "x")
		for {
			select {
			case ev := <-s.c:
				if ev.Event == "resync" {
					assert.Equal(t, "{}", ev.Data)
					return
				}
				continue
			default:
			}
			break
		}
	}
	t.Fatal("no resync event although the subscription buffer holds one event")
}
