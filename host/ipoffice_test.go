package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipofficesim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// IP Office tests: the real host runs the ipoffice driver against a
// simulated IP Office; apps see its users and hunt groups as devices at
// site "cc", its calls as unified events.

// startIPOffice runs a simulated IP Office (users 201-204, hunt group
// Sales 600 with agents 202 and 203) and a host serving it at site "cc".
// The service user's password is the test's secret passcode, so the
// host's leak check covers it.
func startIPOffice(t *testing.T) (*runningHost, *ipofficesim.Server) {
	t.Helper()
	sim, addr := startSimulatedIPOffice(t, ipofficesim.Options{
		Users: []ipofficesim.UserSpec{
			{Extension: "201", Name: "Alice"}, {Extension: "202", Name: "Bob"}, {Extension: "203", Name: "Carol"}, {Extension: "204", Name: "Dave"},
		},
		Queues: []ipofficesim.QueueSpec{{Name: "Sales", Number: "600", Members: []string{"202", "203"}}},
	})
	listen := freeAddr(t)
	path := filepath.Join(t.TempDir(), "config.hcl")
	cfg := fmt.Sprintf(`host {
  listen     = %q
  plugin_dir = %q
}
plugin "ipoffice" {}
site "cc" {
  connection "ipo" {
    driver             = "ipoffice"
    address            = %q
    username           = "ctihost"
    password           = env("IT_PASSCODE")
    certificate_sha256 = %q
    resync_grace       = "500ms"
  }
}
`, listen, filepath.Join(binDir, "plugins"), addr, sim.CertFingerprint())
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h := runHost(t, listen, path, 1)
	waitFor(t, 20*time.Second, "the IP Office's users and hunt group listed", func() bool {
		return slices.Equal(listed(t, h), []string{"cc/201", "cc/202", "cc/203", "cc/204", "cc/600"})
	})
	return h, sim
}

// startSimulatedIPOffice runs a simulated IP Office whose service user
// "ctihost" has the test's secret passcode, so the host's leak check
// covers it.
func startSimulatedIPOffice(t *testing.T, opts ipofficesim.Options) (*ipofficesim.Server, string) {
	t.Helper()
	opts.Username, opts.Password = "ctihost", secretPasscode
	sim := ipofficesim.New(opts)
	addr, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim, addr
}

// listed returns the references ListDevices lists.
func listed(t *testing.T, h *runningHost) []string {
	t.Helper()
	resp, err := h.host.ListDevices(context.Background(), &ctiv1.ListDevicesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, d := range resp.GetDevices() {
		refs = append(refs, d.GetDevice())
	}
	return refs
}

// callEvents returns the call events of device, in arrival order, for
// calls whose global call id is gcid (every call when gcid is "").
func (e *events) callEvents(device, gcid string) []*ctiv1.Event {
	var out []*ctiv1.Event
	for _, ev := range e.snapshot() {
		c := ev.GetCallChanged().GetCall()
		if c == nil {
			c = ev.GetCallEnded().GetCall()
		}
		if ev.GetDevice() == device && c != nil && (gcid == "" || c.GetGlobalCallId() == gcid) {
			out = append(out, ev)
		}
	}
	return out
}

// states is the sequence of distinct states of events, "ended:REASON" for
// a CallEnded.
func states(evs []*ctiv1.Event) []string {
	var out []string
	for _, ev := range evs {
		s := ev.GetCallChanged().GetCall().GetState().String()
		if end := ev.GetCallEnded(); end != nil {
			s = "ended:" + end.GetReason().String()
		}
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// subsequence reports whether want appears in got in order.
func subsequence(got, want []string) bool {
	i := 0
	for _, s := range got {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestIPOfficeQueueCallReachesAppsInOrderWithOneGlobalCallID(t *testing.T) {
	h, sim := startIPOffice(t)
	all := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"cc"}})
	g, err := sim.RunQueueScript(context.Background(), "Sales", "01632960001", "202", "203")
	if err != nil {
		t.Fatal(err)
	}
	gcid := hex.EncodeToString(g)
	all.waitEvent(t, "the queue call ended at the hunt group", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "cc/600" && ev.GetCallEnded().GetCall().GetGlobalCallId() == gcid
	})
	all.waitEvent(t, "the queue call ended at the agent it was transferred to", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "cc/203" && ev.GetCallEnded().GetCall().GetGlobalCallId() == gcid
	})

	// The hunt group sees the call arrive, wait and be answered; the
	// agents see it ring, be answered, held for the consultation and
	// handed over: one global call id throughout.
	for _, tc := range []struct {
		device string
		want   []string
	}{
		{"cc/600", []string{"CALL_STATE_RINGING", "CALL_STATE_QUEUED", "CALL_STATE_CONNECTED", "ended:END_REASON_NORMAL"}},
		{"cc/202", []string{"CALL_STATE_RINGING", "CALL_STATE_CONNECTED", "CALL_STATE_HELD", "ended:END_REASON_TRANSFERRED"}},
	} {
		if got := states(all.callEvents(tc.device, gcid)); !subsequence(got, tc.want) {
			t.Errorf("%s saw the queue call go %v, want %v in that order", tc.device, got, tc.want)
		}
	}
	// Carol's own ringing leg ended when Bob answered; then she took the
	// consultation call, which became the queue call when Bob completed
	// the transfer, and ended when the caller hung up.
	carol := states(all.callEvents("cc/203", ""))
	if !subsequence(carol, []string{"CALL_STATE_RINGING", "CALL_STATE_CONNECTED", "ended:END_REASON_NORMAL"}) {
		t.Errorf("cc/203 saw %v", carol)
	}
	var last uint64
	for _, ev := range all.snapshot() {
		if ev.GetSequence() <= last {
			t.Fatalf("sequence %d after %d: events out of order", ev.GetSequence(), last)
		}
		last = ev.GetSequence()
		if c := ev.GetCallChanged().GetCall(); c != nil && c.GetGlobalCallId() == "" {
			t.Errorf("a call without a global call id: %v", ev)
		}
	}
}

func TestIPOfficeLinkCutMidCallEndsResynchronised(t *testing.T) {
	h, sim := startIPOffice(t)
	ctx := context.Background()
	all := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"cc"}})

	// Two connected calls: Alice's survives the outage, Dave's ends in it.
	if _, err := sim.RingUser("201", "01632960002"); err != nil {
		t.Fatal(err)
	}
	dave, err := sim.RingUser("204", "01632960003")
	if err != nil {
		t.Fatal(err)
	}
	kept := all.waitEvent(t, "Alice's call ringing", callIn("cc/201", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	if _, err := h.host.Answer(ctx, &ctiv1.CallRequest{Device: "cc/201", CallId: kept.GetCallId()}); err != nil {
		t.Fatal(err)
	}
	all.waitEvent(t, "Dave's call ringing", callIn("cc/204", ctiv1.CallState_CALL_STATE_RINGING))
	if err := sim.AnswerAs("204", dave); err != nil {
		t.Fatal(err)
	}
	all.waitEvent(t, "Alice connected", callIn("cc/201", ctiv1.CallState_CALL_STATE_CONNECTED))
	lostCall := all.waitEvent(t, "Dave connected", callIn("cc/204", ctiv1.CallState_CALL_STATE_CONNECTED)).GetCallChanged().GetCall()

	sim.RefuseLogin(true)
	sim.DropConnections()
	all.waitEvent(t, "Alice unreachable", func(ev *ctiv1.Event) bool {
		st := ev.GetDeviceChanged().GetStatus()
		return ev.GetDevice() == "cc/201" && st != nil && !st.GetReachable()
	})
	if err := sim.RemoteHangup(dave); err != nil { // while the link is down
		t.Fatal(err)
	}
	if err := sim.AddUser(ipofficesim.UserSpec{Extension: "205", Name: "Eve"}); err != nil { // and a new user
		t.Fatal(err)
	}
	sim.RefuseLogin(false)

	ended := all.waitEvent(t, "Dave's call ended as lost", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "cc/204" && ev.GetCallEnded().GetCall().GetCallId() == lostCall.GetCallId()
	}).GetCallEnded()
	if ended.GetReason() != ctiv1.EndReason_END_REASON_LOST {
		t.Errorf("Dave's call ended %s, want LOST: it ended while the link was down", ended.GetReason())
	}
	all.waitEvent(t, "Alice reachable again", func(ev *ctiv1.Event) bool {
		st := ev.GetDeviceChanged().GetStatus()
		return ev.GetDevice() == "cc/201" && st.GetReachable()
	})
	all.waitEvent(t, "Eve announced", devicesChangedAt("cc", "cc/205"))
	if !slices.Contains(listed(t, h), "cc/205") {
		t.Error("Eve, added on the PBX while the link was down, is not listed")
	}
	st, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "cc/201"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.GetCalls()) != 1 || st.GetCalls()[0].GetCallId() != kept.GetCallId() || st.GetCalls()[0].GetState() != ctiv1.CallState_CALL_STATE_CONNECTED {
		t.Errorf("after the reconnect Alice has %v, want her connected call %s under the same id", st.GetCalls(), kept.GetCallId())
	}
	for _, ev := range all.callEvents("cc/201", "") {
		if ev.GetCallEnded() != nil {
			t.Errorf("Alice's call, which survived the outage, was ended: %v", ev)
		}
	}
	// The call goes on being controlled after the reconnect.
	if _, err := h.host.Hangup(ctx, &ctiv1.CallRequest{Device: "cc/201", CallId: kept.GetCallId()}); err != nil {
		t.Fatalf("Hangup after the reconnect: %v", err)
	}
	all.waitEvent(t, "Alice's call ended", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "cc/201" && ev.GetCallEnded().GetCall().GetCallId() == kept.GetCallId()
	})
}

// devicesChangedAt matches a DevicesChanged at site that adds ref.
func devicesChangedAt(site, ref string) func(*ctiv1.Event) bool {
	return func(e *ctiv1.Event) bool {
		return e.GetSite() == site && slices.ContainsFunc(e.GetDevicesChanged().GetAdded(), func(d *ctiv1.Device) bool { return d.GetDevice() == ref })
	}
}

// Two sites on one IP Office, with one process for both
// (isolation = "driver"): one MTCTI3 link serves both connection blocks,
// each site sees the users of its own scope, and a call reaches only the
// site of its user.
func TestTwoSitesOnOneIPOfficeShareOneLink(t *testing.T) {
	sim, addr := startSimulatedIPOffice(t, ipofficesim.Options{
		Users: []ipofficesim.UserSpec{{Extension: "201"}, {Extension: "202"}, {Extension: "301"}, {Extension: "302"}},
	})
	listen := freeAddr(t)
	path := filepath.Join(t.TempDir(), "config.hcl")
	site := func(name, users string) string {
		return fmt.Sprintf(`site %q {
  connection "ipo" {
    driver             = "ipoffice"
    address            = %q
    username           = "ctihost"
    password           = env("IT_PASSCODE")
    certificate_sha256 = %q
    users              = %q
    queues             = ""
  }
}
`, name, addr, sim.CertFingerprint(), users)
	}
	cfg := fmt.Sprintf("host {\n  listen = %q\n  plugin_dir = %q\n}\nplugin \"ipoffice\" {\n  isolation = \"driver\"\n}\n", listen, filepath.Join(binDir, "plugins")) +
		site("north", "201,202") + site("south", "301,302")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h := runHost(t, listen, path, 1)
	waitFor(t, 20*time.Second, "both sites' users listed", func() bool {
		return slices.Equal(listed(t, h), []string{"north/201", "north/202", "south/301", "south/302"})
	})
	if n := sim.Connections(); n != 1 {
		t.Errorf("the IP Office has %d MTCTI3 connections, want 1 shared by both sites", n)
	}
	south := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"south"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	north := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"north"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	if _, err := sim.RingUser("301", "01632960009"); err != nil {
		t.Fatal(err)
	}
	south.waitEvent(t, "301 ringing at south", callIn("south/301", ctiv1.CallState_CALL_STATE_RINGING))
	if _, err := sim.RingUser("201", "01632960010"); err != nil {
		t.Fatal(err)
	}
	north.waitEvent(t, "201 ringing at north", callIn("north/201", ctiv1.CallState_CALL_STATE_RINGING))
	for _, ev := range north.snapshot() {
		if ev.GetSite() != "north" {
			t.Errorf("north's stream got %v", ev)
		}
	}
	resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var conns []string
	for _, p := range resp.GetPlugins() {
		for _, c := range p.GetConnectionStatus() {
			if c.GetConnected() {
				conns = append(conns, c.GetName())
			}
		}
	}
	slices.Sort(conns)
	if !slices.Equal(conns, []string{"north/ipo", "south/ipo"}) {
		t.Errorf("connections up: %v, want north/ipo and south/ipo", conns)
	}
}
