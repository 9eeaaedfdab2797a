package main

import (
	"context"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// refs lists the device references the host serves.
func refs(t *testing.T, h *runningHost) string {
	t.Helper()
	resp, err := h.host.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range resp.GetDevices() {
		out = append(out, d.GetDevice())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestSIGHUPAppliesOnlyTheDifferences(t *testing.T) {
	a := newPhone(t, "a", "GXP2135")
	b := newPhone(t, "b", "GXP2135")
	c := newPhone(t, "c", "DP750")
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {a}})
	h := runHost(t, listen, path, 1)
	hqPid := pidOf(t, h, "hq")
	rewrite := func(sites map[string][]*testPhone, extra ...string) {
		t.Helper()
		reloadWith(t, h, path, writeConfig(t, listen, sites, extra...))
	}

	// A device joins hq and a new site appears.
	rewrite(map[string][]*testPhone{"hq": {a, b}, "branch": {c}})
	waitFor(t, 20*time.Second, "the new device and site", func() bool { return refs(t, h) == "branch/c,hq/a,hq/b" })
	if pid := pidOf(t, h, "hq"); pid != hqPid {
		t.Errorf("hq's driver was restarted (pid %d -> %d); a reload must reconfigure it in place", hqPid, pid)
	}
	if _, err := h.host.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: "hq/b"}); err != nil {
		t.Errorf("the added device: %v", err)
	}
	branchPid := pidOf(t, h, "branch")

	// A broken file is refused as a whole; the host serves on.
	if err := os.WriteFile(path, []byte("site \"hq\" {\n  device \"a\" { driver = \"nope\" }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the refusal to be logged", func() bool {
		return strings.Contains(h.stderr.String(), "config reload refused")
	})
	if got := refs(t, h); got != "branch/c,hq/a,hq/b" {
		t.Errorf("after a refused reload the host serves %s", got)
	}

	// The site is removed again: its driver stops, hq is untouched.
	rewrite(map[string][]*testPhone{"hq": {a, b}})
	waitFor(t, 10*time.Second, "the site to go", func() bool { return refs(t, h) == "hq/a,hq/b" })
	waitFor(t, 5*time.Second, "the removed site's plugin to exit", func() bool { return !alive(branchPid) })
	if pid := pidOf(t, h, "hq"); pid != hqPid {
		t.Errorf("hq's driver was restarted by an unrelated change (pid %d -> %d)", hqPid, pid)
	}
	if !strings.Contains(h.stderr.String(), "config reloaded") {
		t.Errorf("no reload summary in the log")
	}
	resp, _ := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if p := resp.GetPlugins()[0]; len(p.GetSha256()) != 64 || p.GetSwaps() != 0 {
		t.Errorf("admin shows sha256 %q and %d swaps, want the running binary's checksum and no swap", p.GetSha256(), p.GetSwaps())
	}
}

func TestSIGHUPRetriesACrashLoopingDriver(t *testing.T) {
	a := newPhone(t, "a", "GXP2135")
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {a}}, `crash_loop_restarts = 1`)
	h := runHost(t, listen, path, 1)
	if err := syscall.Kill(pidOf(t, h, "hq"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	state := func() ctiv1.DriverState {
		resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetPlugins()[0].GetState()
	}
	waitFor(t, 10*time.Second, "crash loop", func() bool { return state() == ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP })
	h.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the reload to restart it", func() bool { return state() == ctiv1.DriverState_DRIVER_STATE_RUNNING })
}

// reloadWith copies the config at next over the host's config file at path
// and sends the host SIGHUP.
func reloadWith(t *testing.T, h *runningHost, path, next string) {
	t.Helper()
	src, err := os.ReadFile(next)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}
