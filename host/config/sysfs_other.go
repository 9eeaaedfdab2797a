//go:build !linux

package config

import "os"

// onSystemFS reports false: only Linux is checked by file system type; the
// path check in readRegular applies everywhere.
func onSystemFS(*os.File) bool { return false }
