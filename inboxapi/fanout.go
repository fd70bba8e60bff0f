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
// records and wire form are read once for all streams (prepared), in one read transaction, the
// workspace's users are read at most once per fanoutUsersTTL, and the viewers' read states of a
// conversation are read once (in that same transaction, in one batch: store.ReadPositionsRead) and
// kept until a read.updated event changes them. What each stream may see is
// then decided in memory with omnichannel.Engine.Visible, so an event costs O(1) store round trips
// whatever the number of streams: on a networked store (PostgreSQL) every round trip is on the
// path of every stream's copy of the event.
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
	// maxPerUser and maxPerWorkspace cap the open streams (Config.MaxStreamsPerUser,
	// MaxStreamsPerWorkspace); set before the first join.
	maxPerUser, maxPerWorkspace int

	mu    sync.Mutex
	feeds map[string]*feed
}

// join returns the feed of workspaceID for a new stream of userID; leave must follow. It returns
// nil, and counts nothing, when userID or the workspace already holds its cap of streams.
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
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if (f.maxPerWorkspace > 0 && fd.refs >= f.maxPerWorkspace) || (f.maxPerUser > 0 && fd.streaming[userID] >= f.maxPerUser) {
		if fd.refs == 0 {
			delete(f.feeds, workspaceID)
		}
		return nil
	}
	fd.refs++
	fd.streaming[userID]++
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

// prepared is what every stream shares of one event. The fields above mu are written by the
// stream that prepares the event before it closes ready, and only read after.
type prepared struct {
	ready chan struct{}             // closed once the event is prepared: every waiting stream wakes at once
	ok    bool                      // false: no stream gets the event
	conv  *omnichannel.Conversation // current record, for visibility (conversation events)
	conn  *omnichannel.Connection   // the conversation's connection, or the event's
	out   Event                     // wire form; out.Conversation.Unread is set per viewer

	mu     sync.Mutex
	frames map[int64][]byte // the SSE frame by viewer's unread count (-1: no conversation)
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

// prepare returns ev's shared part, reading the store the first time a stream asks for it; the
// streams asking meanwhile wait for that read and are all woken together when it is done. Every
// stream calls it for every event it receives, so read.updated reaches the read-state cache
// before the stream judges later events.
func (fd *feed) prepare(ctx context.Context, h *handler, ev omnichannel.Event) *prepared {
	fd.mu.Lock()
	p := fd.prepared[ev]
	if p != nil {
		fd.mu.Unlock()
		<-p.ready
		return p
	}
	p = &prepared{ready: make(chan struct{})}
	if len(fd.ring) < fanoutPreparedMax {
		fd.ring = append(fd.ring, ev)
	} else {
		delete(fd.prepared, fd.ring[fd.next])
		fd.ring[fd.next] = ev
		fd.next = (fd.next + 1) % fanoutPreparedMax
	}
	fd.prepared[ev] = p
	fd.mu.Unlock()
	defer close(p.ready)
	p.ok = fd.compute(ctx, h, ev, p) == nil
	return p
}

// compute reads what every stream needs of ev in one read transaction: the current conversation
// and its connection (or the event's connection), the customer's avatar, the quoted message's id,
// and, the first time the feed meets the conversation, the read positions of every streaming user.
func (fd *feed) compute(ctx context.Context, h *handler, ev omnichannel.Event, p *prepared) error {
	// The context is the first stream's; its end must not spoil the event for the others.
	ctx = context.WithoutCancel(ctx)
	p.out = Event{Kind: string(ev.Kind), ConversationID: ev.ConversationID, MessageID: ev.MessageID, ConnectionID: ev.ConnectionID}
	switch {
	case ev.Kind == omnichannel.EventReadUpdated:
		fd.readChanged(ev.ConversationID, ev.UserID)
		return nil
	case ev.ConversationID == "" && ev.Kind != omnichannel.EventConnectionUpdated:
		return errors.New("inboxapi: an event kind the stream does not send")
	case ev.Conversation != nil && ev.Conversation.WorkspaceID != fd.ws,
		ev.Message != nil && ev.Message.WorkspaceID != fd.ws:
		return omnichannel.ErrNotFound
	}
	if ev.Kind == omnichannel.EventConversationOpened {
		// Nobody has read a conversation that did not exist before this event.
		fd.conversationOpened(ev.ConversationID)
	}
	var load *readsLoad
	if ev.Conversation != nil {
		load = fd.startReadsLoad(ev.Conversation.ID, "")
	}
	var avatar, quote string
	err := h.eng.ReadWorkspace(ctx, fd.ws, func(rd *omnichannel.WorkspaceReader) error {
		var err error
		if ev.ConversationID != "" {
			if p.conv, err = rd.Conversation(ev.ConversationID); err != nil {
				return err
			}
			if p.conn, err = rd.Connection(p.conv.ConnectionID); err != nil {
				return err
			}
		} else if p.conn, err = rd.Connection(ev.ConnectionID); err != nil {
			return err
		}
		if ev.Conversation != nil {
			if avatar, err = avatarOf(rd, ev.Conversation); err != nil {
				return err
			}
		}
		if ev.Message != nil {
			if quote, err = quoteOf(rd, ev.Message); err != nil {
				return err
			}
		}
		if load != nil {
			load.read, err = rd.ReadPositions(ev.Conversation.ID, load.users)
		}
		return err
	})
	if load != nil {
		fd.finishReadsLoad(load, err)
	}
	if err != nil {
		return err
	}
	if ev.Conversation != nil {
		c := conversationWire(ev.Conversation, 0, avatar)
		p.out.Conversation = &c
	}
	if ev.Message != nil {
		m := messageWire(ev.Message, quote)
		p.out.Message = &m
	}
	return nil
}

// frame is the event's SSE frame ("event: …", "data: …" and the blank line) with the viewer's
// unread count (ignored without a conversation), marshalled once per distinct count.
func (p *prepared) frame(unread int64) ([]byte, error) {
	if p.out.Conversation == nil {
		unread = -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.frames[unread]; ok {
		return b, nil
	}
	out := p.out
	if out.Conversation != nil {
		c := *out.Conversation
		c.Unread = unread
		out.Conversation = &c
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	b := appendSSE(nil, out.Kind, data)
	if p.frames == nil {
		p.frames = map[int64][]byte{}
	}
	p.frames[unread] = b
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
		err := fd.eng.ReadWorkspace(context.WithoutCancel(ctx), fd.ws, func(rd *omnichannel.WorkspaceReader) error {
			var err error
			users, err = rd.Users()
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

// readsLoad is a claimed first load of a conversation's read positions (see startReadsLoad).
type readsLoad struct {
	conversationID string
	cr             *convReads
	users          []string         // every streaming user, and the one who asked
	read           map[string]int64 // the positions read, set by the loader
}

// startReadsLoad claims the first load of the read positions of conversationID for every user
// streaming (and userID, when not empty): it returns nil when the feed has them or another stream
// is loading them. finishReadsLoad must follow a non-nil result; streams needing a position
// meanwhile wait for it.
func (fd *feed) startReadsLoad(conversationID, userID string) *readsLoad {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.reads[conversationID] != nil {
		return nil
	}
	return fd.startReadsLoadLocked(conversationID, userID)
}

// startReadsLoadLocked is startReadsLoad with fd.mu held and no entry for conversationID.
func (fd *feed) startReadsLoadLocked(conversationID, userID string) *readsLoad {
	cr := &convReads{ready: make(chan struct{}), known: map[string]int64{}}
	fd.putReads(conversationID, cr)
	users := make([]string, 0, len(fd.streaming)+1)
	for id := range fd.streaming {
		users = append(users, id)
	}
	if userID != "" && fd.streaming[userID] == 0 {
		users = append(users, userID)
	}
	return &readsLoad{conversationID: conversationID, cr: cr, users: users}
}

// finishReadsLoad stores the positions l read (a read.updated seen meanwhile wins) and wakes the
// streams waiting for them; after an error the entry is dropped, so the next need loads again.
func (fd *feed) finishReadsLoad(l *readsLoad, err error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if err == nil {
		for id, n := range l.read {
			if _, set := l.cr.known[id]; !set {
				l.cr.known[id] = n
			}
		}
	}
	close(l.cr.ready)
	if err != nil && fd.reads[l.conversationID] == l.cr {
		delete(fd.reads, l.conversationID)
	}
}

// unread counts the customer messages of the snapshot c that userID has not read. The positions
// of every streaming user are loaded once per conversation, usually along with the event (see
// compute); later streams (and users who join later) find them cached.
func (fd *feed) unread(ctx context.Context, userID string, c *omnichannel.Conversation) (int64, error) {
	ctx = context.WithoutCancel(ctx)
	for {
		fd.mu.Lock()
		cr := fd.reads[c.ID]
		if cr == nil {
			// Load every streaming user's position; the others wait for it.
			l := fd.startReadsLoadLocked(c.ID, userID)
			fd.mu.Unlock()
			var err error
			l.read, err = fd.readPositions(ctx, c.ID, l.users)
			fd.finishReadsLoad(l, err)
			if err != nil {
				return 0, err
			}
			return unreadAfter(c, l.read[userID]), nil
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

// readPositions reads the users' positions in the conversation (0 for one who never read it), in
// one batch (omnichannel.WorkspaceReader.ReadPositions).
func (fd *feed) readPositions(ctx context.Context, conversationID string, users []string) (map[string]int64, error) {
	var out map[string]int64
	err := fd.eng.ReadWorkspace(ctx, fd.ws, func(rd *omnichannel.WorkspaceReader) error {
		var err error
		out, err = rd.ReadPositions(conversationID, users)
		return err
	})
	return out, err
}

// unreadAfter is c's unread count for a viewer whose last read saw readCount inbound messages.
func unreadAfter(c *omnichannel.Conversation, readCount int64) int64 {
	return max(c.InboundCount-readCount, 0)
}
