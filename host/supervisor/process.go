package supervisor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// process is one launched plugin process. ctx ends when the host kills it
// on purpose, which tells its goroutines that its exit is expected.
type process struct {
	client *plugin.Client
	driver ctiv1.DriverClient
	info   *ctiv1.DriverInfo
	cmd    *exec.Cmd
	sha256 string // of the binary started, hex
	pid    int
	stderr *tail

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	killedFor string // why the host killed it, if it did

	crashHandled bool   // guarded by the owning Instance's mu
	ids          *idMap // call ids of a swapped-in process; guarded likewise
	inflight     atomic.Int64
}

// drain waits until no command uses the process, at most d, and reports
// whether it got there.
func (p *process) drain(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for p.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// launch starts the plugin at path, dispenses its driver and checks, before
// anything is configured, that it speaks this host's API version and, when
// name is set, that it is that driver: a binary that fails either never
// sees a setting or a secret.
// redact removes secrets from what the process writes to stderr; it is
// called for every line, so it may change (a reload brings new secrets).
func launch(ctx context.Context, path, sum, name string, logger hclog.Logger, policy Policy, redact func(string) string) (*process, error) {
	if err := checkFile(path); err != nil {
		return nil, fmt.Errorf("binary %s %w", path, err)
	}
	cfg := sdk.ClientConfig(path, logger)
	cfg.StartTimeout = policy.StartTimeout
	if sum != "" {
		want, err := hex.DecodeString(sum)
		if err != nil {
			return nil, fmt.Errorf("sha256 pin %q is not hex", sum)
		}
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	}
	p := &process{cmd: cfg.Cmd, stderr: newTail(redact), sha256: sum}
	if sum == "" { // not pinned: still show operators what runs
		p.sha256 = fileSHA256(path)
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	cfg.Stderr = p.stderr
	p.client = plugin.NewClient(cfg)
	dc, err := sdk.Dispense(p.client)
	if err != nil {
		p.kill()
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, fmt.Errorf("binary %s does not match its sha256 pin: refusing to run it", path)
		}
		// go-plugin's message goes on for lines about architectures and
		// libraries; what the plugin wrote says more, so it comes first.
		msg, _, _ := strings.Cut(err.Error(), "This usually means")
		return nil, fmt.Errorf("%s%s", strings.TrimSpace(msg), p.stderr.suffix())
	}
	p.driver = dc
	p.pid = p.client.ReattachConfig().Pid
	cctx, cancel := context.WithTimeout(ctx, policy.CommandTimeout)
	defer cancel()
	info, err := dc.GetInfo(cctx, &ctiv1.GetInfoRequest{})
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("get info: %s", status.Convert(err).Message())
	}
	if info.GetApiVersion() != sdk.APIVersion {
		p.kill()
		return nil, fmt.Errorf("driver speaks API %q, this host speaks %q", cut(info.GetApiVersion(), 40), sdk.APIVersion)
	}
	if name != "" && info.GetName() != name {
		p.kill()
		return nil, fmt.Errorf("binary %s is driver %q, not %q: refusing to configure it", path, cut(info.GetName(), 40), name)
	}
	p.info = info
	return p, nil
}

// Probe starts the plugin at path just long enough to read its info and
// config schema, so the host can validate config.hcl before starting
// anything for real.
func Probe(ctx context.Context, path, sum string, logger hclog.Logger, policy Policy) (*ctiv1.DriverInfo, *ctiv1.ConfigSchema, error) {
	policy = policy.withDefaults()
	p, err := launch(ctx, path, sum, "", logger, policy, sdk.RedactURL)
	if err != nil {
		return nil, nil, err
	}
	defer p.kill()
	cctx, cancel := context.WithTimeout(ctx, policy.CommandTimeout)
	defer cancel()
	schema, err := p.driver.GetConfigSchema(cctx, &ctiv1.GetConfigSchemaRequest{})
	if err != nil {
		return nil, nil, fmt.Errorf("get config schema: %s", status.Convert(err).Message())
	}
	return p.info, schema, nil
}

// fileSHA256 returns the hex sha256 of the file at path, or "" if it cannot
// be read (launching it will then fail with the reason).
func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// kill ends the process on purpose and waits for it. Safe to call more
// than once.
func (p *process) kill() {
	p.cancel()
	p.client.Kill()
}

func (p *process) setKilledFor(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killedFor = reason
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
	p.mu.Lock()
	killedFor := p.killedFor
	p.mu.Unlock()
	if killedFor != "" {
		return killedFor
	}
	how := "plugin process exited"
	if st := p.cmd.ProcessState; st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = fmt.Sprintf("plugin process killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
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
	redact func(string) string

	mu      sync.Mutex
	partial []byte
	lines   []string
	panic   string
}

func newTail(redact func(string) string) *tail { return &tail{redact: redact} }

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
		line := strings.TrimSpace(t.redact(readable(t.partial[:i])))
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
