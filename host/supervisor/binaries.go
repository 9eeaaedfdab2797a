package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Binaries decides which driver binaries a request through the API may
// start: only those inside the plugin folder, and those the plugin blocks
// name. A request can otherwise name any program on the machine, and the
// host would run it as its own user and hand it a site's secrets.
type Binaries struct {
	dir string // the plugin folder, symlinks resolved

	mu      sync.Mutex
	allowed []string // the plugin blocks' paths, symlinks resolved
}

// NewBinaries allows the binaries in dir and the paths listed.
func NewBinaries(dir string, paths []string) *Binaries {
	b := &Binaries{dir: dir}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		b.dir = real
	}
	b.SetPaths(paths)
	return b
}

// SetPaths replaces the allowed paths outside the folder (a config reload).
func (b *Binaries) SetPaths(paths []string) {
	var allowed []string
	for _, p := range paths {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			allowed = append(allowed, real)
		}
	}
	b.mu.Lock()
	b.allowed = allowed
	b.mu.Unlock()
}

// Check returns the absolute path of the binary a request names, or why it
// may not run. A name without a folder is looked up in the plugin folder,
// never on PATH; a relative path is relative to the plugin folder. The
// binary must resolve (symlinks followed) into the plugin folder or to a
// plugin block's path, and be a file that only its owner (the host's user
// or root) can change.
func (b *Binaries) Check(path string) (string, error) {
	if path == "" || strings.ContainsRune(path, 0) {
		return "", errors.New("no binary named")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(b.dir, path)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("cannot be read: %w", pathReason(err))
	}
	b.mu.Lock()
	listed := slices.Contains(b.allowed, real)
	b.mu.Unlock()
	if rel, err := filepath.Rel(b.dir, real); !listed && (err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel)) {
		return "", fmt.Errorf("only binaries in the plugin folder %s (or named by a plugin block's path) may be started through the API; copy it there", b.dir)
	}
	if err := checkFile(real); err != nil {
		return "", err
	}
	return real, nil
}

// checkFile refuses a binary that is not a regular executable file, or that
// someone other than its owner, the host's user or root, could change.
func checkFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot be read: %w", pathReason(err))
	}
	if !st.Mode().IsRegular() {
		return errors.New("is not a regular file")
	}
	if st.Mode().Perm()&0o111 == 0 {
		return errors.New("is not executable")
	}
	if st.Mode().Perm()&0o002 != 0 {
		return errors.New("is writable by every user: refusing to run it (chmod o-w)")
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		if uid := int(sys.Uid); uid != 0 && uid != os.Geteuid() {
			return fmt.Errorf("belongs to user %d, neither root nor the host's user: refusing to run it", uid)
		}
	}
	return nil
}

// pathReason drops the path from an *os.PathError: messages name the path
// as the caller gave it.
func pathReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// cut shortens what a driver reports about itself for a message.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
