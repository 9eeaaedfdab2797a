package ipofficesim

import (
	"context"
	"testing"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// queueCC asks for primary data, queue information and targets.
const queueCC = 0x01 | ccQueue | ccTargets

func TestQueueScript(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeQueue(10, "Sales", 0, queueCC)
	c.subscribeQueue(11, "Sales", 0, queueCC|ccEphemeral)
	c.subscribeUser(srv, 1, "201", 0, 1)
	c.subscribeUser(srv, 2, "202", 0, 1)

	g, err := srv.RunQueueScript(context.Background(), "Sales", "01707123456", "201", "202")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		state   mtcti.CallInfo_State
		held    bool
		conn    string
		targets int
	}
	wants := []want{
		{mtcti.CallInfo_RINGING, false, "", 0},      // arrive
		{mtcti.CallInfo_QUEUEING, false, "", 0},     // queue
		{mtcti.CallInfo_QUEUEING, false, "", 2},     // offer
		{mtcti.CallInfo_CONNECTED, false, "201", 0}, // answer
		{mtcti.CallInfo_CONNECTED, true, "201", 0},  // consult: the agent holds the caller
		{mtcti.CallInfo_CONNECTED, false, "202", 0}, // transfer
	}
	var callid int32
	for i, w := range wants {
		cc := c.calls(10)
		if len(cc.Callinfo) != 1 || len(cc.Calllost) != 0 {
			t.Fatalf("queue notify %d: %v", i, cc)
		}
		ci := cc.Callinfo[0]
		if i == 0 {
			callid = ci.Callid
		}
		if ci.State != w.state || ci.Activeheld != w.held || ci.Connectedparty.GetNumber() != w.conn ||
			len(ci.Targets.GetTarget()) != w.targets || !g.Equal(ci.Gcid) || ci.Callid != callid ||
			ci.Direction != mtcti.CallInfo_INBOUND || ci.Queueinfo.GetName() != "Sales" || ci.Callingparty.GetNumber() != "01707123456" {
			t.Fatalf("queue notify %d: got %v, want %+v", i, ci, w)
		}
	}
	if cl := c.calls(10).Calllost; len(cl) != 1 || cl[0].Callid != callid {
		t.Fatalf("queue lost: %v", cl)
	}
	// Ephemeral: seen only while queueing, then lost when answered.
	for i, st := range []mtcti.CallInfo_State{mtcti.CallInfo_RINGING, mtcti.CallInfo_QUEUEING, mtcti.CallInfo_QUEUEING} {
		if ci := c.calls(11).Callinfo[0]; ci.State != st {
			t.Fatalf("ephemeral %d: %v", i, ci)
		}
	}
	if cl := c.calls(11).Calllost; len(cl) != 1 {
		t.Fatalf("ephemeral lost: %v", cl)
	}

	// Agent 201: rings, answers, consults (held + new call), both lost at once.
	ci := c.calls(1).Callinfo[0]
	if ci.State != mtcti.CallInfo_RINGING || !g.Equal(ci.Gcid) || ci.Originalcalledparty.GetNumber() != "600" {
		t.Fatalf("201 ringing: %v", ci)
	}
	first := ci.Callid
	if ci := c.calls(1).Callinfo[0]; ci.State != mtcti.CallInfo_CONNECTED {
		t.Fatalf("201 answered: %v", ci)
	}
	cc := c.calls(1)
	if len(cc.Callinfo) != 2 || cc.Callinfo[0].State != mtcti.CallInfo_ONHOLDPENDTRANSFER || cc.Callinfo[1].State != mtcti.CallInfo_RINGBACK {
		t.Fatalf("201 consult: %v", cc)
	}
	consult := cc.Callinfo[1]
	if ci := c.calls(1).Callinfo[0]; ci.Callid != consult.Callid || ci.State != mtcti.CallInfo_CONNECTED {
		t.Fatalf("201 consult answered: %v", ci)
	}
	if cc := c.calls(1); len(cc.Calllost) != 2 || len(cc.Callinfo) != 0 || cc.Calllost[0].Callid != first {
		t.Fatalf("201 transfer: %v", cc)
	}

	// Agent 202: rings for the queue, stops (answered elsewhere), rings for
	// the consultation, answers, takes the caller, loses it.
	if ci := c.calls(2).Callinfo[0]; ci.State != mtcti.CallInfo_RINGING || !g.Equal(ci.Gcid) {
		t.Fatalf("202 ringing: %v", ci)
	}
	if cl := c.calls(2).Calllost; len(cl) != 1 || cl[0].Reason != reasonElsewhere {
		t.Fatalf("202 answered elsewhere: %v", cl)
	}
	ci = c.calls(2).Callinfo[0]
	if ci.State != mtcti.CallInfo_RINGING || ci.Callingparty.GetNumber() != "201" || string(ci.Gcid) != string(consult.Gcid) {
		t.Fatalf("202 consult ringing: %v", ci)
	}
	if ci := c.calls(2).Callinfo[0]; ci.State != mtcti.CallInfo_CONNECTED {
		t.Fatalf("202 consult connected: %v", ci)
	}
	ci = c.calls(2).Callinfo[0]
	if ci.Connectedparty.GetNumber() != "01707123456" || !g.Equal(ci.Gcid) {
		t.Fatalf("202 after transfer: %v", ci)
	}
	if cl := c.calls(2).Calllost; len(cl) != 1 || cl[0].Thisenddropped {
		t.Fatalf("202 lost: %v", cl)
	}
}

func TestRingQueueCollectiveAndRequeue(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeQueue(10, "Support", 0, queueCC)
	c.subscribeUser(srv, 4, "204", 0, 1)
	c.subscribeUser(srv, 5, "205", 0, 1)
	g, err := srv.RingQueue("601", "0555")
	if err != nil {
		t.Fatal(err)
	}
	ci := c.calls(10).Callinfo[0]
	if ci.State != mtcti.CallInfo_RINGING || len(ci.Targets.GetTarget()) != 2 || ci.Featuresavailable != int32(qfRinging) {
		t.Fatalf("queue: %v", ci)
	}
	c.calls(4)
	in5 := c.calls(5).Callinfo[0]
	// 205 answers through the app; 204 stops ringing.
	if r := c.callFn(5, in5.Callid, action(mtcti.CallFunction_AnswerCall, "")); r != 0 {
		t.Fatal(r)
	}
	if cl := c.calls(4).Calllost; len(cl) != 1 {
		t.Fatalf("204: %v", cl)
	}
	if ci := c.calls(10).Callinfo[0]; ci.State != mtcti.CallInfo_CONNECTED || ci.Connectedparty.GetNumber() != "205" {
		t.Fatalf("queue answered: %v", ci)
	}
	// A second caller finds nobody free: QUEUEING; when 205 hangs up it is offered.
	g2, _ := srv.RingQueue("Support", "0666")
	c.calls(4)                                      // 204 is free: rings
	if err := srv.HangupAs("204", g2); err != nil { // 204 rejects: back to the queue, not offered to 204 again
		t.Fatal(err)
	}
	c.calls(10) // the second call rang 204
	if err := srv.RemoteHangup(g); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the queued call to ring 205", func() bool {
		for _, cs := range srv.Calls() {
			if cs.Number == "205" && g2.Equal(cs.GCID) && cs.State == mtcti.CallInfo_RINGING {
				return true
			}
		}
		return false
	})
	// Finish ends the reporting on the queue, for every client.
	var id int32
	for _, m := range c.pending(isCallNotify(10)) {
		for _, ci := range m.GetNotify().GetCallcontrol().Callinfo {
			if g2.Equal(ci.Gcid) {
				id = ci.Callid
			}
		}
	}
	for id == 0 {
		for _, ci := range c.calls(10).Callinfo {
			if g2.Equal(ci.Gcid) {
				id = ci.Callid
			}
		}
	}
	if r := c.callFn(10, id, action(mtcti.CallFunction_Finish, "")); r != 0 {
		t.Fatal(r)
	}
	c.sync()
	found := false
	for _, m := range c.pending(isCallNotify(10)) {
		for _, cl := range m.GetNotify().GetCallcontrol().Calllost {
			found = found || cl.Callid == id
		}
	}
	if !found {
		t.Fatal("no CallLost after Finish")
	}
}

func TestQueueBlindTransferToVoicemailCallflow(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeQueue(7500, "Sales", 0, 0x40039)
	srv.SetDND("201", true)
	srv.SetDND("202", true)
	srv.SetDND("203", true)
	srv.RingQueue("Sales", "03498984598")
	ci := c.calls(7500).Callinfo[0]
	if ci.State != mtcti.CallInfo_QUEUEING || ci.Featuresavailable != int32(qfQueueing) {
		t.Fatalf("queueing: %v", ci)
	}
	if r := c.callFn(7500, ci.Callid, action(mtcti.CallFunction_BlindTransfer, "/102/Callflow")); r != 0 {
		t.Fatal(r)
	}
	ci = c.calls(7500).Callinfo[0]
	if ci.State != mtcti.CallInfo_ANSWEREDBYVOICEMAIL || ci.Connectedparty.GetNumber() != "Callflow" || uint32(ci.Featuresavailable) != 0xE0E0E091 {
		t.Fatalf("voicemail: %v", ci)
	}
	if r := c.callFn(7500, ci.Callid, action(mtcti.CallFunction_BlindTransfer, "/116/20987;MODEFROMPIN(123456)")); r != 0 {
		t.Fatal(r)
	}
	ci = c.calls(7500).Callinfo[0]
	if ci.State != mtcti.CallInfo_CONNECTED || ci.Connectedparty.GetName() != "Conf 20987" || ci.Connectedparty.GetNametype() != 110 {
		t.Fatalf("meetme: %v", ci)
	}
	if r := c.callFn(7500, ci.Callid, action(mtcti.CallFunction_BlindTransfer, "1")); r != mtcti.ResultCallControlTransferFailed {
		t.Fatalf("bad target: %d", r)
	}
	if r := c.callFn(7500, ci.Callid, action(mtcti.CallFunction_SetPriority, "3")); r != 0 {
		t.Fatal(r)
	}
	// Without ccflags 0x40 the priority is not reported, so nothing changed.
	c.sync()
	if ci.GetQueueinfo() != nil || len(c.pending(isCallNotify(7500))) != 0 {
		t.Fatalf("queueinfo without ccflags 0x40: %v", ci)
	}
}
