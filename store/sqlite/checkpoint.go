package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints copy the pages that commits appended to the WAL back into the database file. SQLite
// runs them in the committing connection by default, every 1,000 WAL pages: the writer then
// copies and fsyncs megabytes while every queued Update waits, which was the long tail of the
// webhook acknowledgement time. The Store runs them instead on a connection of their own, from a
// goroutine, every checkpointInterval (PASSIVE: never blocking the writer or a reader); the writer
// only checkpoints itself past writerCheckpointPages, a safety net for when the background cannot
// keep up (a reader holding an old snapshot for long, say). Checkpoints do not change durability:
// a commit is durable once it is in the WAL (see Config.Synchronous).
const (
	checkpointInterval    = 100 * time.Millisecond
	writerCheckpointPages = 16384 // 64 MiB of WAL with 4 KiB pages
)

// checkpointer runs background checkpoints until stop is closed.
type checkpointer struct {
	db   *sql.DB
	conn *sql.Conn
	stop chan struct{}
	done chan struct{}
}

// startCheckpointer opens the checkpoint connection and starts its goroutine.
func (s *Store) startCheckpointer(ctx context.Context) error {
	db, err := sql.Open("sqlite", s.cfg.dsn(false))
	if err != nil {
		return fmt.Errorf("sqlite: open %s for checkpoints: %w", s.cfg.Path, err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return fmt.Errorf("sqlite: open %s for checkpoints: %w", s.cfg.Path, err)
	}
	c := &checkpointer{db: db, conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	s.ckpt = c
	go s.checkpointLoop(c)
	return nil
}

func (s *Store) checkpointLoop(c *checkpointer) {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	var lastCopied int64
	var lastDiskCheck time.Time
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if s.full.Load() && time.Since(lastDiskCheck) >= diskCheckInterval {
			lastDiskCheck = time.Now()
			s.checkDisk(c)
		}
		// busy is 1 when another connection held the checkpoint lock; frames is the WAL's length
		// and copied how much of it is in the database file now. A failure is retried next tick.
		var busy, frames, copied int64
		if err := c.conn.QueryRowContext(bg, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err == nil {
			if copied > 0 && copied != lastCopied {
				s.checkpoints.Add(1)
			}
			lastCopied = copied
		}
	}
}

// close stops the goroutine and closes the connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	err := c.conn.Close()
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}
