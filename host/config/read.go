package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

var (
	errNotRegular = errors.New("not a regular file")
	// errSystemFile refuses the kernel's and the devices' files: they look
	// like files but /proc/self/environ, for one, holds the host's whole
	// environment, and /dev/zero never ends.
	errSystemFile = errors.New("it is in /proc, /sys or /dev, which are not read")
)

// tooLargeError is a file over readRegular's limit.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string { return "larger than " + sizeText(e.limit) }

// systemDirs hold files that are not the operator's: kernel and process
// state, and devices.
var systemDirs = []string{"/proc", "/sys", "/dev"}

// readRegular reads the regular file at path, at most limit bytes; anything
// else (a directory, a FIFO, a device, a file under /proc, /sys or /dev, a
// larger file) is an error. Errors name neither the path, which callers
// quote as written, nor any content.
func readRegular(path string, limit int64) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, pathReason(err)
	}
	for _, dir := range systemDirs {
		if resolved == dir || strings.HasPrefix(resolved, dir+"/") {
			return nil, errSystemFile
		}
	}
	// Opening a FIFO for reading waits for a writer, possibly forever;
	// non-blocking, the open returns at once and the mode check refuses it.
	// Open what was checked, not path, whose links may have changed since.
	f, err := os.OpenFile(resolved, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, pathReason(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, pathReason(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	if onSystemFS(f) { // /proc mounted elsewhere, or a link changed after the check
		return nil, errSystemFile
	}
	// Size is a hint only: the file may grow while it is read.
	if st.Size() > limit {
		return nil, &tooLargeError{limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, pathReason(err)
	}
	if int64(len(b)) > limit {
		return nil, &tooLargeError{limit}
	}
	return b, nil
}
