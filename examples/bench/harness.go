package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
	"github.com/ctihost/ctihost/host/auth"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The simulated devices' secrets: the host reads the passcode from its
// environment, as a real deployment would.
const (
	benchPasscode = "bench-passcode-1"
	benchToken    = "bench-token-1"
)

// harness owns everything a run starts: a temp dir with the binaries, the
// processes and the in-process servers. close stops them all, in reverse.
type harness struct {
	dir        string
	profileDir string // if set, each host writes <tag>.pprof here

	mu       sync.Mutex
	cleanups []func()
}

// newHarness builds the binaries into a fresh temp dir.
func newHarness(ctx context.Context) (*harness, error) {
	dir, err := os.MkdirTemp("", "ctihost-bench-")
	if err != nil {
		return nil, err
	}
	h := &harness{dir: dir}
	h.onClose(func() { os.RemoveAll(dir) })
	builds := []struct{ out, pkg string }{
		{"ctihost", "./host"},
		{"plugins/cti-driver-grandstream", "./plugins/grandstream/cmd/cti-driver-grandstream"},
		{"plugins/cti-driver-ipoffice", "./plugins/ipoffice/cmd/cti-driver-ipoffice"},
		{"plugins/cti-driver-mirta", "./plugins/mirta/cmd/cti-driver-mirta"},
		{"gssim", "./plugins/grandstream/cmd/gssim"}, // every simulated Grandstream phone runs in its own process
		{"plugins/cti-driver-buggy", "./examples/buggy-driver/cmd/cti-driver-buggy"},
		{"bench-twohop", "./examples/bench/cmd/bench-twohop"},
	}
	root, err := moduleRoot()
	if err != nil {
		h.close()
		return nil, err
	}
	for _, b := range builds {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			h.close()
			return nil, fmt.Errorf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	// A second build of the grandstream driver to swap to: its own path,
	// built with an extra link flag so it is a distinct binary.
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X main.benchBuild=2",
		"-o", h.swapBinary(), "./plugins/grandstream/cmd/cti-driver-grandstream")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		h.close()
		return nil, fmt.Errorf("build the second grandstream driver: %v\n%s", err, out)
	}
	return h, nil
}

// swapBinary is the second grandstream build. It lives in a subfolder of
// the plugin folder: the host starts through the API (SwapPlugin) only
// binaries inside its plugin folder or named by a plugin block.
func (h *harness) swapBinary() string {
	return filepath.Join(h.dir, "plugins", "swap", "cti-driver-grandstream")
}

// moduleRoot is the directory of go.mod, so the bench runs from anywhere in
// the module (go test runs in the package directory).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the ctihost module")
	}
	return filepath.Dir(mod), nil
}

func (h *harness) onClose(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cleanups = append(h.cleanups, f)
}

// close undoes everything, newest first. It is safe to call twice.
func (h *harness) close() {
	h.mu.Lock()
	fs := h.cleanups
	h.cleanups = nil
	h.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// freeAddr returns a free loopback address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// acmePhone starts a simulated ACME phone (the buggy driver's device).
func (h *harness) acmePhone() *httptest.Server {
	srv := httptest.NewServer(acmesim.NewPhone(benchToken, 2))
	h.onClose(srv.Close)
	return srv
}

// process is a child process the harness started.
type process struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
}

// lockedBuffer keeps a process's stderr for error reports.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 4<<20 { // keep memory bounded under chatty logs
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// start runs a child process and registers its stop: SIGTERM, then SIGKILL
// after 10s.
func (h *harness) start(env []string, name string, args ...string) (*process, error) {
	p := &process{cmd: exec.Command(name, args...), stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	h.onClose(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// runningHost is a ctihost process and a client connection to it.
type runningHost struct {
	proc   *process
	listen string
	token  string // the host's local token, which every connection to it presents
	conn   *grpc.ClientConn
	host   ctiv1.HostClient
	admin  ctiv1.AdminClient
}

// bearer presents a token as `authorization: Bearer <token>` on every RPC,
// as an app presents its client token: the header is part of what the host
// paths measure. The floors (bare servers, the two-hop forwarder) are no
// host and get none.
type bearer string

// GetRequestMetadata returns the authorization header.
func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: the bench's hosts listen on loopback
// in plaintext.
func (bearer) RequireTransportSecurity() bool { return false }

// dial opens a new connection to the host that presents its local token.
// Every connection the bench makes to a host it started comes from here.
func (r *runningHost) dial() (*grpc.ClientConn, error) {
	return grpc.NewClient(r.listen, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(r.token)))
}

// tokenWait bounds how long a host may take to write its local token file
// once started.
const tokenWait = 30 * time.Second

// waitToken waits, at most d, until the token file at path exists and
// returns its token. It gives up early when exited is closed (the host
// died).
func waitToken(ctx context.Context, path string, exited <-chan struct{}, d time.Duration) (string, error) {
	var token string
	var readErr error
	err := waitUntil(ctx, d, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		token, readErr = auth.ReadTokenFile(path)
		return readErr == nil
	})
	select {
	case <-exited:
		return "", errors.New("ctihost exited before writing its local token file")
	default:
	}
	if err != nil {
		return "", fmt.Errorf("no local token file %s: %w (last read: %v)", path, err, readErr)
	}
	return token, nil
}

// device is one device block of a generated config.
type device struct {
	site, name, driver, model, addr string
}

// hostConfig is what a row changes in the generated config.
type hostConfig struct {
	hostAttrs string // extra attributes of the host block, as HCL lines
	isolation string // every plugin's isolation; "" is the default, one process per site
}

// startHost writes a config for the devices and runs ctihost with it,
// waiting until every plugin instance runs.
func (h *harness) startHost(ctx context.Context, tag string, devices []device) (*runningHost, error) {
	return h.startHostWith(ctx, tag, devices, hostConfig{})
}

// startHostWith is startHost with changes to the generated config.
func (h *harness) startHostWith(ctx context.Context, tag string, devices []device, hc hostConfig) (*runningHost, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "host {\n  listen = %q\n  plugin_dir = %q\n  log_level = \"warn\"\n%s}\n", listen, filepath.Join(h.dir, "plugins"), hc.hostAttrs)
	isolation := ""
	if hc.isolation != "" {
		isolation = fmt.Sprintf("  isolation = %q\n", hc.isolation)
	}
	drivers := map[string]bool{}
	sites := map[string][]device{}
	var order []string
	for _, d := range devices {
		if !drivers[d.driver] {
			drivers[d.driver] = true
			fmt.Fprintf(&b, "plugin %q {\n%s", d.driver, isolation)
			if d.driver == "grandstream" {
				b.WriteString("  config {\n    poll_interval = \"1s\"\n  }\n")
			}
			b.WriteString("}\n")
		}
		if _, ok := sites[d.site]; !ok {
			order = append(order, d.site)
		}
		sites[d.site] = append(sites[d.site], d)
	}
	for _, s := range order {
		fmt.Fprintf(&b, "site %q {\n", s)
		for _, d := range sites[s] {
			secret := "passcode = env(\"BENCH_PASSCODE\")"
			if d.driver != "grandstream" {
				secret = fmt.Sprintf("token = %q", benchToken)
			}
			fmt.Fprintf(&b, "  device %q {\n    driver = %q\n    model = %q\n    host = %q\n    %s\n  }\n", d.name, d.driver, d.model, d.addr, secret)
		}
		b.WriteString("}\n")
	}
	// One instance per (site, driver), or per driver when shared.
	instances := map[string]bool{}
	for _, d := range devices {
		if hc.isolation == "driver" {
			instances[d.driver] = true
		} else {
			instances[d.site+"/"+d.driver] = true
		}
	}
	return h.launchHost(ctx, tag, listen, b.String(), len(instances))
}

// launchHost writes config (whose host block listens on listen) and runs
// ctihost with it, waiting until want plugin instances run.
func (h *harness) launchHost(ctx context.Context, tag, listen, config string, want int) (*runningHost, error) {
	return h.launchHostRunning(ctx, tag, listen, config, want, want)
}

// launchHostRunning is launchHost for a host of a cluster, which may stand
// by for some of its instances: it waits until want instances exist and
// running of them run.
func (h *harness) launchHostRunning(ctx context.Context, tag, listen, config string, want, running int) (*runningHost, error) {
	path := filepath.Join(h.dir, tag+".hcl")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "BENCH_PASSCODE="+benchPasscode)
	args := []string{"-config", path}
	if h.profileDir != "" {
		args = append(args, "-cpuprofile", filepath.Join(h.profileDir, tag+".pprof"))
	}
	// The host writes a fresh local token for this user once it listens.
	// A file already there is stale (no host listens on a free address):
	// remove it so that the wait below cannot read it.
	tokenFile, err := auth.LocalTokenFile(listen)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(tokenFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	proc, err := h.start(env, filepath.Join(h.dir, "ctihost"), args...)
	if err != nil {
		return nil, err
	}
	token, err := waitToken(ctx, tokenFile, proc.done, tokenWait)
	if err != nil {
		return nil, fmt.Errorf("ctihost (%s): %w\n%s", tag, err, proc.stderr.tail())
	}
	rh := &runningHost{proc: proc, listen: listen, token: token}
	conn, err := rh.dial()
	if err != nil {
		return nil, err
	}
	h.onClose(func() { conn.Close() })
	rh.conn, rh.host, rh.admin = conn, ctiv1.NewHostClient(conn), ctiv1.NewAdminClient(conn)
	err = waitUntil(ctx, 30*time.Second, func() bool {
		select {
		case <-proc.done:
			return true
		default:
		}
		resp, err := rh.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
		if err != nil || len(resp.GetPlugins()) != want {
			return false
		}
		n := 0
		for _, p := range resp.GetPlugins() {
			if p.GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING {
				n++
			}
		}
		return n == running
	})
	select {
	case <-proc.done:
		return nil, fmt.Errorf("ctihost exited at start:\n%s", proc.stderr.tail())
	default:
	}
	if err != nil {
		return nil, fmt.Errorf("ctihost (%s) did not get its plugins running: %w\n%s", tag, err, proc.stderr.tail())
	}
	return rh, nil
}

// pluginPID is the pid of the running instance of driver.
func (r *runningHost) pluginPID(ctx context.Context, driver string) (int64, error) {
	resp, err := r.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil {
		return 0, err
	}
	for _, p := range resp.GetPlugins() {
		if p.GetDriver() == driver && p.GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING {
			return p.GetPid(), nil
		}
	}
	return 0, fmt.Errorf("no running %s instance", driver)
}

// waitUntil polls ok every 20ms until it holds or d passes.
func waitUntil(ctx context.Context, d time.Duration, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// cpuTicks reads a process's user+system CPU time from /proc/<pid>/stat,
// in clock ticks (USER_HZ, 100 per second on Linux).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields resume after ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// ticksPerSecond is USER_HZ; Linux fixes it at 100 for /proc.
const ticksPerSecond = 100
