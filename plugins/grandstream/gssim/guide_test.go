package gssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Example answers of the CTI Guide, verbatim.
const (
	guideGeneralLines = `{ "response": "success", "body": [{ "line": 1, "state": "idle", "acct": "", "remotename": "", "remotenum": "", "active": 0 }, { "line": 2, "state": "idle", "acct": "", "remotename": "", "remotenum": "", "active": 0 }, { "line": 3, "state": "idle", "acct": "", "remotename": "", "remotenum": "", "active": 0 }] }`
	guideLinesCurly   = `{“response”:“success”, “body”: [{“line”: 1, “state”:“connected”, “acct”: “”, “remotename”: “”, “remotenumner”: “”, “active”: 1}, {“line”: 2, “state”: “idle”, “acct”: “”, “remotename”: “”, “remotenumner”: “”, “active”: 0}, {“line”:3, “state”: “idle”, “acct”: “”, “remotename”: “”, “remotenumner”: “”, “active”: 0}]}`
	guideAvailable    = `{"response": "success", "body": "available", "misc": "0"}`
	guideBusy         = `{"response": "success", "body": "busy", "misc": "0"}`
	guideTrue         = `{"response": "success", "body": true}`
	guideFalse        = `{"response": "error", "body": false}`
	guideAccounts     = `{"response": "success", "body": [{"id": 1, "sip_server": "testsipserver.com", "sip_id": "1234", "name": "test_account", "reg": 1}, {"id": 2, "sip_server": "", "sip_id": "", "name": "", "reg": 0}]}`
	guideAcctReg      = `{ "response": "success", "Account1": { "Registered": 1, "Profile": 1, "Active": 1, "HSMode": "HS1" } }`
	guideHSPaired     = `{ "response": "success", "HS1": { "initialized": 1, "subscribed": 1, "status": "idle" } }`
	guideHSNotPaired  = `{ "response": "success", "HS1": { "initialized": 0, "subscribed": 0, "status": "" } }`
	guideHSLines      = `{ "response": "success", "HS1": { "Line1": { "Status": "idle", "Account": 1, "Registered": 1, "Active": 1 }, "Line2": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line3": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line4": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line5": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line6": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line7": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line8": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line9": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line10": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 } } }`
	guideMakeCall     = `{ "response": "success", "body": true }`
	guideKeyComplete  = `{"response": "success", "body": "complete"}`
	guideKeyUnknown   = `{"response": "error", "body": "unknown"}`
	guideSaveReboot   = `{"response": "success", "body": "savereboot"}`
	guideDirectReboot = `{"response": "success", "body": "directreboot"}`
	guideReset        = `{"response": "success", "body": "reset"}`
)

// compact removes the insignificant spaces of a JSON text, after turning
// the guide's typographic quotes into straight ones.
func compact(t *testing.T, s string) string {
	t.Helper()
	s = strings.NewReplacer("“", `"`, "”", `"`).Replace(s)
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not json: %v: %s", err, s)
	}
	return b.String()
}

// ringAndAccept sets up an established call on line 1 of a GXP phone.
func ringAndAccept(t *testing.T, p *Phone) {
	t.Helper()
	if _, err := p.RingIn("5551001", "Ada"); err != nil {
		t.Fatal(err)
	}
	mustDo(t, p, "/cgi-bin/api-phone_operation?passcode=admin&cmd=acceptcall", guideTrue)
}

// dpConnect sets up an established call on line 1 of DP handset 1.
func dpConnect(t *testing.T, p *Phone) {
	t.Helper()
	if _, err := p.RingIn("5551001", "Ada"); err != nil {
		t.Fatal(err)
	}
	mustDo(t, p, "/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=acceptcall", guideTrue)
}

func ring(t *testing.T, p *Phone) {
	t.Helper()
	if _, err := p.RingIn("5551001", "Ada"); err != nil {
		t.Fatal(err)
	}
}

func TestGuideLineStatusExamples(t *testing.T) {
	t.Run("general format", func(t *testing.T) {
		p := newPhone(t, Options{Model: "GXP2135", Lines: 3, RemoteNumberKey: "remotenum"})
		_, body := do(t, p, "http://192.168.5.135/cgi-bin/api-get_line_status?passcode=admin")
		if got, want := compact(t, body), compact(t, guideGeneralLines); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("gxp2135 example with line 1 connected", func(t *testing.T) {
		p := newPhone(t, Options{Model: "GXP2135", Lines: 3})
		if _, err := p.RingIn("", ""); err != nil { // the guide's call shows no remote party
			t.Fatal(err)
		}
		mustDo(t, p, "/cgi-bin/api-phone_operation?passcode=admin&cmd=acceptcall", guideTrue)
		_, body := do(t, p, "http://192.168.5.135/cgi-bin/api-get_line_status?passcode=admin")
		if got, want := compact(t, body), compact(t, guideLinesCurly); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		if !strings.HasPrefix(body, `{"response": "success", "body": [{"line": 1, "state": "connected", "acct": "", `) {
			t.Errorf("formatting differs from the guide's: %s", body)
		}
	})
}

func TestGuideExamplesGXP(t *testing.T) {
	tests := []struct {
		url   string
		setup func(t *testing.T, p *Phone)
		want  string
	}{
		{"http://192.168.5.135/cgi-bin/api-get_phone_status?passcode=admin", nil, guideAvailable},
		{"http://192.168.5.135/cgi-bin/api-get_phone_status?passcode=admin", ring, guideBusy},
		{"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=endcall", ringAndAccept, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=holdcall", ringAndAccept, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=acceptcall", ring, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=rejectcall", ring, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=cancel", ring, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=endcall", nil, guideFalse},
		{"http://192.168.5.143/cgi-bin/api-send_key?passcode=admin&keys=SPEAKER", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=XFER", ringAndAccept, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=XFER", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=VUP", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=VDOWN", nil, guideKeyComplete},
		{"http://192.168.5.143/cgi-bin/api-send_key?passcode=admin&keys=MUTE", ringAndAccept, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=HOLD", ringAndAccept, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=HOLD", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=1:0:0:0", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=LINE1", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=CONF", ringAndAccept, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=CONF", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=VM", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=HEADSET", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=DND", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=SEND", func(t *testing.T, p *Phone) {
			mustDo(t, p, "/cgi-bin/api-send_key?passcode=admin&keys=1:0:0:0", guideKeyComplete)
		}, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=SOFT1", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=MPK1", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=FLASH", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=HASH", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=REBOOT", nil, guideSaveReboot},
		{"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=RESET", nil, guideReset},
		{"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=SHUTDOWN", nil, guideKeyUnknown},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.url, "http://"), func(t *testing.T) {
			p := newPhone(t, Options{Model: "GXP2135"})
			if tt.setup != nil {
				tt.setup(t, p)
			}
			mustDo(t, p, tt.url, tt.want)
		})
	}
	t.Run("accounts", func(t *testing.T) {
		p := newPhone(t, Options{Model: "GXP2135", Account: "1234", AccountName: "test_account", SIPServer: "testsipserver.com"})
		mustDo(t, p, "http://192.168.5.135/cgi-bin/api-get_accounts?passcode=admin", guideAccounts)
	})
}

func TestGuideExamplesDP(t *testing.T) {
	held := func(t *testing.T, p *Phone) {
		dpConnect(t, p)
		mustDo(t, p, "/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=holdcall", guideTrue)
	}
	tests := []struct {
		url   string
		setup func(t *testing.T, p *Phone)
		want  string
	}{
		{"http://192.168.5.135/cgi-bin/api-get_account_status?passcode=admin&account=1", nil, guideAcctReg},
		{"http://192.168.5.135/cgi-bin/api-get_account_status?passcode=admin&account=2", nil,
			`{ "response": "success", "Account2": { "Registered": 0, "Profile": 1, "Active": 0, "HSMode": "HS1" } }`},
		{"http://192.168.5.135/cgi-bin/api-get_hs_status?passcode=admin&hs=1", nil, guideHSPaired},
		{"http://192.168.5.135/cgi-bin/api-get_hs_status?passcode=admin&hs=2", nil, strings.ReplaceAll(guideHSNotPaired, "HS1", "HS2")},
		{"http://192.168.5.135/cgi-bin/api-get_hs_line_status?passcode=admin&hs=1", nil, guideHSLines},
		{"http://192.168.5.135/cgi-bin/api-make_call?passcode=admin&hs=1&phonenumber=3501", nil, guideMakeCall},
		{"http://192.168.5.135/cgi-bin/api-device_operation? passcode=admin&hs=1&line=1&cmd=endcall", dpConnect, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation? passcode=admin&hs=1&line=1&cmd=holdcall", dpConnect, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=unholdcall", held, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=acceptcall", ring, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=rejectcall", ring, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=cancel", ring, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=unholdcall", dpConnect, guideFalse},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=mute", dpConnect, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=mute", nil, guideFalse},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=speaker", nil, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=setdnd", nil, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=unsetdnd", nil, guideTrue},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=SPEAKER", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=MUTE", dpConnect, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=1:0:0:0:HASH", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=1:0:0:0:%23", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=LEFT_SOFT_KEY", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=RIGHT_SOFT_KEY", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=STAR", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=ONHOOK", ring, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=OFFHOOK", ring, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=OK", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=LOCK", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=UNLOCK", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=UP", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=DOWN", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=LEFT", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=RIGHT", nil, guideKeyComplete},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=XFER", dpConnect, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=2&keys=OK", nil, guideKeyUnknown},
		{"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=REBOOT", nil, guideDirectReboot},
		{"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=RESET", nil, guideReset},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.url, "http://"), func(t *testing.T) {
			p := newPhone(t, Options{Model: "DP750"})
			if tt.setup != nil {
				tt.setup(t, p)
			}
			mustDo(t, p, tt.url, tt.want)
		})
	}
	t.Run("dp720 reboots with savereboot", func(t *testing.T) {
		p := newPhone(t, Options{Model: "DP720"})
		mustDo(t, p, "/cgi-bin/api-sys_operation?passcode=admin&request=REBOOT", guideSaveReboot)
	})
}

func TestAnswersAreJSONWithContentType(t *testing.T) {
	p := newPhone(t, Options{Model: "GXP2135"})
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cgi-bin/api-get_line_status?passcode=admin", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type %q, want application/json", ct)
	}
	var v struct{ Body []map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || len(v.Body) != 8 {
		t.Fatalf("GXP2135 should list 8 lines: %v %s", err, rec.Body)
	}
}
