//go:build linux

package config

import (
	"os"
	"syscall"
)

// Magic numbers of the file systems behind /proc and /sys (statfs(2)).
const (
	procSuperMagic = 0x9fa0
	sysfsMagic     = 0x62656572
)

// onSystemFS reports whether f is on procfs or sysfs, wherever they are
// mounted (containers often mount the host's /proc at another path).
func onSystemFS(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var st syscall.Statfs_t
	var statErr error
	if err := rc.Control(func(fd uintptr) { statErr = syscall.Fstatfs(int(fd), &st) }); err != nil || statErr != nil {
		return false // the path check still applies
	}
	return int64(st.Type) == procSuperMagic || int64(st.Type) == sysfsMagic
}
