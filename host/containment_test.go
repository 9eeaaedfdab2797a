package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Containment tests: the buggy driver (examples/buggy-driver) misbehaves on
// command at site hq while a Grandstream driver serves site branch. Every
// claim of issue 4 about a bad driver is shown here with real processes.

const buggyToken = "buggy-token-Secret-42"

// startBuggyHost runs a host with a buggy driver at hq and a Grandstream
// phone at branch.
func startBuggyHost(t *testing.T, hostExtra ...string) *runningHost {
	t.Helper()
	return startBuggyHostWith(t, "", hostExtra...)
}

// startBuggyHostWith is startBuggyHost with attributes for the buggy
// plugin block.
func startBuggyHostWith(t *testing.T, pluginAttrs string, hostExtra ...string) *runningHost {
	t.Helper()
	acme := httptest.NewServer(acmesim.NewPhone(buggyToken, 2))
	t.Cleanup(acme.Close)
	desk := newPhone(t, "desk1", "GXP2135")
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"branch": {desk}}, hostExtra...)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plugin := "plugin \"buggy\" {}" // as written: other tests rewrite it
	if pluginAttrs != "" {
		plugin = "plugin \"buggy\" {\n  " + pluginAttrs + "\n}"
	}
	buggy := fmt.Sprintf("%s\nsite \"hq\" {\n  device \"desk\" {\n    driver = \"buggy\"\n    model = \"BUGGY-1\"\n    host = %q\n    token = %q\n  }\n}\n",
		plugin, strings.TrimPrefix(acme.URL, "http://"), buggyToken)
	if err := os.WriteFile(path, append(src, buggy...), 0o600); err != nil {
		t.Fatal(err)
	}
	return runHost(t, listen, path, 2)
}

// press sends one fault key to the buggy device.
func press(ctx context.Context, h *runningHost, key string) error {
	_, err := h.host.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "hq/desk", Keys: []string{key}})
	return err
}

func driverState(state ctiv1.DriverState) func(*ctiv1.Event) bool {
	return func(e *ctiv1.Event) bool {
		return e.GetSite() == "hq" && e.GetDriverChanged().GetState() == state
	}
}

func TestCrashingDriverIsRestartedAndTheOtherSiteServes(t *testing.T) {
	for _, c := range []struct{ key, cause string }{
		{"FAULT_PANIC", "panic: "},
		{"FAULT_EXIT", "exited with status 3"},
	} {
		t.Run(c.key, func(t *testing.T) {
			h := startBuggyHost(t)
			ctx := context.Background()
			ev := watch(t, h, &ctiv1.WatchEventsRequest{Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DRIVER}})
			time.Sleep(100 * time.Millisecond)
			pressed := time.Now()
			err := press(ctx, h, c.key)
			if c.key == "FAULT_EXIT" && status.Code(err) != codes.Unavailable {
				t.Errorf("the command that killed the driver: %v, want Unavailable (outcome unknown)", err)
			}
			down := ev.waitEvent(t, "driver down", driverState(ctiv1.DriverState_DRIVER_STATE_DOWN))
			if reason := down.GetDriverChanged().GetReason(); !strings.Contains(reason, c.cause) {
				t.Errorf("down reason %q does not say %q", reason, c.cause)
			}
			if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "branch/desk1"}); err != nil {
				t.Errorf("the other site: %v", err)
			}
			ev.waitEvent(t, "driver restarted", driverState(ctiv1.DriverState_DRIVER_STATE_RESTARTED))
			if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}); err != nil {
				t.Errorf("the restarted driver: %v", err)
			}
			t.Logf("%s: back in service %s after the key press", c.key, time.Since(pressed))
		})
	}
}

func TestHungRPCIsBoundedByTheCommandDeadline(t *testing.T) {
	h := startBuggyHost(t, `command_timeout = "500ms"`)
	ctx := context.Background()
	began := time.Now()
	err := press(ctx, h, "FAULT_HANG")
	took := time.Since(began)
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), `"buggy"`) {
		t.Errorf("hung command: %v, want DeadlineExceeded naming the driver", err)
	}
	if took > 2*time.Second {
		t.Errorf("hung command took %s, want about the 500ms deadline", took)
	}
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}); err != nil {
		t.Errorf("a hung RPC blocked the driver's other commands: %v", err)
	}
}

func TestWedgedDriverFailsItsLivenessProbeAndIsRestarted(t *testing.T) {
	h := startBuggyHost(t, `probe_interval = "200ms"`, `probe_timeout = "200ms"`, `command_timeout = "500ms"`)
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Sites: []string{"hq"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DRIVER}})
	time.Sleep(100 * time.Millisecond)
	if err := press(ctx, h, "FAULT_HANG_ALL"); err != nil {
		t.Fatal(err)
	}
	down := ev.waitEvent(t, "driver down", driverState(ctiv1.DriverState_DRIVER_STATE_DOWN))
	if !strings.Contains(down.GetDriverChanged().GetReason(), "liveness probes failed") {
		t.Errorf("down reason %q does not name the failed probes", down.GetDriverChanged().GetReason())
	}
	ev.waitEvent(t, "driver restarted", driverState(ctiv1.DriverState_DRIVER_STATE_RESTARTED))
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}); err != nil {
		t.Errorf("after the restart: %v", err)
	}
}

func TestFloodAndGarbageNeverReachAppsMalformed(t *testing.T) {
	h := startBuggyHost(t)
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Sites: []string{"hq"}})
	time.Sleep(100 * time.Millisecond)
	if err := press(ctx, h, "FAULT_FLOOD"); err != nil {
		t.Fatal(err)
	}
	ev.waitEvent(t, "flood events", func(e *ctiv1.Event) bool {
		return strings.HasPrefix(e.GetCallEnded().GetCall().GetCallId(), "flood-")
	})
	if err := press(ctx, h, "FAULT_GARBAGE"); err != nil {
		t.Fatal(err)
	}
	st, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"})
	if err != nil || st.GetDevice() != "hq/desk" {
		t.Errorf("state from a garbling driver: %v %v, want it addressed to hq/desk", st, err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := press(ctx, h, "FAULT_RESET"); err != nil {
		t.Fatal(err)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, e := range ev.all {
		if e.GetPayload() == nil || (e.GetDevice() != "" && !strings.HasPrefix(e.GetDevice(), "hq/")) {
			t.Fatalf("a malformed event reached the app: %v", e)
		}
	}
	t.Logf("the app received %d events during the flood", len(ev.all))
}

func TestPluginsThatBreakTheHandshakeAreReportedWithTheirCause(t *testing.T) {
	for _, c := range []struct{ mode, cause string }{
		{"stdout", "hello from a chatty plugin"},
		{"nohandshake", "timeout"},
		{"exit", "missing licence"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			dir := t.TempDir()
			build := exec.Command("go", "build", "-ldflags", "-X main.startFault="+c.mode,
				"-o", filepath.Join(dir, "cti-driver-buggy"), "github.com/ctihost/ctihost/examples/buggy-driver/cmd/cti-driver-buggy")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			cfg := fmt.Sprintf("host {\n  plugin_dir = %q\n  plugin_start_timeout = \"2s\"\n}\nplugin \"buggy\" {}\nsite \"hq\" {\n  device \"desk\" {\n    driver = \"buggy\"\n    model = \"BUGGY-1\"\n    host = \"127.0.0.1:1\"\n    token = \"x-token\"\n  }\n}\n", dir)
			path := filepath.Join(dir, "config.hcl")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd := exec.Command(filepath.Join(binDir, "ctihost"), "-check", "-config", path)
			cmd.Stderr = &stderr
			began := time.Now()
			cmd.Run()
			took := time.Since(began)
			if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), c.cause) || !strings.Contains(stderr.String(), `plugin "buggy": cannot start`) {
				t.Errorf("exit %d after %s, want 1 naming the cause %q:\n%s", cmd.ProcessState.ExitCode(), took, c.cause, stderr.String())
			}
			if took > 6*time.Second {
				t.Errorf("reporting took %s, want within the 2s start timeout (plus build-free overhead)", took)
			}
			if alive := pgrepBuggy(dir); alive {
				t.Errorf("a %s plugin process outlived the host", c.mode)
			}
		})
	}
}

// pgrepBuggy reports whether a plugin process from dir is still running.
func pgrepBuggy(dir string) bool {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		exe, err := os.Readlink(filepath.Join("/proc", p.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir) {
			var pid int
			fmt.Sscan(p.Name(), &pid)
			return alive(pid) && syscall.Kill(pid, 0) == nil
		}
	}
	return false
}
