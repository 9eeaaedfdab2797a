package snomsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewValidatesOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{Model: "D865"}, // D8xx: no HTTP remote control
		{Model: "D120"}, // not a D3xx/D7xx
		{Model: "D395"}, // unknown model without PKeys
		{Model: "D735", ExpansionKeys: 10},
		{Model: "D385", Firmware: "ten"},
		{Model: "D385", MAC: "nope"},
		{Model: "D385", Settings: map[string]string{"mac": "x"}},
		{Model: "D385", Settings: map[string]string{"http_pass": "x"}},
		{Model: "D385", Identities: make([]Identity, 13)},
		{Model: "D385", AutoAnswerAfter: -time.Second},
	} {
		if p, err := New(o); err == nil {
			p.Close()
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	p := newPhone(t, Options{Model: "snomd395", PKeys: 12})
	if p.Model() != "D395" || p.Profile().PKeys != 12 {
		t.Errorf("model %s pkeys %d", p.Model(), p.Profile().PKeys)
	}
	for model, want := range map[string]int{"D385": 48, "D715": 5, "D735": 32, "D785": 48} {
		if got := newPhone(t, Options{Model: model}).Profile().PKeys; got != want {
			t.Errorf("%s: %d P keys, want %d", model, got, want)
		}
	}
}

func TestProfiles(t *testing.T) {
	for _, tc := range []struct {
		opts        Options
		legacy, idx bool
	}{
		{Options{Firmware: "8.4.35"}, true, false},
		{Options{Firmware: "8.7.3.25"}, false, false},
		{Options{Firmware: "8.7.4.8"}, false, true},
		{Options{Firmware: "10.1.54.13", CSTALegacyControl: true}, true, true},
	} {
		pr := newPhone(t, tc.opts).Profile()
		if pr.LegacyConnectionID != tc.legacy || pr.DeviceIndex != tc.idx {
			t.Errorf("%s legacy-control=%v: %+v", tc.opts.Firmware, tc.opts.CSTALegacyControl, pr)
		}
	}
	if v, _ := ParseVersion("8.7.3"); !v.Less(Version{8, 7, 3, 1}) || v.Less(Version{8, 7, 3}) {
		t.Error("version order")
	}
}

func TestSlowFault(t *testing.T) {
	p := newPhone(t, Options{SlowDelay: time.Hour})
	p.SetFault(FaultSlow)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/command.htm?key=DND", nil).WithContext(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.ServeHTTP(httptest.NewRecorder(), req)
	}()
	eventually(t, "the request to arrive", func() bool { return len(p.Requests()) == 1 })
	cancel()
	<-done
	if p.State().DND {
		t.Error("a cancelled slow request had an effect")
	}
	fast := newPhone(t, Options{SlowDelay: time.Millisecond})
	fast.SetFault(FaultSlow)
	keys(t, fast, "DND")
	if !fast.State().DND {
		t.Error("slow phone did not answer")
	}
}

func TestParseFault(t *testing.T) {
	f, err := ParseFault("slow, callbacks-dropped")
	if err != nil || f != FaultSlow|FaultCallbacksDropped || f.String() != "callbacks-dropped,slow" {
		t.Errorf("ParseFault = %v %v", f, err)
	}
	if f, err := ParseFault("none"); err != nil || f != FaultNone || f.String() != "none" {
		t.Errorf("none = %v %v", f, err)
	}
	if _, err := ParseFault("garbage"); err == nil {
		t.Error("unknown fault accepted")
	}
}

func TestSimControls(t *testing.T) {
	rc := newReceiver(t)
	p := newPhone(t, Options{Settings: map[string]string{ActionIncoming: rc.srv.URL + "/in?id=$csta_id"}})
	code, body := do(t, p, http.MethodPost, "/sim/ring?from=5551001&name=Ada", "")
	var c Call
	if code != 200 || json.Unmarshal([]byte(body), &c) != nil || c.CSTAID != "-1" || c.State != StateRinging {
		t.Fatalf("ring: %d %s", code, body)
	}
	if code, _ := do(t, p, http.MethodPost, "/sim/answer?csta_id=-1", ""); code != 409 {
		t.Errorf("answer an inbound call: %d, want 409", code)
	}
	if code, _ := do(t, p, http.MethodPost, "/sim/fault?mode=csta500", ""); code != 200 || p.State().Fault != FaultCSTA500 {
		t.Errorf("fault: %d", code)
	}
	if code, _ := do(t, p, http.MethodPost, "/sim/fault?mode=bogus", ""); code != 400 {
		t.Errorf("bad fault: %d", code)
	}
	if code, _ := do(t, p, http.MethodPost, "/sim/fail-csta?operation=invalidCallID", ""); code != 200 {
		t.Errorf("fail-csta: %d", code)
	}
	if code, _ := do(t, p, http.MethodPost, "/sim/hangup?csta_id=-1", ""); code != 200 || len(p.Calls()) != 0 {
		t.Errorf("hangup: %d", code)
	}
	for _, path := range []string{"state", "requests", "callbacks", "display", "keys", "settings"} {
		if code, body := get(t, p, "/sim/"+path); code != 200 || !json.Valid([]byte(body)) {
			t.Errorf("GET /sim/%s: %d %s", path, code, body)
		}
	}
	if code, _ := get(t, p, "/sim/nope"); code != 404 {
		t.Errorf("unknown control: %d", code)
	}
	if code, _ := get(t, p, "/sim/ring"); code != 405 {
		t.Errorf("GET /sim/ring: %d", code)
	}
	if len(p.Requests()) != 0 {
		t.Errorf("/sim/ requests were logged: %+v", p.Requests())
	}
	_, body = get(t, p, "/sim/state")
	if !strings.Contains(body, `"fault":"csta500"`) || !strings.Contains(body, `"csta":"http"`) || !strings.Contains(body, `"dialect":"bare"`) {
		t.Errorf("state %s", body)
	}
}

func TestRequestLog(t *testing.T) {
	p := newPhone(t, Options{})
	mustGet(t, p, "/command.htm?key=ENTER;1,100")
	csta(t, p, envelope(`<csta:FireTest/>`))
	reqs := p.Requests()
	if len(reqs) != 2 || reqs[0].URI != "/command.htm?key=ENTER;1,100" || reqs[1].Method != "POST" || !strings.Contains(reqs[1].Body, "FireTest") {
		t.Errorf("requests %+v", reqs)
	}
}

func TestAutoAnswer(t *testing.T) {
	p := newPhone(t, Options{AutoAnswerAfter: time.Millisecond})
	mustGet(t, p, "/command.htm?number=42")
	eventually(t, "the remote to answer", func() bool {
		c := p.Calls()
		return len(c) == 1 && c[0].State == StateConnected
	})
	now := newPhone(t, Options{AnswerAtOnce: true})
	mustGet(t, now, "/command.htm?number=42")
	wantStates(t, now, "1:connected")
}

func TestRunCallers(t *testing.T) {
	p := newPhone(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- p.RunCallers(ctx, Callers{Every: time.Millisecond, Patience: time.Millisecond, Talk: time.Millisecond})
	}()
	eventually(t, "a missed call", func() bool { return len(p.State().Missed) > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := p.RunCallers(context.Background(), Callers{}); err == nil {
		t.Error("callers without an interval accepted")
	}
}
