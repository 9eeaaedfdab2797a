package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// binDir holds the ctihost and driver binaries built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ctihost-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	builds := map[string]string{
		"ctihost":                        "github.com/ctihost/ctihost/host",
		"plugins/cti-driver-grandstream": "github.com/ctihost/ctihost/plugins/grandstream/cmd/cti-driver-grandstream",
		"plugins/cti-driver-buggy":       "github.com/ctihost/ctihost/examples/buggy-driver/cmd/cti-driver-buggy",
		"plugins/cti-driver-ipoffice":    "github.com/ctihost/ctihost/plugins/ipoffice/cmd/cti-driver-ipoffice",
		"plugins/cti-driver-snom":        "github.com/ctihost/ctihost/plugins/snom/cmd/cti-driver-snom",
		"plugins/cti-driver-mirta":       "github.com/ctihost/ctihost/plugins/mirta/cmd/cti-driver-mirta",
		"ctictl":                         "github.com/ctihost/ctihost/examples/ctictl",
	}
	for out, pkg := range builds {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// secretPasscode is distinctive so a leak into any output is found.
const secretPasscode = "Pa55-Sup3rS3cret-9x"

// site is one site of a test configuration: device name -> simulated phone.
type testPhone struct {
	name, model string
	sim         *gssim.Phone
	srv         *httptest.Server
}

// newPhone starts a simulated phone on loopback.
func newPhone(t *testing.T, name, model string) *testPhone {
	t.Helper()
	sim, err := gssim.New(gssim.Options{Model: model, Passcode: secretPasscode})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &testPhone{name: name, model: model, sim: sim, srv: srv}
}

// writeConfig writes a config.hcl for the sites and returns its path.
func writeConfig(t *testing.T, listen string, sites map[string][]*testPhone, hostExtra ...string) string {
	t.Helper()
	var b strings.Builder
	extra := strings.Join(hostExtra, "\n")
	if !strings.Contains(extra, "command_timeout") {
		extra += "\n  command_timeout = \"3s\""
	}
	fmt.Fprintf(&b, "host {\n  listen = %q\n  plugin_dir = %q\n  log_level = \"trace\"\n%s\n}\n",
		listen, filepath.Join(binDir, "plugins"), extra)
	b.WriteString("plugin \"grandstream\" {\n  config {\n    poll_interval = \"100ms\"\n    poll_jitter = \"10ms\"\n  }\n}\n")
	for site, phones := range sites {
		fmt.Fprintf(&b, "site %q {\n", site)
		for _, p := range phones {
			fmt.Fprintf(&b, "  device %q {\n    driver = \"grandstream\"\n    model = %q\n    host = %q\n    passcode = env(\"IT_PASSCODE\")\n  }\n",
				p.name, p.model, strings.TrimPrefix(p.srv.URL, "http://"))
		}
		b.WriteString("}\n")
	}
	path := filepath.Join(t.TempDir(), "config.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is a bytes.Buffer safe to write from the process's pipe.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningHost is a ctihost process under test.
type runningHost struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	conn   *grpc.ClientConn
	host   ctiv1.HostClient
	admin  ctiv1.AdminClient
	done   chan struct{} // closed when the process has exited
	err    error         // its exit error, once done is closed

	configHome string // the host's XDG_CONFIG_HOME: its local token is there
	listen     string
	path       string // the config file
}

func freeAddr(t *testing.T) string {
	t.Helper()
	return freeAddrOn(t, "127.0.0.1")
}

// freeAddrOn returns a port of ip that was free a moment ago.
func freeAddrOn(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startHost runs ctihost with the config and waits until every instance
// runs. The host is stopped at cleanup if the test did not stop it.
func startHost(t *testing.T, sites map[string][]*testPhone, hostExtra ...string) *runningHost {
	t.Helper()
	listen := freeAddr(t)
	path := writeConfig(t, listen, sites, hostExtra...)
	return runHost(t, listen, path, len(sites))
}

// runHost runs ctihost with the config at path, listening on listen, and
// waits until its instances (one per site here) run.
func runHost(t *testing.T, listen, path string, instances int) *runningHost {
	t.Helper()
	h := launchHost(t, listen, path)
	waitFor(t, 20*time.Second, "every instance running", func() bool { return h.running(instances) })
	return h
}

// launchHost starts ctihost with the config at path and connects to it on
// listen, without waiting for anything. The host is stopped at cleanup.
func launchHost(t *testing.T, listen, path string) *runningHost {
	t.Helper()
	h := &runningHost{stderr: &syncBuffer{}, done: make(chan struct{}), configHome: t.TempDir(), listen: listen, path: path}
	h.cmd = exec.Command(filepath.Join(binDir, "ctihost"), "-config", path)
	// The host writes its local token under its own config folder, which
	// the test reads as the same user would with ctictl.
	h.cmd.Env = append(os.Environ(), "IT_PASSCODE="+secretPasscode, "XDG_CONFIG_HOME="+h.configHome)
	h.cmd.Stderr = h.stderr
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.err = h.cmd.Wait(); close(h.done) }()
	t.Cleanup(func() {
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			h.cmd.Process.Kill()
		}
		if strings.Contains(h.stderr.String(), secretPasscode) {
			t.Errorf("the passcode appears in the host's log output")
		}
		if t.Failed() || os.Getenv("IT_SHOW_LOG") != "" {
			t.Logf("host stderr:\n%s", h.stderr.String())
		}
	})
	conn, err := grpc.NewClient(listen, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(localToken{h}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h.conn, h.host, h.admin = conn, ctiv1.NewHostClient(conn), ctiv1.NewAdminClient(conn)
	return h
}

// localTokenFile is where the host writes its local token.
func (h *runningHost) localTokenFile() string {
	return filepath.Join(h.configHome, "ctihost", "tokens", strings.ReplaceAll(h.listen, ":", "_"))
}

// localToken presents the host's local token, read at every call: the host
// writes it once it listens, anew at each start.
type localToken struct{ h *runningHost }

func (l localToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	b, err := os.ReadFile(l.h.localTokenFile())
	if err != nil {
		return nil, nil // not written yet: the call goes without, and is refused
	}
	return map[string]string{"authorization": "Bearer " + strings.TrimSpace(string(b))}, nil
}

func (localToken) RequireTransportSecurity() bool { return false }

// running reports whether the host runs exactly want instances, all of
// them RUNNING.
func (h *runningHost) running(want int) bool {
	resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if err != nil || len(resp.GetPlugins()) != want {
		return false
	}
	for _, p := range resp.GetPlugins() {
		if p.GetState() != ctiv1.DriverState_DRIVER_STATE_RUNNING {
			return false
		}
	}
	return true
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// events collects a WatchEvents stream in the background.
type events struct {
	mu  sync.Mutex
	all []*ctiv1.Event
}

func watch(t *testing.T, h *runningHost, req *ctiv1.WatchEventsRequest) *events {
	t.Helper()
	return watchWith(t, h.host, req)
}

// watchWith collects a stream of client c in the background.
func watchWith(t *testing.T, c ctiv1.HostClient, req *ctiv1.WatchEventsRequest) *events {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := c.WatchEvents(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	e := &events{}
	go func() {
		for {
			ev, err := stream.Recv()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.all = append(e.all, ev)
			e.mu.Unlock()
		}
	}()
	return e
}

// waitEvent waits for an event matching ok and returns it.
func (e *events) waitEvent(t *testing.T, what string, ok func(*ctiv1.Event) bool) *ctiv1.Event {
	t.Helper()
	var found *ctiv1.Event
	waitFor(t, 10*time.Second, what, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, ev := range e.all {
			if ok(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

func callIn(device string, state ctiv1.CallState) func(*ctiv1.Event) bool {
	return func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == device && ev.GetCallChanged().GetCall().GetState() == state
	}
}

func TestHostServesAppsEndToEnd(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	dect := newPhone(t, "dect", "DP750")
	desk := newPhone(t, "desk1", "GXP2135")
	h := startHost(t, map[string][]*testPhone{"hq": {reception, dect}, "branch": {desk}})
	ctx := context.Background()

	t.Run("reflection lists the host services", func(t *testing.T) {
		stream, err := reflectpb.NewServerReflectionClient(h.conn).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectpb.ServerReflectionRequest{MessageRequest: &reflectpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		for _, want := range []string{"cti.v1.Host", "cti.v1.Admin", "grpc.health.v1.Health"} {
			if !strings.Contains(strings.Join(names, " "), want) {
				t.Errorf("reflection lists %v, missing %s", names, want)
			}
		}
	})

	t.Run("health reports each site serving", func(t *testing.T) {
		waitFor(t, 5*time.Second, "site/hq serving", func() bool {
			resp, err := healthpb.NewHealthClient(h.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "site/hq"})
			return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
		})
	})

	t.Run("devices of both sites are listed by reference", func(t *testing.T) {
		resp, err := h.host.ListDevices(ctx, &ctiv1.ListDevicesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, d := range resp.GetDevices() {
			refs = append(refs, d.GetDevice())
			if len(d.GetCapabilities()) == 0 {
				t.Errorf("%s lists no capabilities", d.GetDevice())
			}
		}
		if got, want := strings.Join(refs, ","), "branch/desk1,hq/dect,hq/reception"; got != want {
			t.Errorf("devices = %s, want %s", got, want)
		}
	})

	t.Run("an inbound call is answered and hung up through the host", func(t *testing.T) {
		ev := watch(t, h, &ctiv1.WatchEventsRequest{Devices: []string{"hq/reception"}})
		time.Sleep(100 * time.Millisecond) // let the subscription open
		if _, err := reception.sim.RingIn("5551234", "Alice"); err != nil {
			t.Fatal(err)
		}
		ring := ev.waitEvent(t, "ringing", callIn("hq/reception", ctiv1.CallState_CALL_STATE_RINGING))
		call := ring.GetCallChanged().GetCall()
		if call.GetRemote().GetNumber() != "5551234" || call.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND {
			t.Errorf("ringing call = %v, want inbound from 5551234", call)
		}
		if ring.GetSequence() == 0 || ring.GetSite() != "hq" {
			t.Errorf("event not stamped by the host: sequence %d site %q", ring.GetSequence(), ring.GetSite())
		}
		if _, err := h.host.Answer(ctx, &ctiv1.CallRequest{Device: "hq/reception", CallId: call.GetCallId()}); err != nil {
			t.Fatalf("answer: %v", err)
		}
		ev.waitEvent(t, "connected", callIn("hq/reception", ctiv1.CallState_CALL_STATE_CONNECTED))
		if _, err := h.host.Hangup(ctx, &ctiv1.CallRequest{Device: "hq/reception", CallId: call.GetCallId()}); err != nil {
			t.Fatalf("hangup: %v", err)
		}
		ended := ev.waitEvent(t, "ended", func(e *ctiv1.Event) bool { return e.GetCallEnded().GetCall().GetCallId() == call.GetCallId() })
		if ended.GetCallEnded().GetEndedBy() != ctiv1.EndedBy_ENDED_BY_LOCAL {
			t.Errorf("ended_by = %v, want local", ended.GetCallEnded().GetEndedBy())
		}
	})

	t.Run("plugins start with a scrubbed environment", func(t *testing.T) {
		resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resp.GetPlugins() {
			raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.GetPid()))
			if err != nil {
				t.Fatalf("read environment of %s plugin: %v", p.GetSite(), err)
			}
			for _, kv := range strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00") {
				name, _, _ := strings.Cut(kv, "=")
				if !strings.HasPrefix(name, "PLUGIN_") && name != "CTIHOST_PLUGIN" && name != "TMPDIR" {
					t.Errorf("%s plugin inherited %s from the host", p.GetSite(), name)
				}
			}
			if !strings.Contains(string(raw), "CTIHOST_PLUGIN=") {
				t.Errorf("%s plugin environment lacks the handshake cookie: %q", p.GetSite(), raw)
			}
			if strings.Contains(string(raw), secretPasscode) {
				t.Errorf("%s plugin environment holds the passcode", p.GetSite())
			}
		}
	})

	t.Run("errors carry the right codes", func(t *testing.T) {
		cases := []struct {
			name string
			call func() error
			want codes.Code
		}{
			{"bad reference", func() error {
				_, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "reception"})
				return err
			}, codes.InvalidArgument},
			{"unknown site", func() error {
				_, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "nowhere/x"})
				return err
			}, codes.NotFound},
			{"unknown device", func() error {
				_, err := h.host.Hold(ctx, &ctiv1.CallRequest{Device: "hq/nobody", CallId: "1-1"})
				return err
			}, codes.NotFound},
			{"unsupported by the model", func() error {
				_, err := h.host.SetDND(ctx, &ctiv1.SetDNDRequest{Device: "hq/reception", Enabled: true})
				return err
			}, codes.Unimplemented},
			{"unknown call", func() error {
				_, err := h.host.Hold(ctx, &ctiv1.CallRequest{Device: "hq/reception", CallId: "9-99"})
				return err
			}, codes.NotFound},
		}
		for _, c := range cases {
			if got := status.Code(c.call()); got != c.want {
				t.Errorf("%s: code %v, want %v", c.name, got, c.want)
			}
		}
	})

	t.Run("a device's refusal carries the vendor detail with the device reference", func(t *testing.T) {
		desk.sim.SetFault(gssim.FaultWrongPasscode)
		defer desk.sim.SetFault(gssim.FaultNone)
		_, err := h.host.Reboot(ctx, &ctiv1.DeviceRequest{Device: "branch/desk1"})
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("reboot with a refused passcode: %v, want PermissionDenied", err)
		}
		v := sdk.VendorDetail(err)
		if v.GetVendor() != "grandstream" || v.GetDevice() != "branch/desk1" || v.GetCode() != "http 401" {
			t.Errorf("vendor detail = %v, want grandstream, branch/desk1, http 401", v)
		}
	})
}

func TestKilledPluginLeavesOtherSitesServingAndNothingOutlivesTheHost(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	desk := newPhone(t, "desk1", "GXP2135")
	// A long backoff keeps the killed instance down for the whole test.
	h := startHost(t, map[string][]*testPhone{"hq": {reception}, "branch": {desk}}, `restart_backoff = "1h"`, `max_restart_backoff = "1h"`, `command_grace = "200ms"`)
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DRIVER}})

	pids := map[string]int{}
	resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetPlugins() {
		pids[p.GetSite()] = int(p.GetPid())
	}
	if pids["hq"] == 0 || pids["branch"] == 0 || pids["hq"] == pids["branch"] {
		t.Fatalf("want one plugin process per site, got %v", pids)
	}
	if err := syscall.Kill(pids["hq"], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	down := ev.waitEvent(t, "driver down event", func(e *ctiv1.Event) bool {
		return e.GetSite() == "hq" && e.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_DOWN
	})
	if !strings.Contains(down.GetDriverChanged().GetReason(), "killed") {
		t.Errorf("down reason %q does not say the plugin was killed", down.GetDriverChanged().GetReason())
	}
	_, err = h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), `"grandstream"`) || !strings.Contains(err.Error(), `"hq"`) {
		t.Errorf("command to the dead site: %v, want Unavailable naming driver and site", err)
	}
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "branch/desk1"}); err != nil {
		t.Errorf("the other site stopped serving: %v", err)
	}
	resp, err = h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetPlugins() {
		want := ctiv1.DriverState_DRIVER_STATE_RUNNING
		if p.GetSite() == "hq" {
			want = ctiv1.DriverState_DRIVER_STATE_DOWN
		}
		if p.GetState() != want {
			t.Errorf("admin shows %s %v, want %v", p.GetSite(), p.GetState(), want)
		}
	}

	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.done:
		if h.err != nil {
			t.Errorf("host exited with %v after SIGTERM, want 0", h.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("host did not exit within 10s of SIGTERM")
	}
	waitFor(t, 5*time.Second, "no plugin process left", func() bool {
		return !alive(pids["branch"])
	})
}

// alive reports whether a process with pid exists and has not exited: a
// zombie waiting for a parent that does not reap (as PID 1 in some
// containers) counts as gone.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

func TestBadConfigReportsEveryProblemWithPosition(t *testing.T) {
	cfg := `host {
  listen = "127.0.0.1:0"
  plugin_dir = "` + filepath.Join(binDir, "plugins") + `"
  colour = "blue"
}
plugin "grandstream" {}
site "hq" {
  device "a" {
    driver = "grandstream"
    model  = "GXP2135"
    host   = "127.0.0.1:1"
  }
  device "a" {
    driver = "grandstream"
    model  = "GXP2135"
    host   = "127.0.0.1:1"
    passcode = "x"
  }
  device "b" {
    driver = "snom"
    model  = "D385"
  }
  device "c" {
    driver = "grandstream"
    model  = "GXP9999"
    host   = 42
    passcode = env("NOT_SET_ANYWHERE_CTIHOST")
  }
}
`
	path := filepath.Join(t.TempDir(), "config.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "ctihost"), "-config", path)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{
		"config.hcl:4:3: error",   // unknown host attribute colour
		"config.hcl:8:3: error",   // device a: missing passcode
		"config.hcl:13:3: error",  // duplicate device a
		"config.hcl:20:14: error", // unknown driver snom
		"config.hcl:25:14: error", // unknown model
		"NOT_SET_ANYWHERE_CTIHOST",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "host API listening") {
		t.Errorf("the host started despite errors")
	}
}

func TestSHA256PinRefusesAnyOtherBinary(t *testing.T) {
	phone := newPhone(t, "reception", "GXP2135")
	binary := filepath.Join(binDir, "plugins", "cti-driver-grandstream")
	content, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	good := fmt.Sprintf("%x", sha256.Sum256(content))
	for _, c := range []struct {
		name, pin string
		exit      int
		says      string
	}{
		{"matching pin", good, 0, "is valid"},
		{"other pin", strings.Repeat("ab", 32), 1, "does not match its sha256 pin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, "127.0.0.1:0", map[string][]*testPhone{"hq": {phone}})
			src, _ := os.ReadFile(path)
			pinned := strings.Replace(string(src), `plugin "grandstream" {`, `plugin "grandstream" {`+"\n  sha256 = \""+c.pin+"\"", 1)
			if err := os.WriteFile(path, []byte(pinned), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd := exec.Command(filepath.Join(binDir, "ctihost"), "-check", "-config", path)
			cmd.Env = append(os.Environ(), "IT_PASSCODE="+secretPasscode)
			cmd.Stderr = &stderr
			cmd.Run()
			if got := cmd.ProcessState.ExitCode(); got != c.exit || !strings.Contains(stderr.String(), c.says) {
				t.Errorf("exit %d, want %d saying %q; stderr:\n%s", got, c.exit, c.says, stderr.String())
			}
		})
	}
}
