package mirta

import (
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// legsOf reads fuzz input as channels, one per line, fields separated by
// '|': channel, uniqueid, linkedid, state, connected number.
func legsOf(data string) []leg {
	var out []leg
	for i, line := range strings.Split(data, "\n") {
		if i >= 200 {
			break
		}
		f := strings.Split(line, "|")
		for len(f) < 5 {
			f = append(f, "")
		}
		out = append(out, leg{channel: f[0], uniqueid: f[1], linkedid: f[2], state: f[3], connNum: f[4], callerNum: f[4]})
	}
	return out
}

// FuzzApply feeds hostile channel lists, as a PBX (or whatever answers in
// its place) could send them, through two polls: the driver must not
// panic, and every call it reports must follow the event contract (a call
// ends at most once, and nothing is reported of it after).
func FuzzApply(f *testing.F) {
	f.Add("SIP/101-DEVEL-0000002a|1764612000.42|1764612000.41|Ringing|0612345678\nSIP/trunk-0000002b|1764612000.41|1764612000.41|Ring|0612345678",
		"SIP/101-DEVEL-0000002a|1764612000.42|1764612000.41|Up|0612345678\nSIP/trunk-0000002b|1764612000.41|1764612000.41|Up|0612345678")
	f.Add("SIP/101-DEVEL-01|x|x|Up|\nSIP/101-DEVEL-01|x|x|Ringing|\nSIP/102-DEVEL-02|x|y|Ring|", "")
	f.Add("SIP/101-DEVEL-01||||\nLocal/101@DEVEL-1;1|a|a|Up|1\nSIP/-DEVEL-|b|b|Weird|\x00", "SIP/102-devel-1|a|a|Up|")
	f.Fuzz(func(t *testing.T, first, second string) {
		var events []*ctiv1.Event
		tn := newTenant(connConfig{name: "pbx", tenant: "DEVEL", prefix: "mt/", lookupCache: 0}, nil, map[string]string{}, hclog.NewNullLogger(),
			func(ev *ctiv1.Event) { events = append(events, ev) })
		for _, n := range []string{"101", "102"} {
			tn.exts[n] = &extDev{id: "mt/" + n, number: n, calls: sdk.NewCallSet("mt/"+n, nil), memberships: map[string]*ctiv1.QueueMembership{}}
		}
		tn.queues["281"] = &queueDev{id: "mt/q281", qid: "281", calls: sdk.NewCallSet("mt/q281", nil)}
		for _, data := range []string{first, second} {
			legs := legsOf(data)
			var callers []caller
			for _, l := range legs {
				callers = append(callers, caller{uniqueid: l.uniqueid, channel: l.channel, number: l.connNum})
			}
			tn.apply(reading{legs: legs, blf: map[string]string{"101": "INUSE"}, callers: map[string][]caller{"281": callers},
				members: map[string][]member{"281": {{ext: "101"}, {ext: "999"}}}}, nil)
		}
		ended := map[string]bool{}
		for _, ev := range events {
			key := ev.GetDevice() + "\x00"
			switch {
			case ev.GetCallEnded() != nil:
				key += ev.GetCallEnded().GetCall().GetCallId()
				if ended[key] {
					t.Fatalf("call %q ended twice", key)
				}
				ended[key] = true
			case ev.GetCallChanged() != nil:
				key += ev.GetCallChanged().GetCall().GetCallId()
				if ended[key] {
					t.Fatalf("call %q changed after its end", key)
				}
			}
		}
	})
}
