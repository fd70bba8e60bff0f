package omnichannel

import (
	"context"
	"errors"
	"sync"
	"time"
)

// lifecycle is the state Run, Close, Ready and Alive share.
type lifecycle struct {
	mu       sync.Mutex
	started  bool          // Run was called
	running  bool          // Run has not returned
	closing  chan struct{} // closed by Close: take no new jobs, stop the relay listener
	abort    chan struct{} // closed when Close's context ends: cancel and release the jobs in flight
	done     chan struct{} // closed when Run returns
	beat     time.Time     // the Run loop's last turn (monotonic clock)
	initOnce sync.Once
}

func (l *lifecycle) init() {
	l.initOnce.Do(func() {
		l.closing, l.abort, l.done = make(chan struct{}), make(chan struct{}), make(chan struct{})
	})
}

// ErrClosed is returned by Run on an engine that Close has been called on.
var ErrClosed = errors.New("omnichannel: engine closed")

// ErrAlreadyRunning is returned by a second Run of one engine.
var ErrAlreadyRunning = errors.New("omnichannel: Run is already running")

// beginRun marks Run as running; an error when it is, or when Close was called.
func (l *lifecycle) beginRun() error {
	l.init()
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.closing:
		return ErrClosed
	default:
	}
	if l.running {
		return ErrAlreadyRunning
	}
	if l.started { // a Run that returned (its ctx ended) may be run again
		l.done = make(chan struct{})
	}
	l.started, l.running, l.beat = true, true, time.Now()
	return nil
}

// endRun marks Run as returned.
func (l *lifecycle) endRun() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = false
	close(l.done)
}

// heartbeat records a turn of the Run loop.
func (l *lifecycle) heartbeat() {
	l.mu.Lock()
	l.beat = time.Now()
	l.mu.Unlock()
}

// Close shuts the engine's background work down: Run stops taking new jobs and stops listening for
// other processes' events at once; the jobs in flight are let finish until ctx ends; the ones still
// running then are cancelled and released (their lease given up, so another engine process takes
// them at once instead of after JobLease). Close returns once Run has returned, with ctx's error
// when ctx ended before the jobs in flight finished, nil otherwise. Run returns nil after Close.
// After Close, Run returns ErrClosed and Ready reports the engine not ready. Close does not close
// the Store (the host opened it; close it after Close returns). Calling Close without Run, or twice,
// is safe.
func (e *Engine) Close(ctx context.Context) error {
	l := &e.life
	l.init()
	l.mu.Lock()
	select {
	case <-l.closing:
	default:
		close(l.closing)
	}
	running, done := l.running, l.done
	l.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	select {
	case <-l.abort:
	default:
		close(l.abort)
	}
	l.mu.Unlock()
	<-done
	return ctx.Err()
}

// releaseJob gives up j's lease after its run was cancelled, so that another process takes it at
// once. A job that finished (deleted) or was rescheduled meanwhile is left as it is.
func (e *Engine) releaseJob(j *Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.store.Update(ctx, func(tx Tx) error {
		j.LockedUntil = e.now()
		return tx.UpdateJob(j)
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrConflict) {
		e.log.Warn("dakenh: releasing an interrupted job failed", "job", j.ID, "kind", j.Kind, "err", err)
	}
}

// MigrationsReporter is implemented by stores that can tell whether their schema is current
// (Ready uses it when the Store implements it).
type MigrationsReporter interface {
	// MigrationsPending returns how many migrations this build knows that the database lacks.
	MigrationsPending(ctx context.Context) (int, error)
}

// Readiness problems (HealthError.Code).
const (
	HealthStoreUnreachable  = "store_unreachable"
	HealthMigrationsPending = "migrations_pending"
	HealthWorkersStopped    = "workers_stopped"
	HealthWorkersStuck      = "workers_stuck"
)

// HealthError is why Ready or Alive fails: a stable Code (the Health* constants) and the cause,
// which may hold a store's error text (log it; HealthHandler never shows it).
type HealthError struct {
	Code string
	Err  error
}

// Error says what is wrong.
func (e *HealthError) Error() string {
	if e.Err == nil {
		return "omnichannel: not healthy: " + e.Code
	}
	return "omnichannel: not healthy: " + e.Code + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *HealthError) Unwrap() error { return e.Err }

// Ready reports whether the engine can serve: the store answers a read, its migrations are
// current (when the Store implements MigrationsReporter), and, once Run has been called, Run is
// still running and Close has not been called (so a load balancer drains a process that is
// shutting down). An engine whose host never calls Run (it schedules RunDue itself) is ready
// without workers. The error is a *HealthError.
func (e *Engine) Ready(ctx context.Context) error {
	if err := e.Alive(); err != nil {
		return err
	}
	l := &e.life
	l.init()
	l.mu.Lock()
	started, running := l.started, l.running
	l.mu.Unlock()
	select {
	case <-l.closing:
		return &HealthError{Code: HealthWorkersStopped, Err: ErrClosed}
	default:
	}
	if started && !running {
		return &HealthError{Code: HealthWorkersStopped, Err: errors.New("Run returned")}
	}
	if err := e.view(ctx, func(tx Tx) error {
		_, err := tx.NextJobTime()
		return err
	}); err != nil {
		return &HealthError{Code: HealthStoreUnreachable, Err: err}
	}
	if m, ok := e.store.(MigrationsReporter); ok {
		n, err := m.MigrationsPending(ctx)
		if err != nil {
			return &HealthError{Code: HealthStoreUnreachable, Err: err}
		}
		if n > 0 {
			return &HealthError{Code: HealthMigrationsPending, Err: errors.New("the database schema is behind this build")}
		}
	}
	return nil
}

// aliveSlack is how long past PollInterval the Run loop may go without a turn before Alive
// reports it stuck.
const aliveSlack = 2 * time.Minute

// Alive reports whether the process should keep running: nil unless Run is running and its loop
// has not turned for PollInterval plus two minutes (a store call hung past every timeout). A
// failing liveness check should restart the process; it does not touch the store. The error is a
// *HealthError.
func (e *Engine) Alive() error {
	l := &e.life
	l.init()
	l.mu.Lock()
	running, beat := l.running, l.beat
	l.mu.Unlock()
	if running && time.Since(beat) > e.cfg.PollInterval+aliveSlack {
		return &HealthError{Code: HealthWorkersStuck, Err: errors.New("the job loop has not turned")}
	}
	return nil
}
