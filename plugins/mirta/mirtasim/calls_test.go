package mirtasim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDialRingsSourceFirstThenInternalDest(t *testing.T) {
	p, _ := fixture(t)
	id := originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "102"))
	if len(id) != 14 || id[0] != '1' {
		t.Errorf("originate id %q: want 14 hex digits starting with 1, like 15a4cfe6429054", id)
	}
	src := chanOf(t, p, "DEVEL", "101")
	if src.State != StateRinging || !strings.HasPrefix(src.Name, "SIP/101-DEVEL-") || src.Direction != "OUT" {
		t.Fatalf("source leg %+v: want SIP/101-DEVEL-… Ringing OUT", src)
	}
	if src.ConnectedNum != "102" {
		t.Errorf("source leg shows %q, want the dest 102", src.ConnectedNum)
	}
	if cs, _ := p.Channels("DEVEL"); len(cs) != 1 {
		t.Fatalf("dest rang before the source answered: %+v", cs)
	}
	if _, err := p.Answer("DEVEL", "101"); err != nil {
		t.Fatal(err)
	}
	dst := chanOf(t, p, "DEVEL", "102")
	if dst.State != StateRinging || dst.RingsFor != src.Name || dst.LinkedID != src.LinkedID || dst.CallerIDNum != "101" {
		t.Fatalf("dest leg %+v: want Ringing for %s, linkedid %s, caller 101", dst, src.Name, src.LinkedID)
	}
	if _, err := p.Answer("DEVEL", "102"); err != nil {
		t.Fatal(err)
	}
	calls, _ := p.Calls("DEVEL")
	if len(calls) != 1 || len(calls[0].Channels) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	a, b := calls[0].Channels[0], calls[0].Channels[1]
	if a.State != StateUp || b.State != StateUp || a.Peer != b.Name || b.Peer != a.Name || a.LinkedID != b.LinkedID {
		t.Fatalf("not connected: %+v %+v", a, b)
	}
	if a.ConnectedNum != "102" || a.ConnectedName != "Bob" || b.ConnectedNum != "101" || b.ConnectedName != "Alice" {
		t.Errorf("connected lines %+v %+v", a, b)
	}
	if got := devel(t, p, "reqtype", "HANGUP", "channel", b.Name); got != "Success|Hangup requested|" {
		t.Fatalf("HANGUP: %q", got)
	}
	noCalls(t, p, "DEVEL")
	if o := p.Originates(); len(o) != 1 || o[0].ID != id || o[0].Status != "done" {
		t.Errorf("originates %+v", o)
	}
}

func TestDialExternalFarEnd(t *testing.T) {
	p, clk := fixture(t, func(o *Options) { o.FarAnswerAfter = 5 * time.Second })
	originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "0612345678", "autoanswer", "yes"))
	cs, _ := p.Channels("DEVEL")
	if len(cs) != 2 || cs[0].State != StateUp || cs[1].State != StateRinging || cs[1].Extension != "" || cs[1].Number != "0612345678" {
		t.Fatalf("autoanswer: want the source up and the far end ringing, got %+v", cs)
	}
	if !strings.HasPrefix(cs[1].Name, "SIP/trunk-") || cs[1].LinkedID != cs[0].LinkedID {
		t.Errorf("far-end leg %+v", cs[1])
	}
	clk.Advance(4 * time.Second)
	if cs, _ := p.Channels("DEVEL"); cs[1].State != StateRinging {
		t.Fatalf("far end answered early: %+v", cs)
	}
	clk.Advance(time.Second)
	cs, _ = p.Channels("DEVEL")
	if cs[0].Peer != cs[1].Name || cs[1].State != StateUp {
		t.Fatalf("far end did not answer after FarAnswerAfter: %+v", cs)
	}
	if err := p.RemoteHangup(cs[0].LinkedID); err != nil {
		t.Fatal(err)
	}
	noCalls(t, p, "DEVEL")
}

func TestDialFarEndNeverAnswersUntilRemoteAnswer(t *testing.T) {
	p, _ := fixture(t, func(o *Options) { o.FarAnswerAfter = -1 })
	originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "0612345678"))
	src, _ := p.Answer("DEVEL", "101")
	if err := p.RemoteAnswer(src.LinkedID); err != nil {
		t.Fatal(err)
	}
	if c := chanOf(t, p, "DEVEL", "101"); c.Peer == "" {
		t.Fatalf("not connected: %+v", c)
	}
	if err := p.RemoteAnswer(src.LinkedID); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("second RemoteAnswer: %v", err)
	}
	// The extension hangs up: both legs end.
	if got := devel(t, p, "reqtype", "HANGUP", "number", "101"); got != "Success|Hangup requested|" {
		t.Fatal(got)
	}
	noCalls(t, p, "DEVEL")
}

func TestDialTimeoutTearsDownUnansweredSource(t *testing.T) {
	p, clk := fixture(t)
	id := originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "102", "dialtimeout", "10"))
	clk.Advance(9 * time.Second)
	chanOf(t, p, "DEVEL", "101")
	clk.Advance(time.Second)
	noCalls(t, p, "DEVEL")
	if o := p.Originates(); o[0].ID != id || o[0].Status != "failed" {
		t.Errorf("originate %+v", o)
	}
	// The default timeout (30s) applies without the parameter.
	originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "102"))
	clk.Advance(29 * time.Second)
	chanOf(t, p, "DEVEL", "101")
	clk.Advance(time.Second)
	noCalls(t, p, "DEVEL")
}

func TestDialTimeoutLimitsCall(t *testing.T) {
	p, clk := fixture(t)
	originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "0612", "autoanswer", "yes", "timeout", "60"))
	clk.Advance(59 * time.Second)
	if cs, _ := p.Channels("DEVEL"); len(cs) != 2 {
		t.Fatalf("%+v", cs)
	}
	clk.Advance(time.Second)
	noCalls(t, p, "DEVEL")
}

func TestDialErrors(t *testing.T) {
	p, _ := fixture(t)
	for _, tc := range []struct {
		name string
		kv   []string
		want string
	}{
		{"unknown source", []string{"source", "999", "dest", "102"}, "Error|Source not found|"},
		{"other tenant's source", []string{"source", "201", "dest", "102"}, "Error|Source not found|"},
		{"unregistered source", []string{"source", "105", "dest", "102"}, "Error|Extension not registered|"},
		{"no source", []string{"dest", "102"}, "No source specified"},
		{"no dest", []string{"source", "101"}, "No dest specified"},
		{"bad dest", []string{"source", "101", "dest", "abc"}, "Error|Invalid destination|"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []string{"plain", "json"} {
				mustEqual(t, f, devel(t, p, append([]string{"reqtype", "DIAL", "format", f}, tc.kv...)...), tc.want)
			}
		})
	}
	noCalls(t, p, "DEVEL")
	// exten/phone aliases and ACCOUNT.
	originateID(t, devel(t, p, "reqtype", "DIAL", "exten", "ACCOUNT", "account", "101-DEVEL", "phone", "102"))
	chanOf(t, p, "DEVEL", "101")
}

func TestDialBusyDestReleasesSource(t *testing.T) {
	p, _ := fixture(t)
	if _, err := p.RingIn("DEVEL", "0611111111", "102"); err != nil {
		t.Fatal(err)
	}
	originateID(t, devel(t, p, "reqtype", "DIAL", "source", "101", "dest", "102", "autoanswer", "yes"))
	cs, _ := p.Channels("DEVEL")
	for _, c := range cs {
		if c.Extension == "101" {
			t.Fatalf("source still up though the dest is busy: %+v", cs)
		}
	}
}

func TestRingInExtensionAndRefuse(t *testing.T) {
	p, _ := fixture(t)
	in, err := p.RingIn("DEVEL", "0612345678", "101")
	if err != nil {
		t.Fatal(err)
	}
	if in.State != StateRing || in.Direction != "IN" {
		t.Errorf("caller leg %+v", in)
	}
	leg := chanOf(t, p, "DEVEL", "101")
	if leg.State != StateRinging || leg.Direction != "IN" || leg.CallerIDNum != "0612345678" || leg.LinkedID != in.UniqueID {
		t.Fatalf("ringing leg %+v", leg)
	}
	// Refusing (hangup of the ringing leg) ends the call.
	if err := p.Hangup("DEVEL", "101"); err != nil {
		t.Fatal(err)
	}
	noCalls(t, p, "DEVEL")
	if _, err := p.RingIn("DEVEL", "0612345678", "105"); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("ring unregistered: %v", err)
	}
	if err := p.SetDND("DEVEL", "101", true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RingIn("DEVEL", "0612345678", "101"); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("ring DND: %v", err)
	}
	if _, err := p.RingIn("DEVEL", "0612345678", "999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ring unknown: %v", err)
	}
}

func TestQueueCallersAndAgents(t *testing.T) {
	p, _ := fixture(t)
	// 103 pauses: only 102 rings.
	mustEqual(t, "pause", devel(t, p, "reqtype", "AGENT", "action", "pause", "queue", "281", "extension", "103-DEVEL", "pausereason", "Lunch"), "Success|Agent paused|")
	c1, err := p.RingIn("DEVEL", "0611111111", "600")
	if err != nil {
		t.Fatal(err)
	}
	if c1.State != StateUp || c1.Queue != "600" {
		t.Fatalf("queue caller %+v", c1)
	}
	if got := chanOf(t, p, "DEVEL", "102"); got.State != StateRinging || got.RingsFor != c1.Name {
		t.Fatalf("agent leg %+v", got)
	}
	if cs, _ := p.Channels("DEVEL"); len(cs) != 2 {
		t.Fatalf("paused agent rang: %+v", cs)
	}
	c2, _ := p.RingIn("DEVEL", "0622222222", "600")
	body := devel(t, p, "reqtype", "INFO", "info", "queuecallers", "id", "281")
	want := "Position|CallerIDNum|CallerIDName|Wait|Channel|Uniqueid\n" +
		"1|0611111111||0|" + c1.Name + "|" + c1.UniqueID + "\n" +
		"2|0622222222||0|" + c2.Name + "|" + c2.UniqueID + "\n"
	mustEqual(t, "queuecallers plain", body, want)
	body = devel(t, p, "reqtype", "INFO", "info", "queuecallers", "id", "281", "format", "json")
	mustEqual(t, "queuecallers json", body, `[{"Position":"1","CallerIDNum":"0611111111","CallerIDName":"","Wait":"0","Channel":"`+c1.Name+
		`","Uniqueid":"`+c1.UniqueID+`"},{"Position":"2","CallerIDNum":"0622222222","CallerIDName":"","Wait":"0","Channel":"`+c2.Name+`","Uniqueid":"`+c2.UniqueID+`"}]`)
	// 102 answers the first caller; the second waits until 103 unpauses.
	if _, err := p.Answer("DEVEL", "102"); err != nil {
		t.Fatal(err)
	}
	qs, _ := p.Queues("DEVEL")
	if len(qs[0].Callers) != 1 || qs[0].Callers[0] != c2.Name || qs[0].Agents[0].Calls != 1 {
		t.Fatalf("queue after answer %+v", qs[0])
	}
	mustEqual(t, "unpause", devel(t, p, "reqtype", "AGENT", "action", "unpause", "queue", "ALL", "extension", "103"), "Success|Agent unpaused|")
	if got := chanOf(t, p, "DEVEL", "103"); got.RingsFor != c2.Name {
		t.Fatalf("103 does not ring for the second caller: %+v", got)
	}
	// The caller gives up: the agent stops ringing and the queue empties.
	if err := p.RemoteHangup(c2.LinkedID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := p.Channels("DEVEL"); len(cs) != 2 {
		t.Fatalf("after the caller left: %+v", cs)
	}
	mustEqual(t, "no callers", devel(t, p, "reqtype", "INFO", "info", "queuecallers", "id", "281"), "")
}

func TestQueueRingAllFirstAnswerWins(t *testing.T) {
	p, _ := fixture(t)
	c, _ := p.RingIn("DEVEL", "0611111111", "600")
	if a, b := chanOf(t, p, "DEVEL", "102"), chanOf(t, p, "DEVEL", "103"); a.RingsFor != c.Name || b.RingsFor != c.Name {
		t.Fatalf("ringall: %+v %+v", a, b)
	}
	if _, err := p.Answer("DEVEL", "103"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := p.Channels("DEVEL"); len(cs) != 2 || chanOf(t, p, "DEVEL", "103").Peer != c.Name {
		t.Fatalf("after 103 answered: %+v", cs)
	}
	// The agent refusing a queue call does not end it (modelled).
	p2, _ := fixture(t)
	c2, _ := p2.RingIn("DEVEL", "0611111111", "600")
	if err := p2.Hangup("DEVEL", "102"); err != nil {
		t.Fatal(err)
	}
	if qs, _ := p2.Queues("DEVEL"); len(qs[0].Callers) != 1 || qs[0].Callers[0] != c2.Name {
		t.Fatalf("caller left the queue when an agent refused: %+v", qs)
	}
}

func TestAttendedTransferCompletesOnTransfererHangup(t *testing.T) {
	p, _ := fixture(t)
	in, _ := p.RingIn("DEVEL", "0612345678", "101")
	t101, _ := p.Answer("DEVEL", "101")
	mustEqual(t, "ATXTRANSFER", devel(t, p, "reqtype", "ATXTRANSFER", "channel", t101.Name, "dest", "102"), "Success|Attended transfer requested|")
	caller := findChan(t, p, in.Name)
	if caller.HeldBy != t101.Name || caller.Peer != "" {
		t.Fatalf("the caller is not held during the consultation: %+v", caller)
	}
	d := chanOf(t, p, "DEVEL", "102")
	if d.RingsFor != t101.Name || d.LinkedID != in.LinkedID {
		t.Fatalf("consultation leg %+v", d)
	}
	if _, err := p.Answer("DEVEL", "102"); err != nil {
		t.Fatal(err)
	}
	if got := chanOf(t, p, "DEVEL", "101"); got.Peer != d.Name {
		t.Fatalf("transferer not talking to the target: %+v", got)
	}
	// The transferer hangs up: the caller is connected to 102.
	mustEqual(t, "HANGUP", devel(t, p, "reqtype", "HANGUP", "channel", t101.Name), "Success|Hangup requested|")
	caller = findChan(t, p, in.Name)
	if caller.Peer != d.Name || caller.State != StateUp || caller.HeldBy != "" {
		t.Fatalf("transfer did not complete: %+v", caller)
	}
	if got := chanOf(t, p, "DEVEL", "102"); got.ConnectedNum != "0612345678" {
		t.Errorf("target's connected line %+v", got)
	}
	if cs, _ := p.Channels("DEVEL"); len(cs) != 2 {
		t.Fatalf("%+v", cs)
	}
}

func TestAttendedTransferCompletesWhileTargetRings(t *testing.T) {
	p, _ := fixture(t)
	in, _ := p.RingIn("DEVEL", "0612345678", "101")
	t101, _ := p.Answer("DEVEL", "101")
	devel(t, p, "reqtype", "ATXTRANSFER", "channel", t101.Name, "dest", "102")
	if err := p.Hangup("DEVEL", "101"); err != nil {
		t.Fatal(err)
	}
	if d := chanOf(t, p, "DEVEL", "102"); d.RingsFor != in.Name || d.State != StateRinging {
		t.Fatalf("target no longer rings for the caller: %+v", d)
	}
	p.Answer("DEVEL", "102")
	if c := findChan(t, p, in.Name); c.Peer == "" {
		t.Fatalf("%+v", c)
	}
}

func TestAttendedTransferTargetRefusesReturnsToCaller(t *testing.T) {
	p, _ := fixture(t)
	in, _ := p.RingIn("DEVEL", "0612345678", "101")
	t101, _ := p.Answer("DEVEL", "101")
	devel(t, p, "reqtype", "ATXTRANSFER", "channel", t101.Name, "dest", "102")
	if err := p.Hangup("DEVEL", "102"); err != nil {
		t.Fatal(err)
	}
	if c := findChan(t, p, in.Name); c.Peer != t101.Name || c.HeldBy != "" {
		t.Fatalf("caller not back with the transferer: %+v", c)
	}
	mustEqual(t, "not in a call", devel(t, p, "reqtype", "ATXTRANSFER", "channel", "SIP/nope", "dest", "102"), "Error|Channel not found|")
}

func TestBlindTransfer(t *testing.T) {
	p, _ := fixture(t)
	in, _ := p.RingIn("DEVEL", "0612345678", "101")
	p.Answer("DEVEL", "101")
	mustEqual(t, "TRANSFER", devel(t, p, "reqtype", "TRANSFER", "channel", in.Name, "dest", "102"), "Success|Transfer requested|")
	if cs, _ := p.Channels("DEVEL"); len(cs) != 2 {
		t.Fatalf("%+v", cs)
	}
	if d := chanOf(t, p, "DEVEL", "102"); d.RingsFor != in.Name || d.LinkedID != in.LinkedID {
		t.Fatalf("transfer target %+v", d)
	}
	p.Answer("DEVEL", "102")
	if c := findChan(t, p, in.Name); c.Peer == "" {
		t.Fatal("not connected")
	}
	// Redirect of a ringing call: the caller goes elsewhere.
	p2, _ := fixture(t)
	in2, _ := p2.RingIn("DEVEL", "0612345678", "101")
	devel(t, p2, "reqtype", "TRANSFER", "channel", in2.Name, "dest", "0699")
	if c := findChan(t, p2, in2.Name); c.Peer == "" {
		t.Fatalf("redirected caller not connected to the external number: %+v", c)
	}
	// The other reading on request: the transferer's own channel named.
	p3, _ := fixture(t, func(o *Options) { o.TransferMovesPeer = true })
	in3, _ := p3.RingIn("DEVEL", "0612345678", "101")
	a3, _ := p3.Answer("DEVEL", "101")
	devel(t, p3, "reqtype", "TRANSFER", "channel", a3.Name, "dest", "102")
	if d := chanOf(t, p3, "DEVEL", "102"); d.RingsFor != in3.Name {
		t.Fatalf("%+v", d)
	}
}

func TestHangupByExtension(t *testing.T) {
	p, _ := fixture(t)
	p.RingIn("DEVEL", "0612345678", "101")
	mustEqual(t, "no such", devel(t, p, "reqtype", "HANGUP", "extension", "102-DEVEL"), "Error|Channel not found|")
	mustEqual(t, "by extension", devel(t, p, "reqtype", "HANGUP", "extension", "101-DEVEL"), "Success|Hangup requested|")
	noCalls(t, p, "DEVEL")
	mustEqual(t, "nothing", devel(t, p, "reqtype", "HANGUP"), "No channel specified")
}

func findChan(t *testing.T, p *PBX, name string) Channel {
	t.Helper()
	cs, _ := p.Channels("")
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no channel %s in %+v", name, cs)
	return Channel{}
}
