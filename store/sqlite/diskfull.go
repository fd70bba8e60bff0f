package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// A full disk. SQLite fails a commit that cannot be written with SQLITE_FULL (or an I/O error) and
// stores nothing of it; the store answers such writes with ErrUnavailable (see unavailable). Left
// at that, a storm of webhooks keeps growing the WAL into every byte freed, and a restart on a full
// disk cannot even create the shared-memory file it needs to open. So the store keeps a reserve
// file (Config.DiskReserve) and a "full" state:
//
//   - entering it (a write failed for lack of space, or Open needed the reserve's space): the
//     reserve is deleted, which leaves SQLite room to open, checkpoint and truncate its WAL; writes
//     are refused at once with ErrUnavailable, without touching the disk;
//   - leaving it: every diskCheckInterval the checkpoint goroutine truncates the WAL and tries to
//     write twice the reserve; when that works (space is back), it keeps the reserve and the store
//     takes writes again.

// diskCheckInterval is how often a full store looks for free space.
const diskCheckInterval = time.Second

// errDiskFull is the answer to a write while the store is in the full state.
var errDiskFull = fmt.Errorf("sqlite: the disk is full; writes resume once space is freed: %w", omnichannel.ErrUnavailable)

func (s *Store) reservePath() string { return s.cfg.Path + "-reserve" }

// ensureReserve writes the reserve file when it is missing; false when the disk has no room for it.
// Several Stores over one file (or one process's concurrent Opens) may race here: each works on a
// temporary file of its own, and a reserve that another put in place counts.
func (s *Store) ensureReserve() bool {
	if s.cfg.DiskReserve < 0 || s.hasReserve() {
		return true
	}
	dir, base := filepath.Split(s.reservePath())
	f, err := os.CreateTemp(dir, base+"-*.tmp")
	if err != nil {
		return false
	}
	tmp := f.Name()
	// Room for the reserve and as much again, so that writes do not fill the disk at once.
	err = allocate(f, 2*s.cfg.DiskReserve)
	if err == nil {
		err = f.Truncate(s.cfg.DiskReserve)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.reservePath())
	}
	if err != nil {
		_ = os.Remove(tmp)
		return s.hasReserve()
	}
	return true
}

// hasReserve reports whether the reserve file is in place, whole.
func (s *Store) hasReserve() bool {
	st, err := os.Stat(s.reservePath())
	return err == nil && st.Size() >= s.cfg.DiskReserve
}

// enterFull puts the store in the full state and gives the reserve's space to SQLite.
func (s *Store) enterFull() {
	if s.full.Swap(true) {
		return
	}
	_ = os.Remove(s.reservePath())
}

// noteWriteError enters the full state when err says the disk could not be written.
func (s *Store) noteWriteError(err error) {
	if err != nil && errors.Is(err, omnichannel.ErrUnavailable) {
		s.enterFull()
	}
}

// checkDisk runs on the checkpoint goroutine while the store is full: it truncates the WAL and,
// when the reserve can be written again, leaves the full state.
func (s *Store) checkDisk(c *checkpointer) {
	if !s.full.Load() {
		return
	}
	_, _ = c.conn.ExecContext(bg, "PRAGMA wal_checkpoint(TRUNCATE)")
	if s.ensureReserve() {
		s.full.Store(false)
	}
}

// writeZeroBlocks writes n zero bytes to f and syncs it, so that its blocks are really taken.
func writeZeroBlocks(f *os.File, n int64) error {
	block := make([]byte, 64<<10)
	var err error
	for left := n; left > 0 && err == nil; left -= int64(len(block)) {
		_, err = f.Write(block[:min(int64(len(block)), left)])
	}
	if err == nil {
		err = f.Sync()
	}
	return err
}
