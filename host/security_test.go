package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/auth"
	"github.com/ctihost/ctihost/host/config"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Security tests: each finding of issue 9, tried as an attacker would
// against a real host with real plugin processes.

// Tokens of the test clients: recognisable, so a leak is found.
const (
	hqCallsToken  = "hq-calls-Token-7f3a9c1e55"
	hqAdminToken  = "hq-admin-Token-0b8d2e44c1"
	eventsOnlyTok = "events-only-Token-91aa3fe0"
)

// clientBlocks declares the test clients: one for calls at hq, one admin
// at hq only, one that may only watch, everywhere.
var clientBlocks = fmt.Sprintf(`
client "hq-desk" {
  token  = %q
  sites  = ["hq"]
  scopes = ["events", "calls"]
}
client "hq-ops" {
  token  = %q
  sites  = ["hq"]
  scopes = ["events", "admin"]
}
client "wallboard" {
  token  = %q
  sites  = ["*"]
  scopes = ["events"]
}
`, hqCallsToken, hqAdminToken, eventsOnlyTok)

// startSecuredHost runs a host serving sites hq and branch (a Grandstream
// phone each) with the test clients, plus blocks appended to the file.
func startSecuredHost(t *testing.T, hostExtra []string, blocks string) *runningHost {
	t.Helper()
	h, _ := startSecuredHostAt(t, hostExtra, blocks)
	return h
}

// startSecuredHostAt is startSecuredHost, also returning the config path.
func startSecuredHostAt(t *testing.T, hostExtra []string, blocks string) (*runningHost, string) {
	t.Helper()
	sites := map[string][]*testPhone{"hq": {newPhone(t, "reception", "GXP2135")}, "branch": {newPhone(t, "desk1", "GXP2135")}}
	listen := freeAddr(t) // after the phones, which could take a port freeAddr gave
	path := writeConfig(t, listen, sites, hostExtra...)
	appendFile(t, path, clientBlocks+blocks)
	return runHost(t, listen, path, 2), path
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// bearer presents a fixed token.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	if b == "" {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// dialAs connects to h with token ("" for none).
func dialAs(t *testing.T, h *runningHost, token string) (ctiv1.HostClient, ctiv1.AdminClient) {
	t.Helper()
	conn, err := grpc.NewClient(h.listen, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ctiv1.NewHostClient(conn), ctiv1.NewAdminClient(conn)
}

func TestAPIRefusesUnauthenticatedWrongScopeAndOtherSites(t *testing.T) {
	h := startSecuredHost(t, nil, "")
	ctx := context.Background()

	anon, anonAdmin := dialAs(t, h, "")
	if _, err := anon.ListDevices(ctx, &ctiv1.ListDevicesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no credentials: %v, want Unauthenticated", err)
	}
	if _, err := anonAdmin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: "/bin/true"}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("swap without credentials: %v, want Unauthenticated", err)
	}
	forged, _ := dialAs(t, h, hqCallsToken+"x")
	if _, err := forged.ListDevices(ctx, &ctiv1.ListDevicesRequest{}); status.Code(err) != codes.Unauthenticated || strings.Contains(err.Error(), hqCallsToken) {
		t.Errorf("unknown token: %v, want Unauthenticated without the token", err)
	}

	desk, deskAdmin := dialAs(t, h, hqCallsToken)
	_, err := deskAdmin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream"})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `"admin"`) {
		t.Errorf("swap with the calls scope: %v, want PermissionDenied naming the admin scope", err)
	}
	wall, _ := dialAs(t, h, eventsOnlyTok)
	if _, err := wall.Dial(ctx, &ctiv1.DialRequest{Device: "hq/reception", Destination: "100"}); status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `"calls"`) {
		t.Errorf("dial with the events scope: %v, want PermissionDenied naming the calls scope", err)
	}

	// Another site is exactly an unknown one: same code, same message but
	// for the name, and the list of known sites holds only the client's.
	_, errOther := desk.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "branch/desk1"})
	_, errNone := desk.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "nosuch/desk1"})
	if status.Code(errOther) != codes.NotFound || strings.Replace(status.Convert(errOther).Message(), "branch", "nosuch", 1) != status.Convert(errNone).Message() {
		t.Errorf("other site: %v\nunknown site: %v\nwant the same NotFound", errOther, errNone)
	}
	if strings.Contains(status.Convert(errNone).Message(), "branch") {
		t.Errorf("the NotFound names a site the client may not reach: %v", errNone)
	}
	if _, err := desk.Dial(ctx, &ctiv1.DialRequest{Device: "branch/desk1", Destination: "100"}); status.Code(err) != codes.NotFound {
		t.Errorf("dial at another site: %v, want NotFound", err)
	}
	list, err := desk.ListDevices(ctx, &ctiv1.ListDevicesRequest{})
	if err != nil || len(list.GetDevices()) != 1 || list.GetDevices()[0].GetDevice() != "hq/reception" {
		t.Errorf("ListDevices for an hq client: %v %v, want hq/reception only", list, err)
	}
	if _, err := desk.ListDevices(ctx, &ctiv1.ListDevicesRequest{Sites: []string{"branch"}}); status.Code(err) != codes.NotFound {
		t.Errorf("ListDevices of another site: %v, want NotFound", err)
	}
	if _, err := desk.WatchEvents(ctx, &ctiv1.WatchEventsRequest{Sites: []string{"branch"}}); err == nil {
		// A stream's error arrives with its first Recv.
		stream, _ := desk.WatchEvents(ctx, &ctiv1.WatchEventsRequest{Sites: []string{"branch"}})
		if _, err := stream.Recv(); status.Code(err) != codes.NotFound {
			t.Errorf("watching another site: %v, want NotFound", err)
		}
	}

	// The hq admin sees and acts on hq's plugin only.
	_, ops := dialAs(t, h, hqAdminToken)
	plugins, err := ops.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil || len(plugins.GetPlugins()) != 1 || plugins.GetPlugins()[0].GetSite() != "hq" {
		t.Errorf("ListPlugins for the hq admin: %v %v, want hq's only", plugins, err)
	}
	if _, err := ops.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "branch", Driver: "grandstream"}); status.Code(err) != codes.NotFound {
		t.Errorf("restart at another site: %v, want NotFound", err)
	}

	// Events: the hq client never sees branch, not even its driver's
	// events; the wallboard (every site) does.
	hqEvents := watchWith(t, desk, &ctiv1.WatchEventsRequest{})
	allEvents := watchWith(t, wall, &ctiv1.WatchEventsRequest{})
	time.Sleep(200 * time.Millisecond)
	if _, err := h.admin.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "branch", Driver: "grandstream"}); err != nil {
		t.Fatal(err)
	}
	allEvents.waitEvent(t, "branch restarted", func(e *ctiv1.Event) bool {
		return e.GetSite() == "branch" && e.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_RESTARTED
	})
	if _, err := ops.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "hq", Driver: "grandstream"}); err != nil {
		t.Fatal(err)
	}
	hqEvents.waitEvent(t, "hq restarted", func(e *ctiv1.Event) bool {
		return e.GetSite() == "hq" && e.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_RESTARTED
	})
	hqEvents.mu.Lock()
	for _, e := range hqEvents.all {
		if e.GetGap() == nil && e.GetSite() != "hq" {
			t.Errorf("the hq client received an event of site %q: %v", e.GetSite(), e)
		}
	}
	hqEvents.mu.Unlock()

	// Audit: the refusals and the admin actions, with client names and
	// never a token.
	waitFor(t, 5*time.Second, "audit lines", func() bool {
		return strings.Contains(h.stderr.String(), "operation=Admin.RestartPlugin")
	})
	log := h.stderr.String()
	for _, want := range []string{
		"ctihost.audit: refused: client=- ", "client=hq-desk", "operation=Admin.SwapPlugin", "code=PermissionDenied",
		"client=hq-ops", "operation=Admin.RestartPlugin", "code=OK", "code=NotFound",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
	for _, secret := range []string{hqCallsToken, hqAdminToken, eventsOnlyTok, secretPasscode} {
		if strings.Contains(log, secret) {
			t.Errorf("a token or passcode appears in the log")
		}
	}
}

// A SwapPlugin naming a program outside the plugin folder never runs it:
// absolute, relative with .., or a bare name (looked up in the plugin
// folder, never on PATH).
func TestSwapPluginNeverRunsABinaryOutsideThePluginFolder(t *testing.T) {
	h := startSecuredHost(t, nil, "")
	marker := filepath.Join(t.TempDir(), "ran")
	script := filepath.Join(t.TempDir(), "evil")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pathDir := t.TempDir()
	if err := os.Symlink(script, filepath.Join(pathDir, "cti-evil")); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(filepath.Join(binDir, "plugins"), script)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, binary := range []string{script, rel, "cti-evil", "../../../../../../" + strings.TrimPrefix(script, "/")} {
		_, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: binary})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("swap to %s: %v, want PermissionDenied", binary, err)
		}
	}
	// A symlink in the plugin folder to a program elsewhere is outside too.
	link := filepath.Join(binDir, "plugins", "link-"+filepath.Base(t.TempDir()))
	if err := os.Symlink(script, link); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(link) })
	if _, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: link}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("swap to a symlink leading out of the plugin folder: %v, want PermissionDenied", err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a program outside the plugin folder was run")
	}
}

// A binary in the plugin folder that is another driver is refused before it
// is configured, so it never receives the site's passcodes; a pinned
// plugin block holds every swap to its pin.
func TestSwapPluginRefusesLookAlikesAndHoldsThePin(t *testing.T) {
	content, err := os.ReadFile(filepath.Join(binDir, "plugins", "cti-driver-grandstream"))
	if err != nil {
		t.Fatal(err)
	}
	pin := fmt.Sprintf("%x", sha256Sum(content))
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {newPhone(t, "reception", "GXP2135")}})
	src, _ := os.ReadFile(path)
	pinned := strings.Replace(string(src), `plugin "grandstream" {`, `plugin "grandstream" {`+"\n  sha256 = \""+pin+"\"", 1)
	if err := os.WriteFile(path, []byte(pinned), 0o600); err != nil {
		t.Fatal(err)
	}
	h := runHost(t, listen, path, 1)
	ctx := context.Background()

	buggy := filepath.Join(binDir, "plugins", "cti-driver-buggy")
	_, err = h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: buggy, Sha256: pin})
	if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("swap to another binary claiming the pin: %v, want Aborted by the checksum", err)
	}
	_, err = h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: buggy})
	if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("swap without a sum to a binary that misses the pin: %v, want Aborted by the pin", err)
	}
	_, err = h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: buggy, Sha256: fmt.Sprintf("%x", sha256Sum([]byte("x")))})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "pinned") {
		t.Errorf("swap with another sum: %v, want FailedPrecondition", err)
	}
	if p, _ := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{}); p.GetPlugins()[0].GetSha256() != pin || p.GetPlugins()[0].GetSwaps() != 0 {
		t.Errorf("after refused swaps: %v", p)
	}

	// Unpinned, the other driver starts but is refused at GetInfo, before
	// Configure.
	h2 := startSecuredHost(t, nil, "")
	_, err = h2.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: buggy, Sites: []string{"hq"}})
	if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), `is driver "buggy", not "grandstream": refusing to configure it`) {
		t.Errorf("swap to another driver: %v, want refused before Configure", err)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// The local token lets the host's own user in with no set-up, and no other
// account: the file is the user's alone, and another account's ctictl is
// refused.
func TestLocalTokenIsTheOwnersOnly(t *testing.T) {
	h := startHost(t, map[string][]*testPhone{"hq": {newPhone(t, "reception", "GXP2135")}})
	file := h.localTokenFile()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.Stat(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || dir.Mode().Perm() != 0o700 {
		t.Errorf("token file %v, folder %v: want 0600 in 0700", st.Mode(), dir.Mode())
	}
	if _, err := h.host.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{}); err != nil {
		t.Errorf("the owner's local token is refused: %v", err)
	}
	if os.Geteuid() != 0 {
		return // another account can be tried only from root; the modes above are the guarantee
	}
	// As nobody: the file cannot be read.
	cat := exec.Command("cat", file)
	cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cat.CombinedOutput(); err == nil {
		t.Errorf("another account read the local token: %s", out)
	}
	_, anonAdmin := dialAs(t, h, "")
	if _, err := anonAdmin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a caller without the token: %v, want Unauthenticated", err)
	}
}

// A host does not start plaintext beyond loopback unless told to, loudly.
func TestPlaintextBeyondLoopbackIsRefused(t *testing.T) {
	path := writeConfig(t, "0.0.0.0:0", map[string][]*testPhone{"hq": {newPhone(t, "reception", "GXP2135")}})
	var stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "ctihost"), "-config", path)
	cmd.Env = append(os.Environ(), "IT_PASSCODE="+secretPasscode, "XDG_CONFIG_HOME="+t.TempDir())
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the host started serving plaintext on 0.0.0.0")
	}
	if cmd.ProcessState.ExitCode() == 0 || !strings.Contains(stderr.String(), "without TLS") {
		t.Errorf("exit %d, stderr:\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
}

// Streams and connections are bounded: one connection holds at most 100
// calls, a client at most max_client_subscribers streams, and connections
// that say nothing, or send a call's headers and never its body, are
// closed.
func TestServerLimitsHoldAgainstFloodsAndSilentConnections(t *testing.T) {
	metricsAddr := reservedAddr(t)
	h := startSecuredHost(t, []string{fmt.Sprintf("metrics = %q", metricsAddr), `connection_idle_timeout = "1s"`, `max_client_subscribers = 150`},
		fmt.Sprintf("client \"small\" {\n  token = %q\n  sites = [\"*\"]\n  scopes = [\"events\"]\n}\n", "small-Client-Token-33aa"))

	// 300 streams on one connection: the server runs 100 at a time.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 300 {
		go func() {
			if s, err := h.host.WatchEvents(ctx, &ctiv1.WatchEventsRequest{}); err == nil {
				s.Recv()
			}
		}()
	}
	waitFor(t, 10*time.Second, "100 subscribers", func() bool { return scrape(t, h, metricsAddr, "ctihost_event_subscribers") == "100" })
	time.Sleep(500 * time.Millisecond)
	if got := scrape(t, h, metricsAddr, "ctihost_event_subscribers"); got != "100" {
		t.Errorf("one connection holds %s streams, want 100", got)
	}
	cancel()

	// A client's own bound, across connections.
	small := make([]ctiv1.HostClient, 2)
	for i := range small {
		small[i], _ = dialAs(t, h, "small-Client-Token-33aa")
	}
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	var refused atomic.Value // error
	for n := 0; n < 160 && refused.Load() == nil; n++ {
		s, err := small[n%2].WatchEvents(sctx, &ctiv1.WatchEventsRequest{Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_QUEUE}})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if _, err := s.Recv(); status.Code(err) == codes.ResourceExhausted {
				refused.Store(err)
			}
		}()
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(t, 5*time.Second, "a refused stream", func() bool { return refused.Load() != nil })
	if err := refused.Load().(error); !strings.Contains(err.Error(), "max_client_subscribers") {
		t.Errorf("refusal %v does not name the limit", err)
	}
	scancel()

	// 50 connections that send the HTTP/2 preface and SETTINGS and then
	// nothing, and 50 that open a call and never send its body.
	var conns []net.Conn
	for i := range 100 {
		c, err := net.Dial("tcp", h.listen)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
		c.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0}) // empty SETTINGS
		if i%2 == 1 {
			c.Write(headersFrame(t, "/cti.v1.Host/ListDevices", hqCallsToken))
		}
	}
	deadline := time.Now().Add(25 * time.Second)
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					break
				}
				closed++
				break
			}
		}
		c.Close()
	}
	if closed != len(conns) {
		t.Errorf("%d of %d silent connections were closed within 25s", closed, len(conns))
	}
}

// headersFrame is an HTTP/2 HEADERS frame (stream 1, END_HEADERS, no
// END_STREAM) opening a gRPC call, HPACK literal fields without indexing.
func headersFrame(t *testing.T, method, token string) []byte {
	t.Helper()
	var block []byte
	field := func(name, value string) {
		block = append(block, 0x00, byte(len(name)))
		block = append(block, name...)
		if len(value) > 126 {
			t.Fatal("value too long for this encoder")
		}
		block = append(block, byte(len(value)))
		block = append(block, value...)
	}
	field(":method", "POST")
	field(":scheme", "http")
	field(":path", method)
	field(":authority", "x")
	field("content-type", "application/grpc")
	field("te", "trailers")
	field("authorization", "Bearer "+token)
	n := len(block)
	frame := []byte{byte(n >> 16), byte(n >> 8), byte(n), 0x1, 0x4, 0, 0, 0, 1}
	return append(frame, block...)
}

// scrape returns the value of the metric line that starts with name (and
// its labels, if any), or "".
func scrape(t *testing.T, h *runningHost, addr, name string) string {
	t.Helper()
	for _, line := range strings.Split(h.metricsPage(t, addr), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// reservedAddr is a loopback address no other listener of this test takes:
// a port of 127.0.0.2 (phones and freeAddr use 127.0.0.1).
func reservedAddr(t *testing.T) string {
	t.Helper()
	return freeAddrOn(t, "127.0.0.2")
}

// The audit log writes at every log level: quieting the log keeps it.
func TestAuditLogIgnoresTheLogLevel(t *testing.T) {
	var buf bytes.Buffer
	audit, closer, err := auditLogger(config.Host{LogLevel: "error"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	audit.Info("command", "client", "app")
	if !strings.Contains(buf.String(), "ctihost.audit: command: client=app") {
		t.Errorf("audit line missing at log_level error: %q", buf.String())
	}
}

// A reload that removes a client ends its event streams and refuses its
// token from then on; other clients' streams go on.
func TestReloadRevokesARemovedClient(t *testing.T) {
	h, path := startSecuredHostAt(t, nil, "")
	desk, _ := dialAs(t, h, hqCallsToken)
	wall, _ := dialAs(t, h, eventsOnlyTok)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deskStream, err := desk.WatchEvents(ctx, &ctiv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		for {
			if _, err := deskStream.Recv(); err != nil {
				ended <- err
				return
			}
		}
	}()
	wallEvents := watchWith(t, wall, &ctiv1.WatchEventsRequest{})
	time.Sleep(200 * time.Millisecond)

	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), `client "hq-desk"`)
	end := start + strings.Index(string(src)[start:], "}\n") + 2
	if err := os.WriteFile(path, []byte(string(src)[:start]+string(src)[end:]), 0o600); err != nil {
		t.Fatal(err)
	}
	reloads := strings.Count(h.stderr.String(), "config reloaded")
	h.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Count(h.stderr.String(), "config reloaded") > reloads })
	select {
	case err := <-ended:
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("the removed client's stream ended with %v, want Unauthenticated", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the removed client's stream goes on")
	}
	if _, err := desk.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("the removed client's token: %v, want Unauthenticated", err)
	}
	if _, err := h.admin.RestartPlugin(context.Background(), &ctiv1.RestartPluginRequest{Site: "hq", Driver: "grandstream"}); err != nil {
		t.Fatal(err)
	}
	wallEvents.waitEvent(t, "the other client's stream to go on", func(e *ctiv1.Event) bool {
		return e.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_RESTARTED
	})
}

// The metrics endpoint is a listener like the API: it needs a client's
// token with the metrics scope.
func TestMetricsNeedATokenWithTheMetricsScope(t *testing.T) {
	metricsAddr := reservedAddr(t)
	h := startSecuredHost(t, []string{fmt.Sprintf("metrics = %q", metricsAddr)}, "")
	get := func(token string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	local, err := os.ReadFile(h.localTokenFile())
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]int{"": http.StatusUnauthorized, "wrong-Token-0123456789": http.StatusUnauthorized,
		eventsOnlyTok: http.StatusForbidden, strings.TrimSpace(string(local)): http.StatusOK} {
		if got := get(token); got != want {
			t.Errorf("metrics with token %.6q…: HTTP %d, want %d", token, got, want)
		}
	}
	waitFor(t, 5*time.Second, "the refusal in the audit log", func() bool {
		return strings.Contains(h.stderr.String(), "operation=\"GET /metrics\"") || strings.Contains(h.stderr.String(), "operation=GET /metrics")
	})
}

// Health checks: the overall one is open for probes; per-site statuses,
// the list and watches need a client with the events scope, and a site out
// of its reach answers exactly as one that does not exist. Reflection
// needs a client too: its stream would hold a connection open.
func TestHealthAndReflectionShowOnlyWhatTheClientMaySee(t *testing.T) {
	h := startSecuredHost(t, nil, "")
	ctx := context.Background()
	conn := func(token string) *grpc.ClientConn {
		c, err := grpc.NewClient(h.listen, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(token)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	anon, desk := healthpb.NewHealthClient(conn("")), healthpb.NewHealthClient(conn(hqCallsToken))
	if resp, err := anon.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("the overall check without credentials: %v %v, want SERVING", resp, err)
	}
	if _, err := anon.Check(ctx, &healthpb.HealthCheckRequest{Service: "site/hq"}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a site's check without credentials: %v, want Unauthenticated", err)
	}
	if _, err := anon.List(ctx, &healthpb.HealthListRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("the list without credentials: %v, want Unauthenticated", err)
	}
	_, errOther := desk.Check(ctx, &healthpb.HealthCheckRequest{Service: "site/branch"})
	_, errNone := desk.Check(ctx, &healthpb.HealthCheckRequest{Service: "site/nope"})
	if status.Code(errOther) != codes.NotFound || errOther.Error() != errNone.Error() {
		t.Errorf("another site's check: %v; an unknown one: %v; want the same NotFound", errOther, errNone)
	}
	list, err := desk.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := list.GetStatuses()["site/branch"]; ok || list.GetStatuses()["site/hq"] == nil {
		t.Errorf("the hq client's list: %v, want site/hq and not site/branch", list.GetStatuses())
	}
	for _, service := range []string{"site/branch", "site/nope"} {
		w, err := desk.Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := w.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
			t.Errorf("watch %s: %v %v, want SERVICE_UNKNOWN", service, resp, err)
		}
	}
	refl, err := reflectpb.NewServerReflectionClient(conn("")).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refl.Send(&reflectpb.ServerReflectionRequest{MessageRequest: &reflectpb.ServerReflectionRequest_ListServices{}})
	if _, err := refl.Recv(); status.Code(err) != codes.Unauthenticated {
		t.Errorf("reflection without credentials: %v, want Unauthenticated", err)
	}
}

// The host's local client and the name config reserves for it agree.
func TestLocalClientNameIsReserved(t *testing.T) {
	if auth.LocalClientName != config.LocalClientName {
		t.Errorf("auth says %q, config reserves %q", auth.LocalClientName, config.LocalClientName)
	}
	_, diags := config.Parse([]byte("client \"local\" {\n  token = \"0123456789abcdef0123\"\n  sites = [\"*\"]\n  scopes = [\"events\"]\n}\n"), "local.hcl")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "local token") {
		t.Errorf("a client block named local: %v, want refused", diags)
	}
}
