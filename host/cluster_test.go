package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// natsToken guards the test's NATS; the host reads it by env(), so the
// leak check covers it.
const natsToken = "Nats-Cluster-Token-5c21e0"

// Two hosts, one NATS (JetStream) between them: each host runs its own
// site, and an app on either host sees both sites' events, under the same
// sequences; a host that restarts resumes from the cluster's stream.
func TestTwoHostsServeEachOthersEventsThroughNATS(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true, Authorization: natsToken})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	t.Setenv("IT_NATS_TOKEN", natsToken)
	cluster := fmt.Sprintf("cluster {\n  nats_url = %q\n  token = env(\"IT_NATS_TOKEN\")\n  host_id = %%q\n}\n", ns.ClientURL())

	start := func(site, id string, phone *testPhone) (*runningHost, string) {
		t.Helper()
		listen := freeAddr(t)
		path := writeConfig(t, listen, map[string][]*testPhone{site: {phone}})
		appendFile(t, path, fmt.Sprintf(cluster, id))
		return runHost(t, listen, path, 1), path
	}
	phoneA, phoneB := newPhone(t, "desk", "GXP2135"), newPhone(t, "desk", "GXP2135")
	a, pathA := start("hq", "host-a", phoneA)
	b, _ := start("br", "host-b", phoneB)
	onA := watch(t, a, &ctiv1.WatchEventsRequest{FromSequence: 1, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	if _, err := phoneB.sim.RingIn("5550001", "B's caller"); err != nil {
		t.Fatal(err)
	}
	ringB := onA.waitEvent(t, "host b's call at host a", callIn("br/desk", ctiv1.CallState_CALL_STATE_RINGING))
	if _, err := phoneA.sim.RingIn("5550002", "A's caller"); err != nil {
		t.Fatal(err)
	}
	onB := watch(t, b, &ctiv1.WatchEventsRequest{FromSequence: ringB.GetSequence(), Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	same := onB.waitEvent(t, "host b's call at host b, resumed from host a's sequence", func(ev *ctiv1.Event) bool { return ev.GetSequence() == ringB.GetSequence() })
	if same.GetDevice() != "br/desk" || same.GetCallChanged().GetCall().GetCallId() != ringB.GetCallChanged().GetCall().GetCallId() {
		t.Errorf("sequence %d is %v at host b and %v at host a", ringB.GetSequence(), same, ringB)
	}
	ringA := onB.waitEvent(t, "host a's call at host b", callIn("hq/desk", ctiv1.CallState_CALL_STATE_RINGING))
	onA.waitEvent(t, "host a's call at host a", func(ev *ctiv1.Event) bool { return ev.GetSequence() == ringA.GetSequence() })
	for _, ev := range onA.snapshot() {
		if ev.GetGap() != nil {
			t.Errorf("a gap at host a: %v", ev)
		}
	}
	// Host b's driver dies (-9) and restarts: the call it reported ends
	// LOST under the id apps know, and comes back, still ringing, under
	// the new process's id (each process numbers calls from 1).
	plugins, err := b.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if err != nil || len(plugins.GetPlugins()) != 1 || plugins.GetPlugins()[0].GetPid() == 0 {
		t.Fatalf("host b's plugins: %v, %v", plugins, err)
	}
	if err := syscall.Kill(int(plugins.GetPlugins()[0].GetPid()), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	oldID := ringB.GetCallChanged().GetCall().GetCallId()
	ended := onA.waitEvent(t, "host b's call ends as its driver restarts", func(ev *ctiv1.Event) bool {
		return ev.GetCallEnded().GetCall().GetCallId() == oldID
	})
	if ended.GetCallEnded().GetReason() != ctiv1.EndReason_END_REASON_LOST {
		t.Errorf("the call ended %s, want LOST", ended.GetCallEnded().GetReason())
	}
	back := onA.waitEvent(t, "host b's call back from the restarted driver", func(ev *ctiv1.Event) bool {
		return ev.GetSequence() > ended.GetSequence() && callIn("br/desk", ctiv1.CallState_CALL_STATE_RINGING)(ev)
	}).GetCallChanged().GetCall()
	if back.GetCallId() == oldID || !strings.HasPrefix(back.GetCallId(), "host-b.") || back.GetRemote().GetNumber() != "5550001" {
		t.Errorf("after the restart the call is %q from %q; want a new id of host b for 5550001 (was %q)", back.GetCallId(), back.GetRemote().GetNumber(), oldID)
	}

	if log := a.stderr.String() + b.stderr.String(); strings.Contains(log, natsToken) {
		t.Error("the NATS token appears in a host's log")
	}

	// Host a restarts: an app on it resumes from the cluster's stream.
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-a.done
	a2 := runHost(t, a.listen, pathA, 1)
	resumed := watch(t, a2, &ctiv1.WatchEventsRequest{FromSequence: ringB.GetSequence(), Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	first := resumed.waitEvent(t, "the first resumed event", func(*ctiv1.Event) bool { return true })
	if first.GetSequence() != ringB.GetSequence() || first.GetDevice() != "br/desk" {
		t.Errorf("after host a's restart, resuming from %d starts with %v", ringB.GetSequence(), first)
	}
}

// Failover with three hosts: a and b are configured for site hq, c runs
// site br only. a runs hq; b forwards commands for it there; when a is
// killed (-9), its lease expires and b takes hq: apps on b and on c see
// hq's devices go out of service, then back in service from b's driver,
// and the call that ended meanwhile end as LOST.
func TestASiteMovesToTheOtherHostWhenItsHostDies(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	const appToken = "cluster-app-token-0123456789"
	t.Setenv("IT_APP_TOKEN", appToken)
	phone, branch := newPhone(t, "desk", "GXP2135"), newPhone(t, "desk", "GXP2135")
	hostConfig := func(id string) (string, string) {
		listen := freeAddr(t)
		site, p := "hq", phone
		if id == "host-c" {
			site, p = "br", branch
		}
		path := writeConfig(t, listen, map[string][]*testPhone{site: {p}})
		appendFile(t, path, fmt.Sprintf("cluster {\n  nats_url = %q\n  host_id = %q\n  lease_ttl = \"2s\"\n}\n", ns.ClientURL(), id)+
			"client \"app\" {\n  token = env(\"IT_APP_TOKEN\")\n  sites = [\"*\"]\n  scopes = [\"events\", \"calls\", \"devices\", \"admin\"]\n}\n")
		return listen, path
	}
	listenA, pathA := hostConfig("host-a")
	a := runHost(t, listenA, pathA, 1)
	listenB, pathB := hostConfig("host-b")
	b := launchHost(t, listenB, pathB)
	appB, adminB := dialAs(t, b, appToken)
	ctx := context.Background()
	// Host b stands by, and its Admin API shows where hq runs.
	waitFor(t, 20*time.Second, "host b up, showing hq running at host a", func() bool {
		resp, err := adminB.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
		return err == nil && len(resp.GetPlugins()) == 1 && resp.GetPlugins()[0].GetHost() == "host-a" &&
			resp.GetPlugins()[0].GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING
	})

	listenC, pathC := hostConfig("host-c")
	c := runHost(t, listenC, pathC, 1)
	appC, _ := dialAs(t, c, appToken)
	atC := watchWith(t, appC, &ctiv1.WatchEventsRequest{FromSequence: 1})

	// A command at host b for hq runs at host a.
	events := watchWith(t, appB, &ctiv1.WatchEventsRequest{FromSequence: 1, Devices: nil})
	if _, err := phone.sim.RingIn("5550100", "Caller"); err != nil {
		t.Fatal(err)
	}
	ring := events.waitEvent(t, "hq's call at host b", callIn("hq/desk", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	st, err := appB.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"})
	if err != nil || len(st.GetCalls()) != 1 {
		t.Fatalf("GetDeviceState at host b, forwarded to host a: %v, %v", st, err)
	}
	// Host b lists hq's devices as host a's running driver sees them
	// (its own instance stands by and knows no capabilities).
	list, err := appB.ListDevices(ctx, &ctiv1.ListDevicesRequest{})
	if err != nil || len(list.GetDevices()) != 1 || len(list.GetDevices()[0].GetCapabilities()) == 0 || list.GetDevices()[0].GetDevice() != "hq/desk" {
		t.Fatalf("ListDevices at host b: %v, %v; want hq/desk with its capabilities, from host a", list, err)
	}

	// Host a dies; the caller gives up meanwhile.
	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
	if err := phone.sim.RemoteHangup(1); err != nil {
		t.Fatal(err)
	}
	out := events.waitEvent(t, "hq/desk out of service", func(ev *ctiv1.Event) bool {
		st := ev.GetDeviceChanged().GetStatus()
		return ev.GetDevice() == "hq/desk" && st != nil && !st.GetReachable() && strings.Contains(st.GetDetail(), "moved from host host-a")
	})
	events.waitEvent(t, "hq/desk back in service from host b's driver", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "hq/desk" && ev.GetSequence() > out.GetSequence() && ev.GetDeviceChanged().GetStatus().GetReachable()
	})
	moved := time.Since(killed)
	lost := events.waitEvent(t, "the call that ended meanwhile", func(ev *ctiv1.Event) bool {
		return ev.GetCallEnded().GetCall().GetCallId() == ring.GetCallId()
	})
	if lost.GetCallEnded().GetReason() != ctiv1.EndReason_END_REASON_LOST {
		t.Errorf("the call ended %s, want LOST", lost.GetCallEnded().GetReason())
	}
	if _, err := appB.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}); err != nil {
		t.Errorf("hq at host b after the move: %v", err)
	}
	// Host c, which never ran hq, saw the same corrections in the same
	// order, and forwards hq's commands to b now.
	for _, want := range []*ctiv1.Event{out, lost} {
		got := atC.waitEvent(t, "the correction at host c", func(ev *ctiv1.Event) bool { return ev.GetSequence() == want.GetSequence() })
		if got.GetDevice() != want.GetDevice() || fmt.Sprint(got.GetPayload()) != fmt.Sprint(want.GetPayload()) {
			t.Errorf("sequence %d is %v at host c and %v at host b", want.GetSequence(), got, want)
		}
	}
	if _, err := appC.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}); err != nil {
		t.Errorf("hq through host c after the move: %v", err)
	}
	// Host b's driver numbers its calls from 1 as host a's did; apps must
	// still never see one id for two calls. A command through host c with
	// the id apps see reaches the call on the phone.
	if _, err := phone.sim.RingIn("5550101", "Second caller"); err != nil {
		t.Fatal(err)
	}
	again := events.waitEvent(t, "a second call at hq, run by host b", func(ev *ctiv1.Event) bool {
		return ev.GetSequence() > lost.GetSequence() && callIn("hq/desk", ctiv1.CallState_CALL_STATE_RINGING)(ev)
	}).GetCallChanged().GetCall()
	if again.GetCallId() == ring.GetCallId() || !strings.HasPrefix(again.GetCallId(), "host-b.") {
		t.Errorf("the call at host b has id %q, the one at host a had %q: want a new id of host b's tenure", again.GetCallId(), ring.GetCallId())
	}
	if _, err := appC.Reject(ctx, &ctiv1.CallRequest{Device: "hq/desk", CallId: again.GetCallId()}); err != nil {
		t.Fatalf("Reject through host c: %v", err)
	}
	events.waitEvent(t, "the rejected call ends", func(ev *ctiv1.Event) bool {
		return ev.GetCallEnded().GetCall().GetCallId() == again.GetCallId()
	})
	// An error about the call names it and its device as the app did, not
	// as the driver knows them.
	_, err = appC.Reject(ctx, &ctiv1.CallRequest{Device: "hq/desk", CallId: again.GetCallId()})
	if msg := status.Convert(err).Message(); status.Code(err) != codes.NotFound || !strings.Contains(msg, strconv.Quote(again.GetCallId())) || !strings.Contains(msg, `"hq/desk"`) {
		t.Errorf("Reject of the ended call: %v; want NOT_FOUND naming %q on \"hq/desk\"", err, again.GetCallId())
	}
	t.Logf("host a killed → hq in service at host b: %s (lease_ttl 2s)", moved.Round(10*time.Millisecond))
}

// A host paused past its lease (SIGSTOP: a frozen VM, a long GC) wakes up
// believing it runs the site while another host already does. It must
// stand down without publishing what its driver saw meanwhile (the new
// owner's corrections stand), and it must be able to run the site again
// when the other host dies.
func TestAPausedHostStandsDownAndLaterRunsTheSiteAgain(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	const appToken = "cluster-app-token-0123456789"
	t.Setenv("IT_APP_TOKEN", appToken)
	phone := newPhone(t, "desk", "GXP2135")
	hostConfig := func(id string) (string, string) {
		listen := freeAddr(t)
		path := writeConfig(t, listen, map[string][]*testPhone{"hq": {phone}})
		appendFile(t, path, fmt.Sprintf("cluster {\n  nats_url = %q\n  host_id = %q\n  lease_ttl = \"2s\"\n}\n", ns.ClientURL(), id)+
			"client \"app\" {\n  token = env(\"IT_APP_TOKEN\")\n  sites = [\"*\"]\n  scopes = [\"events\", \"calls\", \"devices\", \"admin\"]\n}\n")
		return listen, path
	}
	listenA, pathA := hostConfig("host-a")
	a := runHost(t, listenA, pathA, 1)
	t.Cleanup(func() { _ = a.cmd.Process.Signal(syscall.SIGCONT) })
	listenB, pathB := hostConfig("host-b")
	b := launchHost(t, listenB, pathB)
	appB, adminB := dialAs(t, b, appToken)
	_, adminA := dialAs(t, a, appToken)
	ctx := context.Background()
	// runsAt: admin's host says hq runs at host (its own or another's).
	runsAt := func(admin ctiv1.AdminClient, host string) bool {
		resp, err := admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
		return err == nil && len(resp.GetPlugins()) == 1 && resp.GetPlugins()[0].GetHost() == host &&
			resp.GetPlugins()[0].GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING
	}
	waitFor(t, 20*time.Second, "host b up, standing by", func() bool { return runsAt(adminB, "host-a") })
	events := watchWith(t, appB, &ctiv1.WatchEventsRequest{FromSequence: 1})
	if _, err := phone.sim.RingIn("5550100", "Caller"); err != nil {
		t.Fatal(err)
	}
	ring := events.waitEvent(t, "the call, seen by host a", callIn("hq/desk", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	// A second call rings on through all that follows.
	if _, err := phone.sim.RingIn("5550109", "Patient"); err != nil {
		t.Fatal(err)
	}
	second := events.waitEvent(t, "the second call, seen by host a", func(ev *ctiv1.Event) bool {
		return ev.GetCallChanged().GetCall().GetRemote().GetNumber() == "5550109"
	}).GetCallChanged().GetCall()

	// Host a freezes; its driver (not frozen) sees the first caller give
	// up, and host b takes the site.
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := phone.sim.RemoteHangup(1); err != nil {
		t.Fatal(err)
	}
	moved := events.waitEvent(t, "host b runs hq", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "hq/desk" && strings.Contains(ev.GetDeviceChanged().GetStatus().GetDetail(), "moved from host host-a")
	})
	events.waitEvent(t, "the call ends LOST, by host b", func(ev *ctiv1.Event) bool {
		return ev.GetCallEnded().GetCall().GetCallId() == ring.GetCallId() && ev.GetCallEnded().GetReason() == ctiv1.EndReason_END_REASON_LOST
	})
	events.waitEvent(t, "the second call ends LOST under host a's id, by host b", func(ev *ctiv1.Event) bool {
		return ev.GetCallEnded().GetCall().GetCallId() == second.GetCallId()
	})

	// Host a wakes, finds its lease stale and stands down.
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "host a stood down", func() bool { return runsAt(adminA, "host-b") })
	// A call after that, from host b, marks the point by which anything
	// host a still published would be in the stream.
	if _, err := phone.sim.RingIn("5550101", "Marker"); err != nil {
		t.Fatal(err)
	}
	marker := events.waitEvent(t, "a call seen by host b", func(ev *ctiv1.Event) bool {
		return ev.GetCallChanged().GetCall().GetRemote().GetNumber() == "5550101"
	})
	events.mu.Lock()
	for _, ev := range events.all {
		if ev.GetSequence() <= moved.GetSequence() || ev.GetSequence() >= marker.GetSequence() {
			continue
		}
		if c := ev.GetCallEnded().GetCall(); c != nil && c.GetCallId() == ring.GetCallId() && ev.GetCallEnded().GetReason() != ctiv1.EndReason_END_REASON_LOST {
			t.Errorf("host a published its late view of the call after host b ended it: %v", ev)
		}
		if c := ev.GetCallChanged().GetCall(); c != nil && c.GetCallId() == ring.GetCallId() {
			t.Errorf("host a published a change of the call after it lost the site: %v", ev)
		}
	}
	events.mu.Unlock()
	for _, line := range []int{1, 2} { // the marker and the second call
		if err := phone.sim.RemoteHangup(line); err != nil {
			t.Fatal(err)
		}
	}

	// Host b dies: host a runs the site again.
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-b.done
	waitFor(t, 20*time.Second, "host a runs hq again", func() bool { return runsAt(adminA, "host-a") })
	appA, _ := dialAs(t, a, appToken)
	atA := watchWith(t, appA, &ctiv1.WatchEventsRequest{FromSequence: marker.GetSequence()})
	back := atA.waitEvent(t, "hq/desk out of service, moved back to host a", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "hq/desk" && strings.Contains(ev.GetDeviceChanged().GetStatus().GetDetail(), "moved from host host-b")
	})
	// The apps hear the device come back, though host a's instance saw it
	// reachable before it stood down.
	atA.waitEvent(t, "hq/desk back in service from host a's driver", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "hq/desk" && ev.GetSequence() > back.GetSequence() && ev.GetDeviceChanged().GetStatus().GetReachable()
	})

	// Host a's driver crashes: its restart ends only calls of host a's
	// new tenure, never again the calls of its first tenure, which host b
	// ended (host a stood down while the second one still rang).
	plugins, err := adminA.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil || len(plugins.GetPlugins()) != 1 || plugins.GetPlugins()[0].GetPid() == 0 {
		t.Fatalf("host a's plugins: %v, %v", plugins, err)
	}
	if err := syscall.Kill(int(plugins.GetPlugins()[0].GetPid()), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	restarted := atA.waitEvent(t, "host a's driver restarted", func(ev *ctiv1.Event) bool {
		return ev.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_RESTARTED
	})
	if _, err := phone.sim.RingIn("5550102", "Last"); err != nil {
		t.Fatal(err)
	}
	last := atA.waitEvent(t, "a call after the restart", func(ev *ctiv1.Event) bool {
		return ev.GetSequence() > restarted.GetSequence() && ev.GetCallChanged().GetCall().GetRemote().GetNumber() == "5550102"
	})
	for _, ev := range atA.snapshot() {
		if c := ev.GetCallEnded().GetCall(); c != nil && (c.GetCallId() == ring.GetCallId() || c.GetCallId() == second.GetCallId()) && ev.GetSequence() < last.GetSequence() {
			t.Errorf("a call of host a's first tenure, ended by host b, ended again at host a: %v", ev)
		}
	}
}
