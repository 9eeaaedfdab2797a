package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// process is one launched plugin process.
type process struct {
	client *plugin.Client
	driver ctiv1.DriverClient
	info   *ctiv1.DriverInfo
	cmd    *exec.Cmd
	stderr *tail
}

// exitedWithin waits up to d for the process to be reaped.
func (p *process) exitedWithin(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// describeExit says how the process ended and what it last wrote, for
// operators and apps. Call it only after the process exited: go-plugin sets
// cmd.ProcessState before it reports Exited.
func (p *process) describeExit() string {
	how := "plugin process exited"
	if st := p.cmd.ProcessState; st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = fmt.Sprintf("plugin process killed by signal %s", ws.Signal())
		} else {
			how = fmt.Sprintf("plugin process exited with status %d", st.ExitCode())
		}
	}
	return how + p.stderr.suffix()
}

// tailLines is how many stderr lines are kept for the down reason.
const tailLines = 5

// tail keeps the plugin's last stderr lines (redacted) and its first panic
// line, which is what explains a crash.
type tail struct {
	redact *sdk.Redactor

	mu      sync.Mutex
	partial []byte
	lines   []string
	panic   string
}

func newTail(r *sdk.Redactor) *tail { return &tail{redact: r} }

// Write implements io.Writer; go-plugin writes raw stderr here.
func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, b...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(t.redact.Redact(readable(t.partial[:i])))
		t.partial = t.partial[i+1:]
		if line == "" {
			continue
		}
		if t.panic == "" && (strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:")) {
			t.panic = line
		}
		t.lines = append(t.lines, line)
		if len(t.lines) > tailLines {
			t.lines = t.lines[1:]
		}
	}
	if len(t.partial) > 64<<10 { // a line without end: keep memory bounded
		t.partial = t.partial[:0]
	}
	return len(b), nil
}

// readable turns an hclog JSON line into "level: message", and leaves any
// other line (a panic, a runtime error) as it is.
func readable(line []byte) string {
	var entry struct {
		Level   string `json:"@level"`
		Message string `json:"@message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(line, &entry) != nil || entry.Message == "" {
		return string(line)
	}
	out := entry.Level + ": " + entry.Message
	if entry.Error != "" {
		out += ": " + entry.Error
	}
	return out
}

// suffix returns ": <panic line>" or ": last stderr: <line>", or "".
func (t *tail) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.panic != "" {
		return ": " + t.panic
	}
	if n := len(t.lines); n > 0 {
		return ": last stderr: " + t.lines[n-1]
	}
	return ""
}
