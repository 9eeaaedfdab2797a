package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// LocalClientName names the local token's client in the audit log; config
// refuses a client block of that name (config.LocalClientName).
const LocalClientName = "local"

// maxTokenFile bounds what ReadTokenFile reads.
const maxTokenFile = 4 << 10

// NewToken returns a fresh random token: 32 bytes from crypto/rand, base64url.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "cti_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// LocalTokenFile returns where a host listening on addr keeps its local
// token for the user who runs it: <user config dir>/ctihost/tokens/<addr>
// (~/.config/ctihost/tokens/127.0.0.1_7070 on Linux). One file per address,
// so several hosts of one user never overwrite each other's. ctictl looks
// there for the address it talks to.
func LocalTokenFile(addr string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no folder for the local token: %w", err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" || host == "" {
		host = "127.0.0.1"
	}
	name := strings.NewReplacer(":", "_", "/", "_", "%", "_").Replace(host) + "_" + port
	return filepath.Join(dir, "ctihost", "tokens", name), nil
}

// WriteLocalToken writes token to path, readable by its owner only (0600 in
// a 0700 folder), replacing any earlier file atomically.
func WriteLocalToken(path, token string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(token + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// RemoveLocalToken removes path if it still holds token (another host may
// have taken the address since).
func RemoveLocalToken(path, token string) {
	if got, err := ReadTokenFile(path); err == nil && got == token {
		os.Remove(path)
	}
}

// ReadTokenFile reads a token from a file: its first line, trimmed. It
// refuses anything but a small regular file.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("%s is larger than %d bytes: not a token", path, maxTokenFile)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	token := strings.TrimSpace(line)
	if token == "" {
		return "", errors.New(path + " is empty")
	}
	return token, nil
}
