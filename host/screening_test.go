package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/mirta/mirtasim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// A screening rule rejects a listed caller while the call rings, on a
// simulated phone (Grandstream) and on a simulated PBX user (MiRTA), and a
// redirect rule sends another elsewhere; each decision is an event with
// its latency, an audit line and a metric.
func TestScreeningRejectsListedCallersOnAPhoneAndAPBXUser(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	pbx, err := mirtasim.New(mirtasim.Options{FarAnswerAfter: -1, Tenants: []mirtasim.TenantSpec{{
		Code: "DEVEL", Key: secretPasscode,
		Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Alice"}, {Number: "102", Name: "Bob"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pbx)
	t.Cleanup(srv.Close)
	listen, metricsAddr := freeAddr(t), reservedAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {reception}}, fmt.Sprintf("metrics = %q", metricsAddr))
	appendFile(t, path, fmt.Sprintf(`plugin "mirta" {}
site "mt" {
  connection "pbx" {
    driver        = "mirta"
    url           = %q
    tenant        = "DEVEL"
    key           = env("IT_PASSCODE")
    poll_interval = "100ms"
  }
}
screening "premium" {
  callers = ["0900*", "+44900*"]
  action  = "reject"
}
screening "sales-line" {
  sites       = ["mt"]
  callers     = ["01632960*"]
  action      = "redirect"
  destination = "102"
}
`, srv.URL))
	h := runHost(t, listen, path, 2)
	waitFor(t, 20*time.Second, "the MiRTA extensions", func() bool { return len(listed(t, h)) == 3 })
	events := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	screened := func(device, rule string) *ctiv1.CallScreened {
		return events.waitEvent(t, rule+" at "+device, func(ev *ctiv1.Event) bool {
			return ev.GetDevice() == device && ev.GetCallScreened().GetRule() == rule
		}).GetCallScreened()
	}

	// The phone: a premium-rate caller is rejected while it rings.
	if _, err := reception.sim.RingIn("0900123456", "Spam"); err != nil {
		t.Fatal(err)
	}
	phone := screened("hq/reception", "premium")
	if phone.GetAction() != ctiv1.ScreeningAction_SCREENING_ACTION_REJECT || phone.GetError() != "" {
		t.Fatalf("the phone's decision: %v", phone)
	}
	events.waitEvent(t, "the phone's call ended", func(ev *ctiv1.Event) bool {
		return ev.GetDevice() == "hq/reception" && ev.GetCallEnded().GetCall().GetCallId() == phone.GetCall().GetCallId()
	})
	for _, l := range reception.sim.Lines(0) {
		if l.RemoteNumber == "0900123456" {
			t.Errorf("the phone still has the premium caller on line %d (%s)", l.Line, l.State)
		}
	}

	// The PBX user: rejected the same way, through the driver's HANGUP.
	if _, err := pbx.RingIn("DEVEL", "+44900555000", "101"); err != nil {
		t.Fatal(err)
	}
	user := screened("mt/101", "premium")
	if user.GetAction() != ctiv1.ScreeningAction_SCREENING_ACTION_REJECT || user.GetError() != "" {
		t.Fatalf("the PBX user's decision: %v", user)
	}
	waitFor(t, 10*time.Second, "the PBX's call gone", func() bool { calls, _ := pbx.Calls("DEVEL"); return len(calls) == 0 })

	// A caller for the sales line is redirected from Alice to Bob.
	if _, err := pbx.RingIn("DEVEL", "01632960123", "101"); err != nil {
		t.Fatal(err)
	}
	moved := screened("mt/101", "sales-line")
	if moved.GetAction() != ctiv1.ScreeningAction_SCREENING_ACTION_REDIRECT || moved.GetDestination() != "102" || moved.GetError() != "" {
		t.Fatalf("the redirect: %v", moved)
	}
	events.waitEvent(t, "Bob's phone ringing", callIn("mt/102", ctiv1.CallState_CALL_STATE_RINGING))

	t.Logf("first ringing event → device answered the command: phone reject %s, PBX user reject %s, PBX redirect %s",
		phone.GetLatency().AsDuration(), user.GetLatency().AsDuration(), moved.GetLatency().AsDuration())
	log := h.stderr.String()
	if !strings.Contains(log, `rule=premium device=hq/reception`) || !strings.Contains(log, "ctihost.audit") {
		t.Error("no audit line for the phone's decision")
	}
	page := h.metricsPage(t, metricsAddr)
	for _, want := range []string{`ctihost_screening_total{action="reject",result="done",rule="premium"} 2`, `ctihost_screening_latency_seconds_count{action="redirect"} 1`} {
		if !strings.Contains(page, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(page, "screening"))
		}
	}
}

// grepLines are the lines of text holding s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
