package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// A site with a directory block: a phone with no directory of its own
// rings from a number in the CSV, and the call's events carry the
// contact; LookupContact answers from the CSV; a site without one still
// answers UNIMPLEMENTED.
func TestDirectoryPutsTheCSVContactOnRingingCalls(t *testing.T) {
	reception, desk := newPhone(t, "reception", "GXP2135"), newPhone(t, "desk1", "GXP2135")
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {reception}, "branch": {desk}})
	csv := filepath.Join(filepath.Dir(path), "contacts.csv")
	if err := os.WriteFile(csv, []byte("name,company,number,notes\nAda Lovelace,Analytical Engines,+44 20 7946 0001,VIP\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, fmt.Sprintf("directory \"crm\" {\n  file  = %q\n  sites = [\"hq\"]\n}\n", csv))
	h := runHost(t, listen, path, 2)
	ctx := context.Background()
	calls := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	if _, err := reception.sim.RingIn("+442079460001", "Ada"); err != nil {
		t.Fatal(err)
	}
	ring := calls.waitEvent(t, "ringing at hq", callIn("hq/reception", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall()
	if c := ring.GetContact(); c.GetName() != "Ada Lovelace" || c.GetCompany() != "Analytical Engines" || c.GetSource() != "csv:crm" || c.GetFields()["notes"] != "VIP" {
		t.Errorf("the ringing call carries %v, want Ada Lovelace from csv:crm", c)
	}
	if _, err := h.host.Reject(ctx, &ctiv1.CallRequest{Device: "hq/reception", CallId: ring.GetCallId()}); err != nil {
		t.Fatal(err)
	}
	end := calls.waitEvent(t, "ended at hq", func(ev *ctiv1.Event) bool { return ev.GetCallEnded().GetCall().GetCallId() == ring.GetCallId() })
	if end.GetCallEnded().GetCall().GetContact().GetName() != "Ada Lovelace" {
		t.Error("the call's end lost its contact")
	}
	resp, err := h.host.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "hq/reception", Query: "lovelace"})
	if err != nil || len(resp.GetContacts()) != 1 {
		t.Errorf("LookupContact by name at hq: %v, %v", resp, err)
	}
	if _, err := h.host.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "hq/reception"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("LookupContact with neither number nor query: %v", err)
	}
	if _, err := h.host.LookupContact(ctx, &ctiv1.LookupContactRequest{Device: "branch/desk1", Number: "+442079460001"}); status.Code(err) != codes.Unimplemented {
		t.Errorf("LookupContact at a site without a directory: %v, want Unimplemented", err)
	}
	// A call at the other site is not enriched from hq's directory.
	if _, err := desk.sim.RingIn("+442079460001", "Ada"); err != nil {
		t.Fatal(err)
	}
	if c := calls.waitEvent(t, "ringing at branch", callIn("branch/desk1", ctiv1.CallState_CALL_STATE_RINGING)).GetCallChanged().GetCall().GetContact(); c != nil {
		t.Errorf("branch's call carries hq's contact %v", c)
	}
}
