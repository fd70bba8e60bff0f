package sqlite

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/dakenh/dakenh/omnichannel"
)

// With SyncFull the writer's commits do not fsync the WAL themselves (its connection runs with
// synchronous NORMAL): the writer hands each committed batch to the WAL syncer and goes on with
// the next batch, and the syncer fsyncs the WAL file (fdatasync on Linux) and only then answers
// the batch's callers. One fsync covers every batch committed before it began, so the syncer
// takes all the batches waiting at once. An Update still returns nil only once its commit is on
// disk, as with SQLite's own FULL (which fsyncs the WAL at the end of each COMMIT): frames written
// before an fsync of the file began are durable when it returns, and SQLite in NORMAL still syncs
// the WAL header when it starts reusing the file and the WAL before each checkpoint. What changes is
// that the writer no longer waits for the disk: the fsync of a batch overlaps the next batch's
// statements, where it took most of the writer's time (about 2.3 of 3 ms per commit here).
//
// A commit is visible to readers before it is durable (as with FULL: between the COMMIT's write
// and its fsync); a caller learns of it only once it is durable.

// syncQueue bounds the committed batches waiting for an fsync; the writer waits past it.
const syncQueue = 64

// walSyncer fsyncs the WAL file for the writer's batches.
type walSyncer struct {
	path    string
	file    *os.File // opened on first use
	batches chan []*request
	done    chan struct{}
	// pending counts the batches handed to the syncer and not answered yet; idle gets a signal
	// when it drops to zero (the writer may then commit: nextWhileSyncing).
	pending atomic.Int64
	idle    chan struct{}
	// syncs counts the fsyncs (Stats.WALSyncs).
	syncs atomic.Int64
}

// walSyncs is the number of fsyncs so far.
func (s *Store) walSyncs() int64 {
	if s.syncer == nil {
		return 0
	}
	return s.syncer.syncs.Load()
}

// busy reports whether batches wait for an fsync or are being synced.
func (w *walSyncer) busy() bool { return w.pending.Load() > 0 }

// hand gives the syncer the callers of a committed batch.
func (w *walSyncer) hand(b []*request) {
	select {
	case <-w.idle: // a signal from before this batch
	default:
	}
	w.pending.Add(1)
	w.batches <- b
}

// startSyncer starts the WAL syncer when the store fsyncs commits (SyncFull).
func (s *Store) startSyncer() {
	if s.cfg.Synchronous != SyncFull {
		return
	}
	s.syncer = &walSyncer{path: s.cfg.Path + "-wal", batches: make(chan []*request, syncQueue), done: make(chan struct{}),
		idle: make(chan struct{}, 1)}
	go s.syncer.loop()
}

// stopSyncer answers the batches still waiting and stops the syncer (the writer calls it as it
// ends).
func (s *Store) stopSyncer() {
	if s.syncer == nil {
		return
	}
	close(s.syncer.batches)
	<-s.syncer.done
}

// loop fsyncs the WAL for the batches that arrived and answers them, until batches is closed.
func (w *walSyncer) loop() {
	defer close(w.done)
	defer func() {
		if w.file != nil {
			_ = w.file.Close()
		}
	}()
	for b := range w.batches {
		group := [][]*request{b}
	more:
		for {
			select {
			case b, ok := <-w.batches:
				if !ok {
					break more
				}
				group = append(group, b)
			default:
				break more
			}
		}
		err := w.sync()
		w.syncs.Add(1)
		for _, b := range group {
			for _, r := range b {
				r.result <- r.outcome(err)
			}
		}
		if w.pending.Add(-int64(len(group))) == 0 {
			select {
			case w.idle <- struct{}{}:
			default:
			}
		}
	}
}

// sync fsyncs the WAL file. A failure is ErrUnavailable: the commits may not be on disk, and the
// callers (a webhook answering 503) try again, which the writes' keys make safe.
func (w *walSyncer) sync() error {
	if w.file == nil {
		f, err := os.OpenFile(w.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("%w: sqlite: open the WAL to sync it: %w", omnichannel.ErrUnavailable, err)
		}
		w.file = f
	}
	if err := syncData(w.file); err != nil {
		return fmt.Errorf("%w: sqlite: sync the WAL: %w", omnichannel.ErrUnavailable, err)
	}
	return nil
}
