//go:build !linux

package sqlite

import "os"

// allocate gives f n bytes of disk blocks by writing zeros.
func allocate(f *os.File, n int64) error { return writeZeroBlocks(f, n) }

// syncData flushes f to stable storage.
func syncData(f *os.File) error { return f.Sync() }
