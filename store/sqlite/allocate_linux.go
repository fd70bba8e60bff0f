package sqlite

import (
	"os"
	"syscall"
)

// allocate gives f n bytes of allocated disk blocks at once (fallocate), without writing them.
func allocate(f *os.File, n int64) error {
	for {
		err := syscall.Fallocate(int(f.Fd()), 0, 0, n)
		if err != syscall.EINTR {
			if err == syscall.EOPNOTSUPP {
				return writeZeroBlocks(f, n)
			}
			return err
		}
	}
}

// syncData flushes f's data and the metadata needed to read it (fdatasync), as SQLite does.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
