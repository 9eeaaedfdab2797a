package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// MiRTA tests: the real host runs the mirta driver against a simulated
// MiRTA PBX with two tenants. Site "mt" is tenant DEVEL with its own key
// (the test's secret passcode); site "ot" is tenant OTHER reached with the
// PBX's admin key, which could see every tenant.

// mirtaAdminKey is the simulated PBX's admin key, given to the host by a
// file, so the leak check covers it too.
const mirtaAdminKey = "Adm1n-K3y-M1rta-4d2f"

// startMiRTA runs the simulated PBX and a host serving both tenants.
func startMiRTA(t *testing.T) (*runningHost, *mirtasim.PBX) {
	t.Helper()
	pbx, err := mirtasim.New(mirtasim.Options{
		AdminKey: mirtaAdminKey, FarAnswerAfter: -1,
		Tenants: []mirtasim.TenantSpec{{
			Code: "DEVEL", Key: secretPasscode,
			Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Alice"}, {Number: "102", Name: "Bob"}, {Number: "103", Name: "Carol"}},
			Queues: []mirtasim.QueueSpec{{ID: "281", Number: "600", Name: "Support",
				Agents: []mirtasim.AgentSpec{{Extension: "102"}, {Extension: "103"}}}},
			Phonebooks: []mirtasim.PhonebookSpec{{Name: "Customers", Contacts: []mirtasim.Contact{
				{Name: "Ada Lovelace", Company: "Analytical Engines", Phone1: "01632960001"}}}},
		}, {
			Code: "OTHER", Key: "other-tenant-key-unused",
			Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Olga"}, {Number: "201", Name: "Oscar"}},
			Phonebooks: []mirtasim.PhonebookSpec{{Name: "Private", Contacts: []mirtasim.Contact{
				{Name: "Other Tenant's Customer", Company: "Hidden Ltd", Phone1: "01632960099"}}}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pbx)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	adminFile := filepath.Join(dir, "mirta-admin.key")
	if err := os.WriteFile(adminFile, []byte(mirtaAdminKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	path := filepath.Join(dir, "config.hcl")
	cfg := fmt.Sprintf(`host {
  listen     = %q
  plugin_dir = %q
}
plugin "mirta" {}
site "mt" {
  connection "pbx" {
    driver             = "mirta"
    url                = %q
    tenant             = "DEVEL"
    key                = env("IT_PASSCODE")
    poll_interval      = "100ms"
    discovery_interval = "1s"
    enrich_calls       = true
  }
}
site "ot" {
  connection "pbx" {
    driver        = "mirta"
    url           = %q
    tenant        = "OTHER"
    key           = file(%q)
    poll_interval = "100ms"
  }
}
`, listen, filepath.Join(binDir, "plugins"), srv.URL, srv.URL, adminFile)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h := runHost(t, listen, path, 2)
	t.Cleanup(func() {
		if strings.Contains(h.stderr.String(), mirtaAdminKey) {
			t.Errorf("the MiRTA admin key appears in the host's log output")
		}
	})
	waitFor(t, 20*time.Second, "both tenants' extensions and queues listed", func() bool {
		return slices.Equal(listed(t, h), []string{"mt/101", "mt/102", "mt/103", "mt/q281", "ot/101", "ot/201"})
	})
	return h, pbx
}

// ctictl runs bin/ctictl against h as the host's local user.
func ctictl(t *testing.T, h *runningHost, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ctictl"), append([]string{"-addr", h.listen}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+h.configHome)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ctictl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// A click-to-dial from ctictl: the host's driver sends the DIAL request of
// the document (tenant, source, dest), the PBX rings Alice's phone first
// (an OUTBOUND call RINGING at mt/101), she picks up, Bob's phone rings
// (mt/102, INBOUND), he answers; both legs carry one global call id, and
// a hang-up from the API ends both.
func TestMiRTADialFromCtictlShowsBothLegs(t *testing.T) {
	h, pbx := startMiRTA(t)
	all := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"mt"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	ctictl(t, h, "dial", "mt/101", "102")

	var dial *mirtasim.Request
	for _, r := range pbx.Requests() {
		if r.Reqtype == "DIAL" {
			dial = &r
		}
	}
	switch {
	case dial == nil:
		t.Fatal("the PBX received no DIAL")
	case dial.Params["tenant"] != "DEVEL" || dial.Params["source"] != "101" || dial.Params["dest"] != "102":
		t.Errorf("DIAL params %v, want tenant DEVEL, source 101, dest 102", dial.Params)
	case strings.Contains(fmt.Sprint(dial.Params), secretPasscode):
		t.Error("the simulator's request log holds the key")
	}

	src := all.waitEvent(t, "Alice's phone ringing for her own call", callIn("mt/101", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	if src.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND || src.GetRemote().GetNumber() != "102" {
		t.Errorf("the originate's first leg is %s to %q, want OUTBOUND to 102", src.GetDirection(), src.GetRemote().GetNumber())
	}
	if _, err := pbx.Answer("DEVEL", "101"); err != nil {
		t.Fatal(err)
	}
	all.waitEvent(t, "Alice hearing ringback", callIn("mt/101", ctiv1.CallState_CALL_STATE_RINGBACK))
	dst := all.waitEvent(t, "Bob's phone ringing", callIn("mt/102", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	if dst.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND || dst.GetGlobalCallId() != src.GetGlobalCallId() {
		t.Errorf("Bob's leg: %s, global id %q; want INBOUND with Alice's global id %q", dst.GetDirection(), dst.GetGlobalCallId(), src.GetGlobalCallId())
	}
	if _, err := pbx.Answer("DEVEL", "102"); err != nil {
		t.Fatal(err)
	}
	all.waitEvent(t, "Alice connected", callIn("mt/101", ctiv1.CallState_CALL_STATE_CONNECTED))
	all.waitEvent(t, "Bob connected", callIn("mt/102", ctiv1.CallState_CALL_STATE_CONNECTED))
	ctictl(t, h, "hangup", "mt/101", src.GetCallId())
	for _, dev := range []string{"mt/101", "mt/102"} {
		all.waitEvent(t, dev+"'s leg ended", func(ev *ctiv1.Event) bool {
			return ev.GetDevice() == dev && ev.GetCallEnded().GetCall().GetGlobalCallId() == src.GetGlobalCallId()
		})
	}
}

// Two tenants on one PBX, the second reached with the admin key: neither
// site sees, reaches or looks up the other's extensions, calls or
// phonebook, with any operation or on the event stream.
func TestMiRTATenantsStayIsolated(t *testing.T) {
	h, pbx := startMiRTA(t)
	ctx := context.Background()
	mt := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"mt"}})
	ot := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"ot"}})

	// A call at each tenant's extension 101 reaches only its own site.
	if _, err := pbx.RingIn("OTHER", "01632960050", "101"); err != nil {
		t.Fatal(err)
	}
	if _, err := pbx.RingIn("DEVEL", "01632960051", "101"); err != nil {
		t.Fatal(err)
	}
	otCall := ot.waitEvent(t, "OTHER's 101 ringing", callIn("ot/101", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	mtCall := mt.waitEvent(t, "DEVEL's 101 ringing", callIn("mt/101", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	if otCall.GetRemote().GetNumber() != "01632960050" || mtCall.GetRemote().GetNumber() != "01632960051" {
		t.Errorf("ot/101 rings from %q, mt/101 from %q: the tenants' calls crossed", otCall.GetRemote().GetNumber(), mtCall.GetRemote().GetNumber())
	}

	// Every operation aimed across: the other tenant's extension named
	// under this site, or this site's call id used at the other site.
	crossings := []struct {
		name string
		call func() error
	}{
		{"Dial from ot's 201 at mt", func() error {
			_, err := h.host.Dial(ctx, &ctiv1.DialRequest{Device: "mt/201", Destination: "102"})
			return err
		}},
		{"Hangup of mt's call at ot", func() error {
			_, err := h.host.Hangup(ctx, &ctiv1.CallRequest{Device: "ot/101", CallId: mtCall.GetCallId()})
			return err
		}},
		{"Reject of ot's call at mt", func() error {
			_, err := h.host.Reject(ctx, &ctiv1.CallRequest{Device: "mt/101", CallId: otCall.GetCallId()})
			return err
		}},
		{"Redirect of ot's call at mt", func() error {
			_, err := h.host.Redirect(ctx, &ctiv1.TransferRequest{Device: "mt/101", CallId: otCall.GetCallId(), Destination: "102"})
			return err
		}},
		{"SetDND of ot's 201 at mt", func() error {
			_, err := h.host.SetDND(ctx, &ctiv1.SetDNDRequest{Device: "mt/201", Enabled: true})
			return err
		}},
		{"JoinQueue of mt's queue at ot", func() error {
			_, err := h.host.JoinQueue(ctx, &ctiv1.QueueRequest{Device: "ot/101", Queue: "281"})
			return err
		}},
		{"GetDeviceState of mt's queue at ot", func() error {
			_, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "ot/q281"})
			return err
		}},
		{"Reboot of ot's 201 at mt", func() error {
			_, err := h.host.Reboot(ctx, &ctiv1.DeviceRequest{Device: "mt/201"})
			return err
		}},
	}
	for _, c := range crossings {
		if code := status.Code(c.call()); code != codes.NotFound {
			t.Errorf("%s: %s, want NotFound", c.name, code)
		}
	}
	// Each phonebook only at its own site.
	for _, c := range []struct {
		device, number string
		want           int
	}{
		{"mt/101", "01632960001", 1}, {"mt/101", "01632960099", 0},
		{"ot/101", "01632960099", 1}, {"ot/101", "01632960001", 0},
	} {
		resp, err := h.host.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: c.device, Number: c.number})
		if err != nil {
			t.Fatalf("LookupContact %s at %s: %v", c.number, c.device, err)
		}
		if len(resp.GetContacts()) != c.want {
			t.Errorf("LookupContact %s at %s found %d contacts, want %d", c.number, c.device, len(resp.GetContacts()), c.want)
		}
	}
	// Both calls still ring, untouched by the attempts.
	for _, c := range []struct{ code, ext string }{{"DEVEL", "101"}, {"OTHER", "101"}} {
		calls, err := pbx.Calls(c.code)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 1 {
			t.Errorf("tenant %s has %d calls after the crossing attempts, want its 1", c.code, len(calls))
		}
	}
	for _, ev := range mt.snapshot() {
		if ev.GetSite() != "mt" || strings.Contains(ev.String(), "01632960050") || strings.Contains(ev.String(), "Olga") {
			t.Errorf("mt's stream got OTHER's event: %v", ev)
		}
	}
	for _, ev := range ot.snapshot() {
		if ev.GetSite() != "ot" || strings.Contains(ev.String(), "01632960051") || strings.Contains(ev.String(), "Alice") {
			t.Errorf("ot's stream got DEVEL's event: %v", ev)
		}
	}
	// Every request the admin key made named tenant OTHER.
	for _, r := range pbx.Requests() {
		if r.Params["tenant"] == "" {
			t.Errorf("a %s request named no tenant: the admin key would act on every tenant", r.Reqtype)
		}
	}
}

// A ringing call from a number in the tenant's phonebook carries the
// contact from its first event (enrich_calls), and ctictl shows it.
func TestMiRTARingingCallCarriesPhonebookContact(t *testing.T) {
	h, pbx := startMiRTA(t)
	all := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Sites: []string{"mt"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	if _, err := pbx.RingIn("DEVEL", "01632960001", "102"); err != nil {
		t.Fatal(err)
	}
	first := all.waitEvent(t, "Bob's phone ringing", callIn("mt/102", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	if c := first.GetContact(); c.GetName() != "Ada Lovelace" || c.GetCompany() != "Analytical Engines" || c.GetSource() != "mirta:phonebook/Customers" {
		t.Errorf("the first ringing event carries contact %v, want Ada Lovelace of Analytical Engines from mirta:phonebook/Customers", c)
	}
	if out := ctictl(t, h, "lookup", "mt/102", "01632960001"); !strings.Contains(out, "Ada Lovelace") {
		t.Errorf("ctictl lookup printed:\n%s", out)
	}
}
