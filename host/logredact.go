package main

import (
	"io"
	"sync/atomic"

	"github.com/ctihost/ctihost/sdk"
)

// redactingWriter is the output of the host's root logger: every write has
// the known secrets (and secret URL parameters) removed before it reaches
// out. The host's own log lines and the plugins' stderr lines, which
// go-plugin logs again through the logger it is given (a sub-logger of the
// root logger), all pass through it.
//
// Each Write is redacted on its own, without buffering: go-hclog writes
// every log entry, whole, with exactly one Write. In go-hclog v1.6.3
// intLogger.log formats the entry (logPlain or logJSON, stack trace
// included) into its writer's bytes.Buffer while it holds the logger's
// mutex, and then writer.Flush hands the buffer to the output in one Write
// call (writer.go). Sub-loggers (Named, With, ResetNamed) share that writer
// and mutex, and StandardLogger/StandardWriter go through the same log
// method. So a secret is never split across two writes. Should anything
// else write to it, it must write whole lines too.
//
// Safe for concurrent use; writes are passed on as they come, in the
// callers' order (hclog serialises its own).
type redactingWriter struct {
	out      io.Writer
	redactor atomic.Pointer[sdk.Redactor]
}

// newRedactingWriter returns a writer that redacts the secrets of r from
// everything written to out. r may be nil: then only secret URL parameters
// (passcode=..., token=...) are redacted until setRedactor is called.
func newRedactingWriter(out io.Writer, r *sdk.Redactor) *redactingWriter {
	w := &redactingWriter{out: out}
	w.redactor.Store(r)
	return w
}

// setRedactor replaces the redactor atomically, for a config reload that
// changed the set of secrets: writes from now on are redacted with r, which
// must hold every secret to redact (the old one is dropped, not merged).
func (w *redactingWriter) setRedactor(r *sdk.Redactor) { w.redactor.Store(r) }

// Write writes p, redacted, to the underlying writer. On success it returns
// len(p), not the length of what was written, so that callers never see a
// short write. On failure it returns what the underlying writer wrote when
// p needed no redaction, else 0: the redacted bytes do not map back to p.
func (w *redactingWriter) Write(p []byte) (int, error) {
	in := string(p)
	out := w.redactor.Load().Redact(in)
	if out == in {
		return w.out.Write(p)
	}
	n, err := io.WriteString(w.out, out)
	if err != nil {
		return 0, err
	}
	if n < len(out) {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}
