package omnichannel

import (
	"context"
	"sync"
)

// SubscribeOptions select the events a subscriber receives.
type SubscribeOptions struct {
	// WorkspaceID limits events to one workspace; "" receives every workspace (for hosts).
	WorkspaceID string
	// Buffer is the channel capacity (default 256). When a subscriber falls behind by a full buffer,
	// further events are dropped for it and Lagged reports it, so it can re-read the state.
	Buffer int
}

// Subscription is a live feed of events, ended by cancelling the context given to Subscribe.
type Subscription struct {
	// C delivers events in commit order (per engine process). It is closed when the subscription ends.
	C <-chan Event

	c      chan Event
	ws     string
	mu     sync.Mutex
	lagged bool
	closed bool
}

// Lagged reports (and clears) whether events were dropped since the last call.
func (s *Subscription) Lagged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lagged
	s.lagged = false
	return l
}

type bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

func (b *bus) subscribe(ctx context.Context, o SubscribeOptions) *Subscription {
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	c := make(chan Event, o.Buffer)
	s := &Subscription{C: c, c: c, ws: o.WorkspaceID}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*Subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
		s.mu.Lock()
		s.closed = true
		close(s.c)
		s.mu.Unlock()
	}()
	return s
}

func (b *bus) publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		s.mu.Lock()
		for _, ev := range evs {
			if s.closed || (s.ws != "" && s.ws != ev.WorkspaceID) {
				continue
			}
			select {
			case s.c <- ev:
			default:
				s.lagged = true
			}
		}
		s.mu.Unlock()
	}
}
