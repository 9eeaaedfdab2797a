package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/sdk"
)

// secretForms are the ways a log line can carry secret: as written, Go
// quoted, JSON encoded, quoted by hclog's text format (only `"` escaped,
// for a secret of printable runes), and each quoted once more.
func secretForms(secret string) []string {
	quote := func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }
	jsonq := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	hclogq := func(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }
	forms := []string{secret}
	for _, outer := range []func(string) string{quote, jsonq, hclogq} {
		forms = append(forms, outer(secret))
		for _, inner := range []func(string) string{quote, jsonq, hclogq} {
			forms = append(forms, outer(inner(secret)))
		}
	}
	return forms
}

// logEverywhere logs secret in every way the host and its plugins do.
func logEverywhere(l hclog.Logger, secret string) {
	l.Info("refused passcode " + secret)                                        // the message
	l.Warn("device refused", "credential", secret, "device", "hq/desk")         // a key-value value
	l.Error("configure failed", "error", fmt.Errorf("bad passcode %q", secret)) // quoted, as an error
	l.Info("refused", "detail", hclog.Quote(secret))                            // hclog's quoting
	l.Named("plugin").With("site", "hq").Debug(fmt.Sprintf("body %q", `{"p":"`+secret+`"}`))
	l.StandardLogger(nil).Printf("[ERROR] std log: %s", secret) // through hclog's log.Logger adapter

	// A plugin's stderr line, as go-plugin relays it: the plugin wrote an
	// hclog JSON line; go-plugin decodes it and logs its message and
	// key-value pairs again through the logger the host gave it.
	var line bytes.Buffer
	hclog.New(&hclog.LoggerOptions{Output: &line, JSONFormat: true}).Error("poll failed", "error", fmt.Sprintf("GET %q: 401", "http://x/?p="+secret), "credential", secret)
	var entry map[string]any
	if err := json.Unmarshal(line.Bytes(), &entry); err != nil {
		panic(err)
	}
	var keys []string
	for k := range entry {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var kv []any
	for _, k := range keys {
		kv = append(kv, k, entry[k])
	}
	l.Named("plugin").Named("cti-driver-x").Error(entry["@message"].(string), kv...)
}

func TestRedactingWriterLogger(t *testing.T) {
	secrets := []string{`pa"ss\wörd<1>&`, "hunter22", "sp ace\ttab"}
	newSecret := `n3w"s<cr>t\`
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			w := newRedactingWriter(&out, sdk.NewRedactor(secrets...))
			logger := hclog.New(&hclog.LoggerOptions{Name: "ctihost", Level: hclog.Trace, Output: w, JSONFormat: format == "json"})
			for _, s := range secrets {
				logEverywhere(logger, s)
			}
			// A config reload brings another secret.
			w.setRedactor(sdk.NewRedactor(append(secrets, newSecret)...))
			logEverywhere(logger, newSecret)

			// Without redaction the secrets appear in several forms: the
			// check below can see them.
			var raw bytes.Buffer
			logEverywhere(hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &raw, JSONFormat: format == "json"}), secrets[0])
			var seen []string
			for _, form := range secretForms(secrets[0]) {
				if strings.Contains(raw.String(), form) && !slices.Contains(seen, form) {
					seen = append(seen, form)
				}
			}
			if len(seen) < 2 {
				t.Fatalf("unredacted, the log holds only the forms %q of %q:\n%s", seen, secrets[0], raw.String())
			}

			text := out.String()
			if n := strings.Count(text, "\n"); n < 4*7 {
				t.Fatalf("only %d lines logged:\n%s", n, text)
			}
			for _, s := range append(secrets, newSecret) {
				for _, form := range secretForms(s) {
					if strings.Contains(text, form) {
						t.Errorf("%q (a form of %q) logged:\n%s", form, s, text)
					}
				}
			}
			if !strings.Contains(text, sdk.Redacted) || !strings.Contains(text, "device refused") {
				t.Errorf("nothing redacted, or too much:\n%s", text)
			}
			if format == "json" {
				// Every line is still an hclog JSON entry.
				sc := bufio.NewScanner(strings.NewReader(text))
				for sc.Scan() {
					if !json.Valid(sc.Bytes()) {
						t.Errorf("not JSON any more: %s", sc.Text())
					}
				}
			}
		})
	}
}

func TestRedactingWriterReturnsInputLength(t *testing.T) {
	var out bytes.Buffer
	w := newRedactingWriter(&out, sdk.NewRedactor("a-long-secret-value"))
	p := []byte("x a-long-secret-value y\n")
	if n, err := w.Write(p); n != len(p) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(p))
	}
	if got := out.String(); got != "x REDACTED y\n" {
		t.Fatalf("wrote %q", got)
	}

	// Without a redactor only secret URL parameters go.
	out.Reset()
	w = newRedactingWriter(&out, nil)
	if n, err := w.Write([]byte("GET /x?passcode=1234\n")); n != 21 || err != nil || out.String() != "GET /x?passcode=REDACTED\n" {
		t.Fatalf("nil redactor: Write = %d, %v, wrote %q", n, err, out.String())
	}

	// Failures are reported, never as a success.
	broken := errors.New("disk full")
	w = newRedactingWriter(failingWriter{broken}, sdk.NewRedactor("a-long-secret-value"))
	if n, err := w.Write(p); n != 0 || !errors.Is(err, broken) {
		t.Fatalf("failing output: Write = %d, %v", n, err)
	}
	w = newRedactingWriter(shortWriter{}, sdk.NewRedactor("a-long-secret-value"))
	if n, err := w.Write(p); n != 0 || !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("short output: Write = %d, %v", n, err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

// TestRedactingWriterConcurrentSwap: loggers write while a reload swaps the
// redactor; run with -race.
func TestRedactingWriterConcurrentSwap(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	w := newRedactingWriter(lockedWriter{&mu, &out}, sdk.NewRedactor("first-secret"))
	logger := hclog.New(&hclog.LoggerOptions{Output: w})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				logger.Named(fmt.Sprint(g)).Info("x", "v", "first-secret")
			}
		}()
	}
	for range 50 {
		w.setRedactor(sdk.NewRedactor("first-secret", "second-secret"))
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(out.String(), "first-secret") {
		t.Fatal("a secret logged while the redactor was swapped")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
