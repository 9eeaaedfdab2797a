package snomsim

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// allActions configures every action URL to call rc with the event name
// and the usual variables.
func allActions(rc *receiver) map[string]string {
	s := map[string]string{}
	for _, a := range ActionSettings {
		s[a] = rc.srv.URL + "/" + a + "?id=$csta_id&cid=$call-id&remote=$remote&local=$local&name=$display_remote&user=$active_user&host=$active_host&ip=$phone_ip&mac=$mac&n=$nr_ongoing_calls"
	}
	return s
}

// events returns the path (the event) of each request.
func events(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		path, _, _ := strings.Cut(r, "?")
		out = append(out, strings.TrimPrefix(path, "/"))
	}
	return out
}

func TestActionURLsFireInOrderWithVariables(t *testing.T) {
	rc := newReceiver(t)
	p := newPhone(t, Options{PhoneIP: "192.0.2.10", Settings: allActions(rc)})
	call, err := p.RingIn("5551001", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	id := call.CSTAID
	mustCSTA(t, p, answerReq(answerNew, id))
	keys(t, p, "F_HOLD;F_HOLD")
	if err := p.RemoteHangup(id); err != nil {
		t.Fatal(err)
	}
	got := rc.waitFor(t, 6)
	want := []string{ActionIncoming, ActionOffhook, ActionConnected, ActionHold, ActionUnhold, ActionDisconnected}
	flush(t, p)
	if ev := events(rc.requests()); !reflect.DeepEqual(ev, append(want, ActionOnhook)) {
		t.Fatalf("events %q, want %q", ev, append(want, ActionOnhook))
	}
	wantIncoming := "/action_incoming_url?id=" + id + "&cid=" + call.SIPCallID +
		"&remote=sip:5551001@pbx.example.com&local=sip:1001@pbx.example.com&name=Ada&user=1001&host=pbx.example.com&ip=192.0.2.10&mac=000413A1B2C3&n=1"
	if got[0] != wantIncoming {
		t.Errorf("incoming\n%s\nwant\n%s", got[0], wantIncoming)
	}
	if !strings.Contains(got[1], "/action_offhook_url?id=&cid=&remote=&local=&name=&user=1001") {
		t.Errorf("offhook has call variables: %s", got[1])
	}
	if !strings.Contains(got[5], "id="+id+"&") || !strings.HasSuffix(got[5], "&n=0") {
		t.Errorf("disconnected %s", got[5])
	}
	for _, cb := range p.Callbacks() {
		if cb.Outcome != "sent" || cb.Status != 200 {
			t.Errorf("callback %+v", cb)
		}
	}
}

func TestMissedAndTransferCallbacks(t *testing.T) {
	rc := newReceiver(t)
	p := newPhone(t, Options{Settings: allActions(rc)})
	missed := callIn(t, p, "5551001")
	p.RemoteHangup(missed)
	a := callIn(t, p, "5551002")
	keys(t, p, "ENTER;TRANSFER;3;0;3;TRANSFER")
	flush(t, p)
	want := []string{ActionIncoming, ActionMissed,
		ActionIncoming, ActionOffhook, ActionConnected, ActionTransfer, ActionBlindTransfer, ActionDisconnected, ActionOnhook}
	if ev := events(rc.requests()); !reflect.DeepEqual(ev, want) {
		t.Fatalf("events %q, want %q", ev, want)
	}
	for _, cb := range p.Callbacks()[5:8] {
		if cb.CSTAID != a {
			t.Errorf("%s has csta id %s, want %s", cb.Event, cb.CSTAID, a)
		}
	}
}

func TestTextualSubstitution(t *testing.T) {
	p := newPhone(t, Options{Identities: []Identity{{User: "1001", RealName: "Ada Lovelace", Host: "pbx"}}})
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.newCall(false, 1, "5551001", "Grace Hopper")
	vars := p.variables(c)
	for tmpl, want := range map[string]string{
		"http://h/$mac&/settings.xml":       "http://h/000413A1B2C3&/settings.xml",
		"http://h/?a=$user_name1&b=$remote": "http://h/?a=1001&b=sip:5551001@pbx",
		"http://h/?n=$display_remote":       "http://h/?n=Grace Hopper",
		"http://h/?l=$display_local":        "http://h/?l=Ada Lovelace",
		"http://h/?x=$remotes&y=$nope":      "http://h/?x=$remotes&y=$nope",
		"http://h/?p=$http_pass&c=$call-id": "http://h/?p=$http_pass&c=" + c.sipID,
		"http://h/#id=$csta_id":             "http://h/#id=-1",
		"$":                                 "$",
	} {
		if got := p.substitute(tmpl, vars); got != want {
			t.Errorf("substitute(%q) = %q, want %q", tmpl, got, want)
		}
	}
	p.settings["user_pass1"] = "secret" // not a CSTA setting; private settings become empty
	if got := p.substitute("x=$user_pass1", vars); got != "x=" {
		t.Errorf("private setting: %q", got)
	}
}

func TestSpacesAreEscapedOnTheWire(t *testing.T) {
	rc := newReceiver(t)
	p := newPhone(t, Options{Settings: map[string]string{ActionIncoming: rc.srv.URL + "/in?name=$display_remote"}})
	callIn(t, p, "1")
	if got := rc.waitFor(t, 1)[0]; got != "/in?name=Caller%201" {
		t.Errorf("sent %s", got)
	}
	if cb := p.Callbacks()[0]; cb.URL != rc.srv.URL+"/in?name=Caller 1" {
		t.Errorf("logged %q", cb.URL)
	}
}

func TestFireTest(t *testing.T) {
	rc := newReceiver(t)
	p := newPhone(t, Options{})
	mustCSTA(t, p, `<csta:FireTest></csta:FireTest>`) // nothing set: nothing fired
	mustCSTA(t, p, `<csta:SetSettings><csta:Setting><csta:name>action_fwtest_url</csta:name><csta:value>`+rc.srv.URL+`/fw?mac=$mac</csta:value></csta:Setting></csta:SetSettings>`)
	body := mustCSTA(t, p, `<csta:FireTest></csta:FireTest>`)
	if !strings.Contains(body, "<FireTestResponse") {
		t.Errorf("answer %s", body)
	}
	if got := rc.waitFor(t, 1); len(got) != 1 || got[0] != "/fw?mac=000413A1B2C3" {
		t.Errorf("fired %q", got)
	}
}

func TestCallbackFaults(t *testing.T) {
	rc := newReceiver(t)
	p := newPhone(t, Options{Settings: map[string]string{ActionIncoming: rc.srv.URL + "/in?id=$csta_id"}})
	p.SetFault(FaultCallbacksDropped)
	callIn(t, p, "1")
	p.SetFault(FaultCallbacksUnreachable)
	callIn(t, p, "2")
	p.SetFault(FaultNone)
	id := callIn(t, p, "3")
	if got := rc.waitFor(t, 1); got[0] != "/in?id="+id {
		t.Errorf("sent %q", got)
	}
	flush(t, p)
	var outcomes []string
	for _, cb := range p.Callbacks() {
		outcomes = append(outcomes, cb.Outcome)
	}
	if want := []string{"dropped", "unreachable", "sent"}; !reflect.DeepEqual(outcomes, want) || len(rc.requests()) != 1 {
		t.Errorf("outcomes %q (received %d), want %q", outcomes, len(rc.requests()), want)
	}
}

func TestSlowReceiverTimesOutAndKeepsOrder(t *testing.T) {
	rc := newReceiver(t)
	rc.block = make(chan struct{})
	defer close(rc.block)
	p := newPhone(t, Options{CallbackTimeout: 50 * time.Millisecond, Settings: map[string]string{ActionIncoming: rc.srv.URL + "/in?id=$csta_id"}})
	callIn(t, p, "1")
	callIn(t, p, "2")
	flush(t, p)
	cbs := p.Callbacks()
	if len(cbs) != 2 || cbs[0].Outcome != "failed" || cbs[1].Outcome != "failed" {
		t.Fatalf("callbacks %+v", cbs)
	}
	if got := rc.requests(); !reflect.DeepEqual(got, []string{"/in?id=-1", "/in?id=-2"}) {
		t.Errorf("received %q", got)
	}
}

func TestUnreachableReceiverFails(t *testing.T) {
	rc := newReceiver(t)
	url := rc.srv.URL
	rc.srv.Close()
	p := newPhone(t, Options{Settings: map[string]string{ActionIncoming: url + "/in"}})
	callIn(t, p, "1")
	flush(t, p)
	if cb := p.Callbacks()[0]; cb.Outcome != "failed" || cb.Err == "" {
		t.Errorf("callback %+v", cb)
	}
}

func TestCloseStopsCallbacks(t *testing.T) {
	rc := newReceiver(t)
	p, err := New(Options{Model: "D385", Settings: map[string]string{ActionIncoming: rc.srv.URL + "/in"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if _, err := p.RingIn("1", ""); err != nil {
		t.Fatal(err)
	}
	if len(p.Callbacks()) != 0 {
		t.Error("a closed phone queued a callback")
	}
	if code, _ := get(t, p, "/index.htm"); code != http.StatusOK {
		t.Error("a closed phone stopped answering")
	}
}
