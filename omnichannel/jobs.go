package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// enqueue inserts a job in the current transaction; workers are woken after the commit.
func (e *Engine) enqueue(tx Tx, ch *change, j *Job) error {
	now := e.now()
	j.ID = newID()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	j.CreatedAt = now
	ch.jobs = true
	return tx.InsertJob(j)
}

func (e *Engine) enqueueMediaJobs(tx Tx, ch *change, conn *Connection, m *Message) error {
	if _, ok := e.channels[conn.Kind].(MediaDownloader); !ok {
		return nil
	}
	for i, a := range m.Attachments {
		if a.RemoteURL == "" || a.BlobKey != "" {
			continue
		}
		if err := e.enqueue(tx, ch, &Job{WorkspaceID: m.WorkspaceID, Kind: JobFetchMedia, ConversationID: m.ConversationID,
			MessageID: m.ID, ConnectionID: conn.ID, Payload: map[string]string{"index": strconv.Itoa(i)}}); err != nil {
			return err
		}
	}
	return nil
}

// sendKinds are the jobs the send workers take: an agent is waiting for them.
var sendKinds = []JobKind{JobSend}

// pool is a set of workers taking jobs of some kinds (all kinds when kinds is nil).
type pool struct {
	kinds   []JobKind
	exclude bool
	size    int
	running int // guarded by the Run loop's mutex
}

// Run processes the engine's durable jobs (sends, media copies, profile fetches, CRM links, history
// syncs) until ctx is cancelled or Close is called. Sends run on their own SendWorkers workers and
// everything else on Workers workers, so background work (a slow media download) never delays a
// reply. Run it in one goroutine per engine process; several processes sharing a store split the
// work safely. With a relay (Config.Relay), Run also listens for the events other processes commit
// and publishes them to this engine's subscribers.
//
// When ctx is cancelled, Run cancels the jobs in progress, releases their leases (another process
// takes them at once) and returns nil. Close is the graceful way: it stops taking jobs and lets
// those in progress finish first (see Close). Run returns ErrClosed after Close and
// ErrAlreadyRunning while another Run of the engine runs.
func (e *Engine) Run(ctx context.Context) error {
	l := &e.life
	if err := l.beginRun(); err != nil {
		return err
	}
	defer l.endRun()
	// jobCtx ends with ctx or when Close's context ends: the jobs in flight are then cancelled.
	jobCtx, cancelJobs := context.WithCancel(ctx)
	defer cancelJobs()
	// loopCtx also ends when Close is called: no new job, no more relayed events.
	loopCtx, cancelLoop := context.WithCancel(jobCtx)
	defer cancelLoop()
	go func() {
		select {
		case <-l.closing:
			cancelLoop()
		case <-jobCtx.Done():
		}
		select {
		case <-l.abort:
			cancelJobs()
		case <-jobCtx.Done():
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.listenRelay(loopCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.maintainFeed(loopCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.maintainWebhooks(loopCtx)
	}()
	pools := []*pool{{kinds: sendKinds, size: e.cfg.SendWorkers}, {kinds: sendKinds, exclude: true, size: e.cfg.Workers}}
	var mu sync.Mutex
	freed := make(chan struct{}, 1) // a full pool got a worker back
	for {
		l.heartbeat()
		more := false
		for _, p := range pools {
			mu.Lock()
			free := p.size - p.running
			mu.Unlock()
			if free <= 0 || loopCtx.Err() != nil {
				continue
			}
			jobs, err := e.claimFor(loopCtx, p, free)
			if err != nil && loopCtx.Err() == nil {
				e.log.Error("dakenh: claiming jobs failed", "err", err)
			}
			mu.Lock()
			p.running += len(jobs)
			mu.Unlock()
			for _, j := range jobs {
				wg.Add(1)
				go func(p *pool, j *Job) {
					defer wg.Done()
					e.runJob(jobCtx, j)
					if jobCtx.Err() != nil {
						e.releaseJob(j)
					}
					mu.Lock()
					wasFull := p.running == p.size
					p.running--
					mu.Unlock()
					if wasFull {
						select {
						case freed <- struct{}{}:
						default:
						}
					}
				}(p, j)
			}
			more = more || len(jobs) == free
		}
		if more && loopCtx.Err() == nil {
			continue
		}
		wait := e.cfg.PollInterval
		if next, err := e.nextJobTime(loopCtx); err == nil && !next.IsZero() {
			if d := next.Sub(e.now()); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-loopCtx.Done():
			t.Stop()
			return nil
		case <-e.wake:
		case <-freed:
		case <-t.C:
		}
		t.Stop()
	}
}

// claimFor claims up to limit jobs of p's kinds.
func (e *Engine) claimFor(ctx context.Context, p *pool, limit int) (jobs []*Job, err error) {
	err = e.store.Update(ctx, func(tx Tx) (err error) {
		jobs, err = tx.ClaimJobsOfKinds(e.id, e.now(), e.cfg.JobLease, limit, p.kinds, p.exclude)
		return err
	})
	return jobs, err
}

// RunDue processes the jobs due now, one at a time, and returns how many ran. Hosts that schedule
// work themselves (and tests) use it instead of Run.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		jobs, err := e.claim(ctx, 1)
		if err != nil || len(jobs) == 0 {
			return n, err
		}
		e.runJob(ctx, jobs[0])
		n++
	}
}

func (e *Engine) claim(ctx context.Context, limit int) ([]*Job, error) {
	var jobs []*Job
	err := e.store.Update(ctx, func(tx Tx) (err error) {
		jobs, err = tx.ClaimJobs(e.id, e.now(), e.cfg.JobLease, limit)
		return err
	})
	return jobs, err
}

func (e *Engine) nextJobTime(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := e.view(ctx, func(tx Tx) (err error) {
		t, err = tx.NextJobTime()
		return err
	})
	return t, err
}

func (e *Engine) runJob(ctx context.Context, j *Job) {
	ctx, span := e.tel.span(ctx, "dakenh.job", AttrJobKind.String(string(j.Kind)), attribute.Int("dakenh.attempt", j.Attempts+1))
	e.tel.jobWait.Record(ctx, max(e.now().Sub(j.RunAt).Seconds(), 0), metric.WithAttributes(AttrJobKind.String(string(j.Kind))))
	var err error
	attempt, kind := j.Attempts+1, j.Kind // before retryOrDrop counts the attempt
	defer func() { e.tel.recordJob(ctx, span, kind, attempt, err, ctx.Err() != nil, e.cfg.MaxSendAttempts) }()
	switch j.Kind {
	case JobSend:
		err = e.runSend(ctx, j)
	case JobFetchMedia:
		err = e.runFetchMedia(ctx, j)
	case JobLinkContact:
		err = e.runLinkContact(ctx, j)
	case JobFetchProfile:
		err = e.runFetchProfile(ctx, j)
	case JobSyncHistory:
		err = e.runSyncHistory(ctx, j)
	default:
		err = fmt.Errorf("unknown job kind %q", j.Kind)
	}
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		return // the lease expires and another run takes it
	}
	e.retryOrDrop(ctx, j, err)
}

// retryOrDrop reschedules a failed job with backoff, or drops it after MaxSendAttempts.
func (e *Engine) retryOrDrop(ctx context.Context, j *Job, cause error) {
	j.Attempts++
	final := j.Attempts >= e.cfg.MaxSendAttempts || !IsRetryable(cause)
	err := e.store.Update(ctx, func(tx Tx) error {
		if final {
			return tx.DeleteJob(j.ID)
		}
		j.RunAt = e.now().Add(e.retryDelay(j.Attempts, cause))
		j.LastError = cause.Error()
		if j.Kind != JobSend {
			// A send job that failed after runSend marked it started may have reached the provider
			// (recording the outcome failed): it stays started, so its next run settles it from the
			// provider id or as delivery unknown instead of sending it a second time.
			j.Started = false
		}
		j.LockedUntil = e.now() // releases the lock; RunAt keeps it waiting
		return tx.UpdateJob(j)
	})
	level := "retrying"
	if final {
		level = "giving up"
	}
	e.log.Warn("dakenh: job failed, "+level, "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", cause)
	if err != nil && !errors.Is(err, ErrConflict) {
		e.log.Error("dakenh: saving job failed", "job", j.ID, "err", err)
	}
}

func (e *Engine) retryDelay(attempt int, cause error) time.Duration {
	d := backoffDelay(attempt, e.cfg.RetryBaseDelay, e.cfg.RetryMaxDelay)
	var pe *ProviderError
	if errors.As(cause, &pe) && pe.RetryAfter > d {
		d = pe.RetryAfter
	}
	return d
}
