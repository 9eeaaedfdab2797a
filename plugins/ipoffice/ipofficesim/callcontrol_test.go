package ipofficesim

import (
	"strings"
	"testing"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

func action(a mtcti.CallFunction_Action, arg string) *mtcti.CallFunction {
	return &mtcti.CallFunction{Action: a, Arg1: arg}
}

func TestUserCallAnswerHoldDrop(t *testing.T) {
	for _, f := range framings {
		t.Run(f.String(), func(t *testing.T) {
			srv, addr := testServer(t, nil)
			c := dialClient(t, srv, addr, f)
			c.subscribeUser(srv, 7000, "201", 0, 0x99)
			g, err := srv.RingUser("201", "01707123456")
			if err != nil {
				t.Fatal(err)
			}
			n := c.take("ringing", isCallNotify(7000)).GetNotify()
			if n.NotifyId != 0 {
				t.Errorf("call-control notify carries notify_id %d", n.NotifyId)
			}
			cc := n.GetCallcontrol()
			ci := cc.Callinfo[0]
			if len(cc.Callinfo) != 1 || ci.State != mtcti.CallInfo_RINGING || ci.Direction != mtcti.CallInfo_INBOUND ||
				ci.Featuresavailable != 0x23 || !g.Equal(ci.Gcid) || ci.Callingparty.GetNumber() != "01707123456" ||
				ci.Callid == 0 || cc.Refreshinstance != 1 || ci.Calldata.GetLanguage() != "eng" {
				t.Fatalf("ringing: %v", cc)
			}
			id := ci.Callid
			// requestid echoed; success carries no result.
			c.send(&mtcti.Message{Payload: &mtcti.Message_Subscribecmd{Subscribecmd: &mtcti.SubscribeCmd{Requestid: 4242, SubscribeId: 7000,
				Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: &mtcti.UpdateCallControl{Callid: id, Callfunction: action(mtcti.CallFunction_AnswerCall, "")}}}}})
			r := c.take("answer response", isResponse(4242)).GetResponse()
			if r.Result != 0 || r.Additional != "" {
				t.Fatalf("answer: %v", r)
			}
			ci = c.calls(7000).Callinfo[0]
			if ci.State != mtcti.CallInfo_CONNECTED || ci.Callid != id || ci.Connectedparty.GetNumber() != "01707123456" ||
				!mtcti.CallFeatures(uint32(ci.Featuresavailable)).Has(mtcti.CallFeatureHoldCall) {
				t.Fatalf("connected: %v", ci)
			}
			if r := c.callFn(7000, id, action(mtcti.CallFunction_HoldCall, "")); r != 0 {
				t.Fatalf("hold: %d", r)
			}
			if ci := c.calls(7000).Callinfo[0]; ci.State != mtcti.CallInfo_ONHOLD {
				t.Fatalf("held: %v", ci)
			}
			if r := c.callFn(7000, id, action(mtcti.CallFunction_HoldCall, "")); r != mtcti.ResultCallControlAlreadyDone {
				t.Fatalf("hold twice: %d", r)
			}
			if r := c.callFn(7000, id, action(mtcti.CallFunction_UnHoldCall, "")); r != 0 {
				t.Fatalf("unhold: %d", r)
			}
			c.calls(7000)
			if r := c.callFn(7000, id, action(mtcti.CallFunction_UnHoldCall, "")); r != mtcti.ResultCallControlAlreadyDone {
				t.Fatalf("unhold active: %d", r)
			}
			// Answer on a connected call: its bit is not set, so it is ignored.
			if r := c.callFn(7000, id, action(mtcti.CallFunction_AnswerCall, "")); r != 0 {
				t.Fatalf("ignored answer: %d", r)
			}
			if r := c.callFn(7000, id, action(mtcti.CallFunction_SetTag, strings.Repeat("x", 200))); r != 0 {
				t.Fatal(r)
			}
			if ci := c.calls(7000).Callinfo[0]; len(ci.Tag) != 127 {
				t.Fatalf("tag %d long", len(ci.Tag))
			}
			if r := c.callFn(7000, id, action(mtcti.CallFunction_GenerateDigits, "12#x")); r != mtcti.ResultCallControlBadFormatting {
				t.Fatalf("bad digits: %d", r)
			}
			if r := c.callFn(7000, id, action(mtcti.CallFunction_DropCall, "")); r != 0 {
				t.Fatalf("drop: %d", r)
			}
			cc = c.calls(7000)
			if len(cc.Callinfo) != 0 || len(cc.Calllost) != 1 || cc.Calllost[0].Callid != id || !cc.Calllost[0].Thisenddropped || cc.Calllost[0].Reason != 16 {
				t.Fatalf("lost: %v", cc)
			}
			if len(srv.Calls()) != 0 {
				t.Fatalf("calls left: %+v", srv.Calls())
			}
		})
	}
}

func TestUnknownCalls(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeUser(srv, 7000, "201", 0, 1)
	if r := c.callFn(7000, 99, action(mtcti.CallFunction_DropCall, "")); r != mtcti.ResultNotFound {
		t.Fatalf("drop unknown: %d", r)
	}
	for _, a := range []mtcti.CallFunction_Action{mtcti.CallFunction_AnswerCall, mtcti.CallFunction_HoldCall, mtcti.CallFunction_BlindTransfer} {
		if r := c.callFn(7000, 99, action(a, "202")); r != mtcti.ResultCallControlCallNotFound {
			t.Fatalf("%s unknown: %d", a, r)
		}
	}
	if r := c.cmd(4711, &mtcti.SubscribeCmd{Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: &mtcti.UpdateCallControl{Callid: 1}}}); r != mtcti.ResultSubscriptionInvalidID {
		t.Fatalf("unknown subscription: %d", r)
	}
}

func TestRemoteHangupAndCoverage(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeUser(srv, 1, "201", 0, 1)
	c.subscribeUser(srv, 2, "205", 0, 1) // no voicemail
	g, _ := srv.RingUser("201", "0555")
	c.calls(1)
	if err := srv.RemoteHangup(g); err != nil {
		t.Fatal(err)
	}
	if cl := c.calls(1).Calllost; len(cl) != 1 || cl[0].Thisenddropped {
		t.Fatalf("remote hangup: %v", cl)
	}
	srv.RingUser("205", "0555")
	id := c.calls(2).Callinfo[0].Callid
	if r := c.callFn(2, id, action(mtcti.CallFunction_DropCall, "")); r != mtcti.ResultCallControlNoCoverage {
		t.Fatalf("drop ringing without coverage: %d", r)
	}
	if r := c.callFn(2, id, action(mtcti.CallFunction_Redirect, "201")); r != 0 {
		t.Fatalf("redirect: %d", r)
	}
	if cl := c.calls(2).Calllost; len(cl) != 1 || !cl[0].Thisenddropped {
		t.Fatalf("redirected: %v", cl)
	}
	if ci := c.calls(1).Callinfo[0]; ci.State != mtcti.CallInfo_RINGING || ci.Callingparty.GetNumber() != "0555" {
		t.Fatalf("redirect target: %v", ci)
	}
}

func TestMakeCallExternalAndInternal(t *testing.T) {
	srv, addr := testServer(t, func(o *Options) { o.MakeCallFailLostOnly = true })
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeUser(srv, 1, "201", 0, 0x99)
	c.subscribeUser(srv, 2, "202", 0, 0x99)
	mk := func(sid int32, ref int32, target string) int32 {
		return c.cmd(sid, &mtcti.SubscribeCmd{Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: &mtcti.UpdateCallControl{
			Referencecallid: ref, Makecall: &mtcti.MakeCall{Target: target, Advanced: &mtcti.AdvancedMakeCall{Tag: "campaign"}}}}})
	}
	if r := mk(1, 0, "0123"); r != mtcti.ResultRequestInvalidPayload {
		t.Fatalf("no referencecallid: %d", r)
	}
	if r := mk(1, 11, "0123456"); r != 0 {
		t.Fatal(r)
	}
	ci := c.calls(1).Callinfo[0]
	if ci.State != mtcti.CallInfo_RINGBACK || ci.Direction != mtcti.CallInfo_OUTBOUND || ci.Referencecallid != 11 ||
		ci.Calledparty != "0123456" || ci.Tag != "campaign" || ci.Dialinfo.GetNumber() != "0123456" {
		t.Fatalf("makecall: %v", ci)
	}
	if err := srv.RemoteAnswer(ci.Gcid); err != nil {
		t.Fatal(err)
	}
	if ci := c.calls(1).Callinfo[0]; ci.State != mtcti.CallInfo_CONNECTED {
		t.Fatalf("answered: %v", ci)
	}
	// A second call puts the first on hold; an internal call rings 202.
	if r := mk(1, 12, "202"); r != 0 {
		t.Fatal(r)
	}
	cc := c.calls(1)
	if len(cc.Callinfo) != 2 || cc.Callinfo[0].State != mtcti.CallInfo_ONHOLD || cc.Callinfo[1].State != mtcti.CallInfo_RINGBACK {
		t.Fatalf("second call: %v", cc)
	}
	in := c.calls(2).Callinfo[0]
	if in.State != mtcti.CallInfo_RINGING || in.Callingparty.GetNumber() != "201" || in.Callingparty.GetNametype() != 5 {
		t.Fatalf("internal ringing: %v", in)
	}
	if string(in.Gcid) != string(cc.Callinfo[1].Gcid) {
		t.Fatal("the two ends of one call have different gcids")
	}
	// An unallocated number fails at once: only a CallLost, matched by referencecallid.
	if r := mk(2, 13, "4444"); r != 0 {
		t.Fatal(r)
	}
	cc = c.calls(2)
	if len(cc.Callinfo) != 0 || len(cc.Calllost) != 1 || cc.Calllost[0].Referencecallid != 13 {
		t.Fatalf("instant failure: %v", cc)
	}
}

func TestSetupAndCompleteTransfer(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeUser(srv, 1, "201", 0, 1)
	c.subscribeUser(srv, 2, "202", 0, 1)
	g, _ := srv.RingUser("201", "0555")
	c.calls(1)
	srv.AnswerAs("201", g)
	held := c.calls(1).Callinfo[0].Callid
	if r := c.callFn(1, held, action(mtcti.CallFunction_SetupTransfer, "202")); r != 0 {
		t.Fatal(r)
	}
	cc := c.calls(1)
	if len(cc.Callinfo) != 2 || cc.Callinfo[0].State != mtcti.CallInfo_ONHOLDPENDTRANSFER || cc.Callinfo[1].State != mtcti.CallInfo_RINGBACK ||
		cc.Callinfo[1].Relatedcallid != held || cc.Callinfo[0].Relatedcallid != cc.Callinfo[1].Callid {
		t.Fatalf("setup: %v", cc)
	}
	assist := cc.Callinfo[1].Callid
	ring := c.calls(2).Callinfo[0]
	if err := srv.AnswerAs("202", ring.Gcid); err != nil {
		t.Fatal(err)
	}
	c.calls(1)
	c.calls(2)
	if r := c.callFn(1, assist, &mtcti.CallFunction{Action: mtcti.CallFunction_CompleteTransfer}); r != 0 {
		t.Fatalf("complete: %d", r)
	}
	cc = c.calls(1)
	if len(cc.Calllost) != 2 || len(cc.Callinfo) != 0 {
		t.Fatalf("both calls lost in one notify: %v", cc)
	}
	ci := c.calls(2).Callinfo[0]
	if ci.State != mtcti.CallInfo_CONNECTED || ci.Connectedparty.GetNumber() != "0555" || !g.Equal(ci.Gcid) {
		t.Fatalf("transferred: %v", ci)
	}
}

func TestParkUnparkAndParkServer(t *testing.T) {
	srv, addr := testServer(t, func(o *Options) { o.ParkSlots = []string{"1", "2"} })
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeUser(srv, 1, "201", 0, 1)
	c.subscribeUser(srv, 2, "202", 0, 1)
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: 3, Payload: &mtcti.Subscribe_Parkserver{Parkserver: &mtcti.SubscribeParkServer{Ccflags: 1}}}); r != 0 {
		t.Fatal(r)
	}
	g, _ := srv.RingUser("201", "0555")
	c.calls(1)
	srv.AnswerAs("201", g)
	id := c.calls(1).Callinfo[0].Callid
	if r := c.callFn(1, id, action(mtcti.CallFunction_Park, "1234567890")); r != mtcti.ResultCallControlBadFormatting {
		t.Fatalf("long slot: %d", r)
	}
	if r := c.callFn(1, id, action(mtcti.CallFunction_Park, "9")); r != mtcti.ResultCallControlParkFailed {
		t.Fatalf("unknown slot: %d", r)
	}
	if r := c.callFn(1, id, action(mtcti.CallFunction_Park, "1")); r != 0 {
		t.Fatal(r)
	}
	c.calls(1) // lost
	pk := c.calls(3).Callinfo[0]
	if pk.Parkslot != "1" || !g.Equal(pk.Gcid) || pk.Callingparty.GetNumber() != "0555" {
		t.Fatalf("park server: %v", pk)
	}
	unpark := func(slot string, ref int32) int32 {
		return c.cmd(2, &mtcti.SubscribeCmd{Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: &mtcti.UpdateCallControl{
			Referencecallid: ref, Unparkcall: &mtcti.UnParkCall{Parkid: slot}}}})
	}
	if r := unpark("2", 50); r != mtcti.ResultCallControlTargetNotFound {
		t.Fatalf("empty slot: %d", r)
	}
	if r := unpark("1", 51); r != 0 {
		t.Fatal(r)
	}
	ci := c.calls(2).Callinfo[0]
	if ci.Direction != mtcti.CallInfo_PICKUP || ci.State != mtcti.CallInfo_CONNECTED || ci.Referencecallid != 51 || !g.Equal(ci.Gcid) {
		t.Fatalf("unparked: %v", ci)
	}
	if cl := c.calls(3).Calllost; len(cl) != 1 {
		t.Fatalf("park server lost: %v", cl)
	}
}

func TestConference(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribeUser(srv, 1, "201", 0, 0x09)
	c.subscribeUser(srv, 2, "202", 0, 0x09)
	g, _ := srv.RingUser("201", "0555")
	c.calls(1)
	srv.AnswerAs("201", g)
	held := c.calls(1).Callinfo[0].Callid
	if r := c.callFn(1, held, action(mtcti.CallFunction_SetupConf, "202")); r != 0 {
		t.Fatal(r)
	}
	cc := c.calls(1)
	if cc.Callinfo[0].State != mtcti.CallInfo_ONHOLDPENDCONF {
		t.Fatalf("setupconf: %v", cc)
	}
	assist := cc.Callinfo[1].Callid
	srv.AnswerAs("202", c.calls(2).Callinfo[0].Gcid)
	c.calls(1)
	c.calls(2)
	if r := c.callFn(1, assist, &mtcti.CallFunction{Action: mtcti.CallFunction_CompleteConf}); r != 0 {
		t.Fatalf("completeconf: %d", r)
	}
	cc = c.calls(1)
	var conf *mtcti.CallInfo
	for _, ci := range cc.Callinfo {
		conf = ci
	}
	if conf == nil || len(cc.Calllost) != 1 || conf.Connectedparty.GetNametype() != 110 || len(conf.Conferencemember) != 2 {
		t.Fatalf("conference: %v", cc)
	}
	// The member 202 leaves: two remain (201 and the caller).
	if err := srv.HangupAs("202", c.calls(2).Callinfo[0].Gcid); err != nil {
		t.Fatal(err)
	}
	if m := c.calls(1).Callinfo[0].Conferencemember; len(m) != 1 || m[0].Connectedparty.GetNumber() != "0555" {
		t.Fatalf("after leave: %v", m)
	}
	if err := srv.RemoteHangup(g); err != nil {
		t.Fatal(err)
	}
	if cl := c.calls(1).Calllost; len(cl) != 1 {
		t.Fatalf("conference ended: %v", cl)
	}
	if len(srv.Calls()) != 0 {
		t.Fatalf("left: %+v", srv.Calls())
	}
}
