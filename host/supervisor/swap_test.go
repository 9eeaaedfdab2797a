package supervisor

import (
	"testing"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// A cluster's host prefixes the ids of every process it runs: the ids apps
// see never repeat, commands reach the driver with the driver's own ids,
// and calls a swap carried over keep the ids apps already knew.
func TestIDMapPrefixesNewCallsAndKeepsCarriedOnes(t *testing.T) {
	m := newIDMap()
	m.prefix = "host-b.7.2."
	kept := &ctiv1.Call{CallId: "host-b.7.1.1-1"}
	if !m.match("hq/desk", []*ctiv1.Call{kept}, []*ctiv1.Call{{CallId: "1-1"}}) {
		t.Fatal("the carried call found no pair")
	}

	fresh := &ctiv1.Call{CallId: "1-2", RelatedCallId: "1-1"}
	m.call("hq/desk", fresh, false)
	if fresh.GetCallId() != "host-b.7.2.1-2" || fresh.GetRelatedCallId() != "host-b.7.1.1-1" {
		t.Errorf("new call seen as %q related to %q; want host-b.7.2.1-2 related to host-b.7.1.1-1", fresh.GetCallId(), fresh.GetRelatedCallId())
	}
	carried := &ctiv1.Call{CallId: "1-1"}
	m.call("hq/desk", carried, false)
	if carried.GetCallId() != "host-b.7.1.1-1" {
		t.Errorf("carried call seen as %q, want the id apps knew", carried.GetCallId())
	}
	again := &ctiv1.Call{CallId: fresh.GetCallId()}
	m.call("hq/desk", again, false)
	if again.GetCallId() != "host-b.7.2.1-2" {
		t.Errorf("an id already translated became %q", again.GetCallId())
	}

	for in, want := range map[string]string{"host-b.7.2.1-2": "1-2", "host-b.7.1.1-1": "1-1", "host-a.3.1.1-1": "host-a.3.1.1-1"} {
		req := &ctiv1.CallRequest{Device: "hq/desk", CallId: in}
		m.request(req)
		if req.GetCallId() != want {
			t.Errorf("command for %q reaches the driver as %q, want %q", in, req.GetCallId(), want)
		}
	}

	dial := &ctiv1.DialResponse{CallId: "1-3"}
	m.response(dial)
	if dial.GetCallId() != "host-b.7.2.1-3" {
		t.Errorf("Dial answers %q, want host-b.7.2.1-3", dial.GetCallId())
	}

	st := &ctiv1.DeviceState{Calls: []*ctiv1.Call{{CallId: "1-1"}, {CallId: "1-4"}}, Lines: []*ctiv1.Line{{CallId: "1-1"}, {CallId: "1-4"}, {}}}
	m.state(st, "hq/desk")
	got := []string{st.Calls[0].GetCallId(), st.Calls[1].GetCallId(), st.Lines[0].GetCallId(), st.Lines[1].GetCallId(), st.Lines[2].GetCallId()}
	want := []string{"host-b.7.1.1-1", "host-b.7.2.1-4", "host-b.7.1.1-1", "host-b.7.2.1-4", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("device state ids %q, want %q", got, want)
			break
		}
	}
}
