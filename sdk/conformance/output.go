package conformance

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// testWriter sends the driver's log lines to the test log until close, and
// drops them after, since logging after a test ends panics.
type testWriter struct {
	t      *testing.T
	mu     sync.Mutex
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// raceWatch scans the driver's raw stderr for race detector reports.
type raceWatch struct {
	mu     sync.Mutex
	found  bytes.Buffer // race reports, capped at maxRaceReport
	racing bool         // inside a report
}

const maxRaceReport = 64 << 10

func (r *raceWatch) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if strings.Contains(line, "WARNING: DATA RACE") {
			r.racing = true
		}
		if !r.racing {
			continue
		}
		if r.found.Len() < maxRaceReport {
			r.found.WriteString(line)
		}
		if strings.HasPrefix(line, "==================") {
			r.racing = false // the report's closing rule
		}
	}
	return len(p), nil
}

func (r *raceWatch) report() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.found.String()
}
