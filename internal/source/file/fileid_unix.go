//go:build unix

package file

import (
	"io/fs"
	"syscall"
)

// fileID identifies a file or directory across paths (symbolic links,
// hard links): its device and inode.
type fileID struct {
	dev, ino uint64
}

// idOf returns fi's identity; ok is false when the system does not tell.
func idOf(fi fs.FileInfo) (id fileID, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, true
}
