package inboxapi

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// The SSE streams of one handler share their store work per workspace (a feed): each event's
// records and wire form are read once for all streams (prepared), the workspace's users are read
// at most once per fanoutUsersTTL, and the viewers' read states of a conversation are read once and
// kept until a read.updated event changes them. What each stream may see is then decided in memory
// with omnichannel.Engine.Visible, so an event costs O(1) store reads whatever the number of
// streams.
const (
	// fanoutUsersTTL bounds how long a stream judges with a user record it read earlier (a role
	// change or a deactivation, which emit no event, reaches live streams within it).
	fanoutUsersTTL = time.Second
	// fanoutPreparedMax is how many recent events a feed keeps prepared; a stream further behind
	// than that prepares the event again (correct, only slower).
	fanoutPreparedMax = 4096
	// fanoutReadsMax bounds the conversations whose read states a feed keeps; past it the feed
	// starts over.
	fanoutReadsMax = 20000
)

// fanout holds the feeds of the workspaces that have streams open. The zero value is ready.
type fanout struct {
	mu    sync.Mutex
	feeds map[string]*feed
}

// join returns the feed of workspaceID for a new stream of userID; leave must follow.
func (f *fanout) join(eng *omnichannel.Engine, workspaceID, userID string) *feed {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.feeds == nil {
		f.feeds = map[string]*feed{}
	}
	fd := f.feeds[workspaceID]
	if fd == nil {
		fd = &feed{eng: eng, ws: workspaceID, streaming: map[string]int{},
			prepared: map[omnichannel.Event]*prepared{}, reads: map[string]*convReads{}}
		f.feeds[workspaceID] = fd
	}
	fd.refs++
	fd.mu.Lock()
	fd.streaming[userID]++
	fd.mu.Unlock()
	return fd
}

// leave ends a stream of userID; the last stream of a workspace drops its feed, so nothing cached
// outlives the events that keep it current.
func (f *fanout) leave(fd *feed, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd.mu.Lock()
	if fd.streaming[userID]--; fd.streaming[userID] <= 0 {
		delete(fd.streaming, userID)
	}
	fd.mu.Unlock()
	if fd.refs--; fd.refs == 0 && f.feeds[fd.ws] == fd {
		delete(f.feeds, fd.ws)
	}
}

// feed is the shared state of one workspace's streams.
type feed struct {
	eng  *omnichannel.Engine
	ws   string
	refs int // guarded by fanout.mu

	mu        sync.Mutex
	streaming map[string]int // user id → open streams
	prepared  map[omnichannel.Event]*prepared
	ring      []omnichannel.Event // prepared's keys, oldest first once full
	next      int
	users     map[string]*omnichannel.User
	usersAt   time.Time
	reads     map[string]*convReads // by conversation id

	usersMu sync.Mutex // one reload of users at a time
}

// prepared is what every stream shares of one event.
type prepared struct {
	once sync.Once
	ok   bool                      // false: no stream gets the event
	conv *omnichannel.Conversation // current record, for visibility (conversation events)
	conn *omnichannel.Connection   // the conversation's connection, or the event's
	out  Event                     // wire form; out.Conversation.Unread is set per viewer

	mu   sync.Mutex
	data map[int64][]byte // marshalled wire form by viewer's unread count (-1: no conversation)
}

// convReads are viewers' read positions in one conversation: the conversation's InboundCount at
// their last read.
type convReads struct {
	ready    chan struct{} // closed once the first load is done
	complete bool          // a user absent from known has never read the conversation
	known    map[string]int64
	gen      uint64 // bumped by every read.updated of the conversation
}

// unknownRead marks a user whose read position must be read again.
const unknownRead = -1

// prepare returns ev's shared part, reading the store the first time a stream asks for it. Every
// stream calls it for every event it receives, so read.updated reaches the read-state cache
// before the stream judges later events.
func (fd *feed) prepare(ctx context.Context, h *handler, ev omnichannel.Event) *prepared {
	fd.mu.Lock()
	p := fd.prepared[ev]
	if p == nil {
		p = &prepared{}
		if len(fd.ring) < fanoutPreparedMax {
			fd.ring = append(fd.ring, ev)
		} else {
			delete(fd.prepared, fd.ring[fd.next])
			fd.ring[fd.next] = ev
			fd.next = (fd.next + 1) % fanoutPreparedMax
		}
		fd.prepared[ev] = p
	}
	fd.mu.Unlock()
	p.once.Do(func() { p.ok = fd.compute(ctx, h, ev, p) == nil })
	return p
}

func (fd *feed) compute(ctx context.Context, h *handler, ev omnichannel.Event, p *prepared) error {
	// The context is the first stream's; its end must not spoil the event for the others.
	ctx = context.WithoutCancel(ctx)
	p.out = Event{Kind: string(ev.Kind), ConversationID: ev.ConversationID, MessageID: ev.MessageID, ConnectionID: ev.ConnectionID}
	switch {
	case ev.Kind == omnichannel.EventReadUpdated:
		fd.readChanged(ev.ConversationID, ev.UserID)
		return nil
	case ev.ConversationID != "":
		err := h.eng.Store().View(ctx, func(tx omnichannel.Tx) error {
			c, err := tx.GetConversation(fd.ws, ev.ConversationID)
			if err != nil {
				return err
			}
			conn, err := tx.GetConnection(fd.ws, c.ConnectionID)
			p.conv, p.conn = c, conn
			return err
		})
		if err != nil {
			return err
		}
		if ev.Kind == omnichannel.EventConversationOpened {
			fd.conversationOpened(ev.ConversationID)
		}
	case ev.Kind == omnichannel.EventConnectionUpdated:
		err := h.eng.Store().View(ctx, func(tx omnichannel.Tx) error {
			var err error
			p.conn, err = tx.GetConnection(fd.ws, ev.ConnectionID)
			return err
		})
		if err != nil {
			return err
		}
	default:
		return errors.New("inboxapi: an event kind the stream does not send")
	}
	ws := &omnichannel.User{WorkspaceID: fd.ws}
	if ev.Conversation != nil {
		c, err := h.conversationsFor(ctx, ws, []*omnichannel.Conversation{ev.Conversation}, map[string]int64{})
		if err != nil || len(c) == 0 {
			return errors.Join(err, omnichannel.ErrNotFound)
		}
		p.out.Conversation = &c[0]
	}
	if ev.Message != nil {
		m, err := h.messageFor(ctx, ws, ev.Message)
		if err != nil {
			return err
		}
		p.out.Message = &m
	}
	return nil
}

// bytes is the wire form with the viewer's unread count (ignored without a conversation).
func (p *prepared) bytes(unread int64) ([]byte, error) {
	if p.out.Conversation == nil {
		unread = -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.data[unread]; ok {
		return b, nil
	}
	out := p.out
	if out.Conversation != nil {
		c := *out.Conversation
		c.Unread = unread
		out.Conversation = &c
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	if p.data == nil {
		p.data = map[int64][]byte{}
	}
	p.data[unread] = b
	return b, nil
}

// user returns the workspace's user id as read within fanoutUsersTTL; nil when there is none.
func (fd *feed) user(ctx context.Context, id string) (*omnichannel.User, error) {
	fd.mu.Lock()
	if time.Since(fd.usersAt) < fanoutUsersTTL {
		u := fd.users[id]
		fd.mu.Unlock()
		return u, nil
	}
	fd.mu.Unlock()
	fd.usersMu.Lock()
	defer fd.usersMu.Unlock()
	fd.mu.Lock()
	fresh := time.Since(fd.usersAt) < fanoutUsersTTL
	fd.mu.Unlock()
	if !fresh {
		var users []*omnichannel.User
		err := fd.eng.Store().View(context.WithoutCancel(ctx), func(tx omnichannel.Tx) error {
			var err error
			users, err = tx.ListUsers(fd.ws)
			return err
		})
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*omnichannel.User, len(users))
		for _, u := range users {
			byID[u.ID] = u
		}
		fd.mu.Lock()
		fd.users, fd.usersAt = byID, time.Now()
		fd.mu.Unlock()
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.users[id], nil
}

// conversationOpened records that nobody has read the new conversation yet (unless a read of it
// was seen already).
func (fd *feed) conversationOpened(conversationID string) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.reads[conversationID] == nil {
		fd.putReads(conversationID, &convReads{ready: closedChan, complete: true, known: map[string]int64{}})
	}
}

// readChanged forgets userID's read position in the conversation.
func (fd *feed) readChanged(conversationID, userID string) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	cr := fd.reads[conversationID]
	if cr == nil {
		cr = &convReads{ready: closedChan, known: map[string]int64{}}
		fd.putReads(conversationID, cr)
	}
	cr.known[userID] = unknownRead
	cr.gen++
}

// forgetReads drops every cached read position (a stream lost events, maybe a read.updated).
func (fd *feed) forgetReads() {
	fd.mu.Lock()
	clear(fd.reads)
	fd.mu.Unlock()
}

// putReads stores cr; fd.mu is held.
func (fd *feed) putReads(conversationID string, cr *convReads) {
	if len(fd.reads) >= fanoutReadsMax {
		clear(fd.reads)
	}
	fd.reads[conversationID] = cr
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// unread counts the customer messages of the snapshot c that userID has not read. The first
// stream to need a conversation reads the positions of every user streaming in one transaction;
// later ones (and users who join later) find them cached.
func (fd *feed) unread(ctx context.Context, userID string, c *omnichannel.Conversation) (int64, error) {
	ctx = context.WithoutCancel(ctx)
	for {
		fd.mu.Lock()
		cr := fd.reads[c.ID]
		if cr == nil {
			// Load every streaming user's position; the others wait for it.
			cr = &convReads{ready: make(chan struct{}), known: map[string]int64{}}
			fd.putReads(c.ID, cr)
			users := make([]string, 0, len(fd.streaming)+1)
			for id := range fd.streaming {
				users = append(users, id)
			}
			if fd.streaming[userID] == 0 {
				users = append(users, userID)
			}
			fd.mu.Unlock()
			read, err := fd.readPositions(ctx, c.ID, users)
			fd.mu.Lock()
			for id, n := range read {
				if _, set := cr.known[id]; !set { // a read.updated meanwhile wins
					cr.known[id] = n
				}
			}
			close(cr.ready)
			if err != nil && fd.reads[c.ID] == cr {
				delete(fd.reads, c.ID)
			}
			fd.mu.Unlock()
			if err != nil {
				return 0, err
			}
			return unreadAfter(c, read[userID]), nil
		}
		select {
		case <-cr.ready:
		default:
			fd.mu.Unlock()
			<-cr.ready
			continue
		}
		n, ok := cr.known[userID]
		if ok && n != unknownRead {
			fd.mu.Unlock()
			return unreadAfter(c, n), nil
		}
		if !ok && cr.complete {
			fd.mu.Unlock()
			return unreadAfter(c, 0), nil
		}
		gen := cr.gen
		fd.mu.Unlock()
		read, err := fd.readPositions(ctx, c.ID, []string{userID})
		if err != nil {
			return 0, err
		}
		fd.mu.Lock()
		if cr.gen == gen {
			cr.known[userID] = read[userID]
		}
		fd.mu.Unlock()
		return unreadAfter(c, read[userID]), nil
	}
}

// readPositions reads the users' positions in the conversation (0 for one who never read it).
func (fd *feed) readPositions(ctx context.Context, conversationID string, users []string) (map[string]int64, error) {
	out := make(map[string]int64, len(users))
	err := fd.eng.Store().View(ctx, func(tx omnichannel.Tx) error {
		for _, id := range users {
			rs, err := tx.GetReadState(fd.ws, id, conversationID)
			switch {
			case errors.Is(err, omnichannel.ErrNotFound):
				out[id] = 0
			case err != nil:
				return err
			default:
				out[id] = rs.InboundCount
			}
		}
		return nil
	})
	return out, err
}

// unreadAfter is c's unread count for a viewer whose last read saw readCount inbound messages.
func unreadAfter(c *omnichannel.Conversation, readCount int64) int64 {
	return max(c.InboundCount-readCount, 0)
}
