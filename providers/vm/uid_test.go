package vm

import (
	"os"
	"syscall"
)

// fileUID is the owner of a file.
func fileUID(fi os.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return ^uint32(0)
}
