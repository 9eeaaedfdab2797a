package gssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

func TestNewValidatesOptions(t *testing.T) {
	bad := []Options{
		{},
		{Model: "HT802"},
		{Model: "GXP2135", RemoteNumberKey: "remote_number"},
		{Model: "GXP2135", Lines: 33},
		{Model: "DP750", PairedHandsets: 6},
		{Model: "DP750", AutoAnswerAfter: -time.Second},
	}
	for _, o := range bad {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	p := newPhone(t, Options{Model: "gxp1628"})
	if p.Model() != "GXP1628" || p.Family() != gsapi.FamilyGXP || len(p.Lines(0)) != 8 {
		t.Errorf("model %q family %v lines %d", p.Model(), p.Family(), len(p.Lines(0)))
	}
	d := newPhone(t, Options{Model: "DP750"})
	if len(d.Lines(1)) != 10 || d.Lines(0) != nil || d.Lines(6) != nil {
		t.Errorf("DP lines: hs1 %d, hs0 %v, hs6 %v", len(d.Lines(1)), d.Lines(0), d.Lines(6))
	}
}

func TestPasscodeIsRequired(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135", Passcode: "s3cr3t-pass"})
	for _, uri := range []string{
		"/cgi-bin/api-get_line_status",
		"/cgi-bin/api-get_line_status?passcode=admin",
		"/cgi-bin/api-get_line_status?passcode=s3cr3t-pas",
	} {
		code, body := do(t, p, uri)
		if code != http.StatusUnauthorized || body != answerUnauthorized {
			t.Errorf("GET %s = %d %s, want 401 %s", uri, code, body, answerUnauthorized)
		}
	}
	if code, _ := do(t, p, "/cgi-bin/api-get_line_status?passcode=s3cr3t-pass"); code != 200 {
		t.Errorf("right passcode: http %d", code)
	}
	c := serve(t, p, "wrong", 0)
	if _, err := c.LineStatus(bg); !errors.Is(err, gsapi.ErrAuth) {
		t.Errorf("client with a wrong passcode: err = %v, want ErrAuth", err)
	}
}

func TestOtherFamilyAndUnknownPathsAre404(t *testing.T) {
	gxp := newPhone(t, Options{Model: "GXP2135"})
	dp := newPhone(t, Options{Model: "DP750"})
	for p, uris := range map[*Phone][]string{
		gxp: {"/cgi-bin/api-make_call?passcode=admin&hs=1&phonenumber=1", "/cgi-bin/api-get_hs_status?passcode=admin&hs=1", "/cgi-bin/api-nope", "/index.html"},
		dp:  {"/cgi-bin/api-get_line_status?passcode=admin", "/cgi-bin/api-phone_operation?passcode=admin&cmd=endcall", "/"},
	} {
		for _, uri := range uris {
			if code, _ := do(t, p, uri); code != http.StatusNotFound {
				t.Errorf("%s GET %s = %d, want 404", p.Model(), uri, code)
			}
		}
	}
	rec := httptest.NewRecorder()
	gxp.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cgi-bin/api-get_line_status?passcode=admin", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", rec.Code)
	}
}

func TestRequestsAreRecordedExactly(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135", Passcode: "p@ss"})
	c := serve(t, p, "p@ss", 0)
	must(t, c.SendKeys(bg, 0, []string{"1", "#"}))
	_, _ = c.PhoneStatus(bg)
	do(t, p, "/sim/state")
	want := []string{
		"/cgi-bin/api-send_key?passcode=p%40ss&keys=1:%23",
		"/cgi-bin/api-get_phone_status?passcode=p%40ss",
	}
	if got := p.Requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("Requests = %q, want %q", got, want)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault Fault
		want  error
	}{
		{FaultWrongPasscode, gsapi.ErrAuth},
		{FaultHTTP500, gsapi.ErrBadResponse},
		{FaultGarbage, gsapi.ErrBadResponse},
		{FaultHTML, gsapi.ErrBadResponse},
		{FaultDrop, gsapi.ErrUnreachable},
		{FaultSlow, gsapi.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			p := newPhone(t, Options{Model: "GXP2135", SlowDelay: time.Minute})
			c := serve(t, p, "admin", 300*time.Millisecond)
			p.SetFault(tt.fault)
			_, err := c.LineStatus(bg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if p.State().Fault != tt.fault {
				t.Errorf("State().Fault = %v", p.State().Fault)
			}
			p.SetFault(FaultNone)
			if _, err := c.LineStatus(bg); err != nil {
				t.Errorf("after FaultNone: %v", err)
			}
		})
	}
	t.Run("slow answers after the delay", func(t *testing.T) {
		p := newPhone(t, Options{Model: "DP750", SlowDelay: 30 * time.Millisecond})
		c := serve(t, p, "admin", 5*time.Second)
		p.SetFault(FaultSlow)
		start := time.Now()
		if _, err := c.HandsetStatus(bg, 1); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered after %v, want >= 30ms", d)
		}
	})
	t.Run("slow gives up when the request is cancelled", func(t *testing.T) {
		p := newPhone(t, Options{Model: "GXP2135", SlowDelay: time.Hour})
		p.SetFault(FaultSlow)
		ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
		defer cancel()
		req := httptest.NewRequest(http.MethodGet, "/cgi-bin/api-get_line_status?passcode=admin", nil).WithContext(ctx)
		done := make(chan struct{})
		go func() { p.ServeHTTP(httptest.NewRecorder(), req); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the slow handler ignored the cancelled request")
		}
	})
	t.Run("html is a login page", func(t *testing.T) {
		p := newPhone(t, Options{Model: "GXP2135"})
		p.SetFault(FaultHTML)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cgi-bin/api-get_line_status?passcode=admin", nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html" || !strings.Contains(rec.Body.String(), "<form") {
			t.Errorf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	})
}

func TestFaultNames(t *testing.T) {
	for f := FaultNone; f <= FaultDrop; f++ {
		got, err := ParseFault(strings.ToUpper(f.String()))
		if err != nil || got != f {
			t.Errorf("ParseFault(%q) = %v, %v", f.String(), got, err)
		}
		b, err := json.Marshal(f)
		var back Fault
		if err != nil || json.Unmarshal(b, &back) != nil || back != f {
			t.Errorf("json round trip of %v: %s %v", f, b, err)
		}
	}
	if _, err := ParseFault("flaky"); err == nil {
		t.Error("ParseFault(flaky) succeeded")
	}
	if Fault(42).String() != "Fault(42)" {
		t.Error(Fault(42).String())
	}
	if _, err := json.Marshal(Fault(42)); err == nil {
		t.Error("marshalled an invalid fault")
	}
}

func TestSimControlsOverHTTP(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135", Passcode: "s3cr3t"})
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	call := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	steps := []struct {
		method, path string
		code         int
		body         string
	}{
		{"POST", "/sim/ring?number=5551001&name=Ada+L", 200, `{"line":1}`},
		{"POST", "/sim/ring?number=5551002", 200, `{"line":2}`},
		{"POST", "/sim/hangup?line=2", 200, `{"ok":true}`},
		{"POST", "/sim/hangup?line=2", 409, ""},
		{"POST", "/sim/answer?line=1", 409, ""}, // ringing inbound, not calling
		{"POST", "/sim/answer?line=x", 400, ""},
		{"POST", "/sim/fault?mode=garbage", 200, `{"ok":true}`},
		{"POST", "/sim/fault?mode=flaky", 400, ""},
		{"GET", "/sim/ring?number=1", 405, ""},
		{"POST", "/sim/state", 405, ""},
		{"POST", "/sim/reboot", 404, ""},
	}
	for _, s := range steps {
		code, body := call(s.method, s.path)
		if code != s.code || (s.body != "" && body != s.body) {
			t.Errorf("%s %s = %d %s, want %d %s", s.method, s.path, code, body, s.code, s.body)
		}
		if code >= 400 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s %s: error answer without an error field: %s", s.method, s.path, body)
		}
	}
	code, body := call("GET", "/sim/state")
	var st State
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("state: %d %v %s", code, err, body)
	}
	if st.Fault != FaultGarbage || st.Model != "GXP2135" || st.Family != "GXP" ||
		st.Lines[0][0].State != StateRinging || st.Lines[0][0].RemoteName != "Ada L" || !st.Lines[0][0].Active {
		t.Errorf("state = %+v", st)
	}
	code, body = call("GET", "/cgi-bin/api-send_key?passcode=s3cr3t&keys=1:0:0:0:SEND")
	if code != 200 || body != garbageAnswer {
		t.Errorf("faulted cgi answered %d %q", code, body)
	}
	p.SetFault(FaultNone)
	code, body = call("GET", "/cgi-bin/api-phone_operation?passcode=s3cr3t&cmd=endcall")
	if code != 200 || body != answerFalse {
		t.Errorf("endcall on a ringing line = %d %s", code, body)
	}
	code, body = call("GET", "/sim/requests")
	var reqs []string
	if err := json.Unmarshal([]byte(body), &reqs); err != nil || code != 200 || len(reqs) != 2 {
		t.Errorf("requests = %d %s", code, body)
	}

	// answering an outbound call over HTTP
	d := newPhone(t, Options{Model: "DP750"})
	mustDo(t, d, "/cgi-bin/api-make_call?passcode=admin&hs=1&phonenumber=3501", answerSpacedTrue)
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sim/answer?line=1", nil))
	if rec.Code != 200 {
		t.Fatalf("answer: %d %s", rec.Code, rec.Body)
	}
	wantLine(t, d, 1, 1, StateConnected, true)
}

func TestPhoneIsSafeForConcurrentUse(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135", AutoAnswerAfter: time.Millisecond})
	c := serve(t, p, "admin", 5*time.Second)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 25 {
				switch (i + j) % 6 {
				case 0:
					_, _ = p.RingIn(fmt.Sprint(i), "")
				case 1:
					_ = c.PhoneOperation(bg, "acceptcall")
				case 2:
					_ = c.SendKeys(bg, 0, []string{"1", "SEND"})
				case 3:
					_, _ = c.LineStatus(bg)
				case 4:
					_ = p.RemoteHangup(1 + j%8)
				default:
					_ = p.State()
					_ = p.Requests()
				}
			}
		})
	}
	wg.Wait()
	checkInvariants(t, p, 0, -1)
}

func TestRunCallers(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135"})
	if err := p.RunCallers(bg, Callers{}); err == nil {
		t.Error("RunCallers without Every succeeded")
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() {
		done <- p.RunCallers(ctx, Callers{Every: 20 * time.Millisecond, Talk: 40 * time.Millisecond, Patience: time.Hour})
	}()
	eventually(t, "a caller", func() bool { return p.Lines(0)[0].State == StateRinging })
	time.Sleep(60 * time.Millisecond) // three more ticks: callers wait while one rings
	if s, _ := states(p, 0); s[1] != StateIdle {
		t.Errorf("a second caller rang while the first was ringing: %q", s)
	}
	mustDo(t, p, "/cgi-bin/api-send_key?passcode=admin&keys=LINE1", answerComplete)
	wantLine(t, p, 0, 1, StateConnected, true)
	eventually(t, "the caller to hang up", func() bool { return p.Lines(0)[0].State != StateConnected })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunCallers = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunCallers did not return after cancel")
	}

}

func TestCallerHangsUpOrGivesUp(t *testing.T) {
	p := newPhone(t, Options{Model: "DP750"})
	follow := func(talk, patience time.Duration, phone func()) {
		t.Helper()
		ref, err := p.ringIn("5551001", "Ada")
		must(t, err)
		phone()
		done := make(chan struct{})
		go func() { p.followCaller(bg, ref, talk, patience); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the caller never left")
		}
		wantLine(t, p, 1, ref.line, StateIdle, true)
	}
	follow(time.Hour, 20*time.Millisecond, func() {}) // unanswered: gives up
	follow(20*time.Millisecond, time.Hour, func() {   // answered: hangs up after talking
		mustDo(t, p, "/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=acceptcall", answerTrue)
	})
	follow(time.Hour, time.Hour, func() { // the phone rejected it: nothing to do
		mustDo(t, p, "/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=rejectcall", answerTrue)
	})
}

func TestPollsRecordLineStatusRequestsOnly(t *testing.T) {
	for _, tc := range []struct{ model, poll string }{
		{"GXP2135", "/cgi-bin/api-get_line_status?passcode=admin"},
		{"DP750", "/cgi-bin/api-get_hs_line_status?passcode=admin&hs=1"},
	} {
		p := newPhone(t, Options{Model: tc.model})
		before := time.Now()
		for range maxPolls + 5 {
			do(t, p, tc.poll)
		}
		do(t, p, "/cgi-bin/api-sys_operation?passcode=admin&request=REBOOT") // not a poll
		do(t, p, "/sim/state")
		polls := p.Polls()
		if len(polls) < maxPolls/2 || len(polls) > maxPolls {
			t.Errorf("%s: %d polls logged, want %d..%d", tc.model, len(polls), maxPolls/2, maxPolls)
		}
		for i, at := range polls {
			if at.Before(before) || (i > 0 && at.Before(polls[i-1])) {
				t.Errorf("%s: poll %d at %v: before the first request or out of order", tc.model, i, at)
			}
		}
		code, body := do(t, p, "/sim/polls")
		var got []time.Time
		if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK || len(got) != len(polls) {
			t.Errorf("%s: GET /sim/polls = %d %s (%v), want %d times", tc.model, code, body, err, len(polls))
		}
	}
}
