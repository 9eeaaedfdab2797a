package snomsim

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEveryDocumentedKeyIsKnown(t *testing.T) {
	p := newPhone(t, Options{Model: "D385"})
	all := []string{"CANCEL", "ENTER", "OFFHOOK", "ONHOOK", "RIGHT", "LEFT", "UP", "DOWN",
		"VOLUME_UP", "VOLUME_DOWN", "MENU", "MUTE", "REDIAL", "DND", "REC", "F1", "F2", "F3", "F4",
		"SPEAKER", "HEADSET", "TRANSFER", "F_HOLD", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
		"%2A", "%23", "P1", "P48", "EK0", "EK47"}
	for _, k := range all {
		if code, body := get(t, p, "/command.htm?key="+k); code != http.StatusOK {
			t.Errorf("key %s: %d %s", k, code, body)
		}
	}
	if n := len(p.Keys()); n != len(all) {
		t.Errorf("%d keys recorded, want %d", n, len(all))
	}
	if k := p.Keys(); k[len(k)-5].Key != "#" || k[len(k)-6].Key != "*" {
		t.Errorf("%%2A and %%23 recorded as %q and %q", k[len(k)-6].Key, k[len(k)-5].Key)
	}
}

func TestUnknownKeysAreRefusedWhole(t *testing.T) {
	for _, tc := range []struct{ model, keys string }{
		{"D385", "DND;NOPE"},
		{"D385", "dnd"},       // events are case-sensitive capitals
		{"D385", "P49"},       // beyond the model's 48 P keys
		{"D385", "P0"},        // P keys start at 1
		{"D385", "EK48"},      // beyond the default expansion module
		{"D715", "P6"},        // D715 has P1-P5
		{"D735", "EK0"},       // expansion modules only on 3xx
		{"D385", "F5"},        // F1-F4 only
		{"D385", "DND,abc"},   // Time is not milliseconds
		{"D385", "DND,1,2,3"}, // more than Key,Time,Pause
		{"D385", ""},
		{"D385", "DND;;DND"},
	} {
		p := newPhone(t, Options{Model: tc.model})
		code, body := get(t, p, "/command.htm?key="+tc.keys)
		if code != http.StatusBadRequest || !strings.Contains(body, "<h1>Error</h1>") {
			t.Errorf("%s key=%s: %d %s, want the 400 error page", tc.model, tc.keys, code, body)
		}
		if p.State().DND || len(p.Keys()) != 0 {
			t.Errorf("%s key=%s: a key was pressed", tc.model, tc.keys)
		}
	}
}

func TestKeyEventTimings(t *testing.T) {
	p := newPhone(t, Options{})
	keys(t, p, "1,200;2,100,50;3;")
	want := []KeyEvent{{Key: "1", Time: 200 * time.Millisecond}, {Key: "2", Time: 100 * time.Millisecond, Pause: 50 * time.Millisecond}, {Key: "3"}}
	if got := p.Keys(); !reflect.DeepEqual(got, want) {
		t.Errorf("keys = %+v, want %+v", got, want)
	}
	if st := p.State(); !st.Dialing || st.Digits != "123" {
		t.Errorf("dialing %v %q, want 123", st.Dialing, st.Digits)
	}
	timed := newPhone(t, Options{KeyTiming: true})
	keys(t, timed, "DND,1,1;DND")
	if timed.State().DND || len(timed.Keys()) != 2 {
		t.Errorf("timed keys: dnd %v keys %d", timed.State().DND, len(timed.Keys()))
	}
}

func TestKeysByPostForm(t *testing.T) {
	p := newPhone(t, Options{})
	code, _ := do(t, p, http.MethodPost, "/command.htm", "key=DND", "Content-Type", "application/x-www-form-urlencoded")
	if code != 200 || !p.State().DND {
		t.Fatalf("POST key=DND: %d dnd=%v", code, p.State().DND)
	}
}

func TestAnswerAndHangUpByKeys(t *testing.T) {
	for _, tc := range []struct{ answer, audio, hangup string }{
		{"ENTER", AudioSpeaker, "CANCEL"},
		{"OFFHOOK", AudioHandset, "ONHOOK"},
		{"SPEAKER", AudioSpeaker, "SPEAKER"},
		{"HEADSET", AudioHeadset, "HEADSET"},
	} {
		p := newPhone(t, Options{})
		id := callIn(t, p, "5551001")
		keys(t, p, tc.answer)
		wantStates(t, p, id+":connected")
		if a := p.State().Audio; a != tc.audio {
			t.Errorf("%s: audio %s, want %s", tc.answer, a, tc.audio)
		}
		keys(t, p, tc.hangup)
		wantStates(t, p)
		if a := p.State().Audio; a != AudioOnHook {
			t.Errorf("%s then %s: audio %s", tc.answer, tc.hangup, a)
		}
		if r := p.State().Received; len(r) != 1 || r[0] != "5551001" {
			t.Errorf("received list %q", r)
		}
	}
}

func TestCancelRejectsARingingCall(t *testing.T) {
	p := newPhone(t, Options{})
	callIn(t, p, "5551001")
	keys(t, p, "CANCEL")
	wantStates(t, p)
}

func TestDNDKeyRefusesCalls(t *testing.T) {
	p := newPhone(t, Options{})
	keys(t, p, "DND")
	if _, err := p.RingIn("5551001", ""); err == nil {
		t.Fatal("a call rang through DND")
	}
	keys(t, p, "DND")
	callIn(t, p, "5551001")
}

func TestDialHoldMuteAndDTMFByKeys(t *testing.T) {
	p := newPhone(t, Options{})
	keys(t, p, "OFFHOOK;5;5;5;1;ENTER")
	calls := p.Calls()
	if len(calls) != 1 || calls[0].State != StateCalling || calls[0].Number != "5551" || !calls[0].Outbound {
		t.Fatalf("calls %+v", calls)
	}
	id := calls[0].CSTAID
	if err := p.RemoteAnswer(""); err != nil {
		t.Fatal(err)
	}
	keys(t, p, "MUTE;4;2;%23;%2A")
	st := p.State()
	if !st.Muted || st.Calls[0].DTMF != "42#*" {
		t.Errorf("muted %v dtmf %q", st.Muted, st.Calls[0].DTMF)
	}
	mustGet(t, p, "/command.htm?key_dtmf=99")
	if d := p.Calls()[0].DTMF; d != "42#*99" {
		t.Errorf("dtmf after key_dtmf: %q", d)
	}
	keys(t, p, "F_HOLD")
	wantStates(t, p, id+":held")
	if p.State().Muted {
		t.Error("mute survived the last connected call")
	}
	keys(t, p, "F_HOLD")
	wantStates(t, p, id+":connected")
	keys(t, p, "ONHOOK;REDIAL")
	if c := p.Calls(); len(c) != 1 || c[0].Number != "5551" {
		t.Errorf("REDIAL: %+v", c)
	}
}

// TestAttendedTransferAsDocumented follows the document: F_HOLD holds A,
// the digits of C, ENTER calls C, TRANSFER transfers.
func TestAttendedTransferAsDocumented(t *testing.T) {
	p := newPhone(t, Options{})
	a := callIn(t, p, "5551001")
	keys(t, p, "ENTER")
	keys(t, p, "F_HOLD")
	keys(t, p, "2")
	keys(t, p, "0")
	keys(t, p, "0")
	keys(t, p, "2")
	keys(t, p, "ENTER")
	c := p.State().Active
	wantStates(t, p, a+":held", c+":calling")
	if err := p.RemoteAnswer(c); err != nil {
		t.Fatal(err)
	}
	keys(t, p, "TRANSFER")
	wantStates(t, p)
	want := []Transfer{{Kind: "attended", CSTAID: a, To: "sip:2002@pbx.example.com"}}
	if got := p.State().Transfers; !reflect.DeepEqual(got, want) {
		t.Errorf("transfers %+v, want %+v", got, want)
	}
}

func TestCallJoinOnXferShowsTheHoldList(t *testing.T) {
	p := newPhone(t, Options{CallJoinOnXfer: true})
	a := callIn(t, p, "5551001")
	keys(t, p, "ENTER;F_HOLD;2;0;0;2;ENTER")
	keys(t, p, "TRANSFER")
	if d := p.Display(); d.Title != "Calls on Hold" || !reflect.DeepEqual(d.Items, []string{"5551001"}) {
		t.Fatalf("display %+v", d)
	}
	if len(p.Calls()) != 2 {
		t.Fatal("TRANSFER transferred although Call Join on Xfer is on")
	}
	keys(t, p, "ENTER")
	wantStates(t, p)
	if tr := p.State().Transfers; len(tr) != 1 || tr[0].CSTAID != a {
		t.Errorf("transfers %+v", tr)
	}
}

func TestBlindTransferByKeys(t *testing.T) {
	for _, finish := range []string{"TRANSFER", "ENTER", "%23"} {
		p := newPhone(t, Options{})
		a := callIn(t, p, "5551001")
		keys(t, p, "ENTER;TRANSFER;3;0;3")
		if st := p.State(); !st.TransferPending || st.Transfer != "303" {
			t.Fatalf("pending %v target %q", st.TransferPending, st.Transfer)
		}
		keys(t, p, finish)
		wantStates(t, p)
		want := []Transfer{{Kind: "blind", CSTAID: a, To: "303"}}
		if got := p.State().Transfers; !reflect.DeepEqual(got, want) {
			t.Errorf("finish %s: transfers %+v", finish, got)
		}
	}
}

func TestRemoteDialling(t *testing.T) {
	p := newPhone(t, Options{Identities: []Identity{{User: "1001", Host: "a.example"}, {User: "2001", Host: "b.example"}}})
	mustGet(t, p, "/command.htm?number=5551234")
	if err := p.RemoteAnswer(""); err != nil {
		t.Fatal(err)
	}
	mustGet(t, p, "/command.htm?number=5559876&outgoing_uri=2001@b.example")
	c := p.Calls()
	if len(c) != 2 || c[0].Identity != 1 || c[1].Identity != 2 || c[0].State != StateHeld || c[1].State != StateCalling {
		t.Fatalf("calls %+v", c)
	}
	if c[1].Remote != "sip:5559876@b.example" {
		t.Errorf("remote %q", c[1].Remote)
	}
	for _, uri := range []string{"/command.htm?number=", "/command.htm?number=1&outgoing_uri=9@nowhere"} {
		if code, _ := get(t, p, uri); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", uri, code)
		}
	}
	mustGet(t, p, "/command.htm?RELEASE_ALL_CALLS")
	wantStates(t, p)
	if d := p.State().Dialed; !reflect.DeepEqual(d, []string{"5551234", "5559876"}) {
		t.Errorf("dialed %q", d)
	}
}

func TestOtherCommands(t *testing.T) {
	p := newPhone(t, Options{Identities: []Identity{{User: "1001", Host: "a"}, {User: "1002", Host: "a"}}})
	mustGet(t, p, "/dummy.htm?REREGISTER=1")
	mustGet(t, p, "/command.htm?REREGISTER=2")
	mustGet(t, p, "/line_login.htm?PLAY_RINGER:9=+Ringer")
	for _, uri := range []string{"/dummy.htm?REREGISTER=13", "/command.htm?LOGOFFLINE=0", "/line_login.htm?PLAY_RINGER:10=+Ringer"} {
		if code, _ := get(t, p, uri); code != 400 {
			t.Errorf("%s: %d, want 400", uri, code)
		}
	}
	st := p.State()
	if st.Reregistered[1] != 1 || st.Reregistered[2] != 1 || !reflect.DeepEqual(st.Ringers, []int{9}) {
		t.Errorf("reregistered %v ringers %v", st.Reregistered, st.Ringers)
	}
	mustGet(t, p, "/command.htm?LOGOFFLINE=2")
	if s := p.Settings(); s["user_name2"] != "" || s["user_name1"] != "1001" {
		t.Errorf("after LOGOFFLINE=2: %q %q", s["user_name1"], s["user_name2"])
	}
	mustGet(t, p, "/command.htm?LOGOFFALL")
	if _, err := p.RingIn("1", ""); err == nil {
		t.Error("a call rang on a logged-off identity")
	}
	mustGet(t, p, "/advanced_update.htm?reset=Reset")
	if s := p.Settings(); s["user_name2"] != "1002" || p.State().Resets != 1 {
		t.Errorf("reset did not restore the identities: %q", s["user_name2"])
	}
}

func TestCallListsAndReboot(t *testing.T) {
	p := newPhone(t, Options{})
	mustGet(t, p, "/command.htm?number=100")
	callIn(t, p, "200")
	p.RemoteHangup("")
	keys(t, p, "DND")
	if st := p.State(); len(st.Dialed) != 1 || len(st.Missed) != 1 {
		t.Fatalf("lists %q %q", st.Dialed, st.Missed)
	}
	mustGet(t, p, "/advanced_update.htm?reboot=Reboot")
	st := p.State()
	if len(st.Calls) != 0 || st.Reboots != 1 || !st.DND || len(st.Dialed) != 1 {
		t.Errorf("after reboot: %+v", st)
	}
	mustGet(t, p, "/index.htm?dialeddel=clear")
	mustGet(t, p, "/index.htm?misseddel=0")
	if st := p.State(); len(st.Dialed) != 0 || len(st.Missed) != 0 {
		t.Errorf("lists not cleared: %q %q", st.Dialed, st.Missed)
	}
	// The id count starts again after a reboot.
	keys(t, p, "DND")
	if id := callIn(t, p, "300"); id != "-1" {
		t.Errorf("first call after reboot has csta id %s, want -1", id)
	}
}

func TestUnknownPagesAre404(t *testing.T) {
	p := newPhone(t, Options{})
	if code, _ := get(t, p, "/nope.htm"); code != 404 {
		t.Errorf("unknown page: %d", code)
	}
}

func TestEnterAnswersAWaitingCall(t *testing.T) {
	p := newPhone(t, Options{})
	a := callIn(t, p, "5551001")
	keys(t, p, "ENTER")
	b := callIn(t, p, "5551002")
	keys(t, p, "ENTER")
	wantStates(t, p, a+":held", b+":connected")
}
