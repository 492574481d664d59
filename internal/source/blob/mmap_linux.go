//go:build linux

package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f for reading.
func mapFile(f *os.File, size int64) ([]byte, error) {
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	// The scan goes forward; the kernel may read ahead and drop behind.
	_ = unix.Madvise(b, unix.MADV_SEQUENTIAL)
	return b, nil
}

// unmapFile undoes mapFile.
func unmapFile(b []byte) { _ = unix.Munmap(b) }

// dropPages releases the pages of b (page-aligned) from the process: they
// stay in the page cache, and are mapped again if touched.
func dropPages(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }
