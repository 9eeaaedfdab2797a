package mirtasim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// simCall POSTs body (or GETs when body is nil) to /sim/path with the
// control token and decodes the answer into out.
func simCall(t *testing.T, srv *httptest.Server, token, path string, body any, out any) int {
	t.Helper()
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		b, _ := json.Marshal(body)
		method, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, srv.URL+"/sim/"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestSimControls(t *testing.T) {
	p, _ := fixture(t)
	srv := httptest.NewServer(p)
	defer srv.Close()
	if code := simCall(t, srv, "", "calls", nil, nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code := simCall(t, srv, "wrong", "calls", nil, nil); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	ok := func(path string, body any, out any) {
		t.Helper()
		if code := simCall(t, srv, ctlToken, path, body, out); code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
	}
	ok("tenant", map[string]any{"code": "THIRD", "key": "third-key", "extensions": []map[string]any{{"number": "301"}}}, nil)
	ok("extension", map[string]any{"tenant": "THIRD", "number": "302", "name": "Zed"}, nil)
	ok("queue", map[string]any{"tenant": "THIRD", "number": "800", "name": "Help", "agents": []map[string]any{{"extension": "302"}}}, nil)
	ok("flow", map[string]any{"tenant": "THIRD", "number": "900"}, nil)
	var peid map[string]string
	ok("contact", map[string]any{"tenant": "THIRD", "phonebook": "Main", "contact": map[string]string{"NAME": "Q", "PHONE1": "0611"}}, &peid)
	if peid["peid"] != "1" {
		t.Errorf("peid %v", peid)
	}
	var ch Channel
	ok("ring", map[string]any{"tenant": "THIRD", "from": "0612345678", "to": "800"}, &ch)
	var ans Channel
	ok("answer", map[string]any{"tenant": "THIRD", "extension": "302"}, &ans)
	if ans.Peer != ch.Name {
		t.Errorf("answer %+v", ans)
	}
	var calls []Call
	ok("calls?tenant=THIRD", nil, &calls)
	if len(calls) != 1 || len(calls[0].Channels) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	ok("fault", map[string]any{"mode": "garbage", "reqtype": "INFO"}, nil)
	_, body, _ := api(t, p, "key", "third-key", "reqtype", "INFO", "info", "queues")
	if body[0] != '<' {
		t.Errorf("fault not applied: %q", body)
	}
	ok("fault", map[string]any{"mode": "none", "reqtype": "INFO"}, nil)
	ok("remote-hangup", map[string]any{"call": calls[0].LinkedID}, nil)
	ok("calls?tenant=THIRD", nil, &calls)
	if len(calls) != 0 {
		t.Errorf("after remote hangup: %+v", calls)
	}
	ok("register", map[string]any{"tenant": "THIRD", "extension": "301", "registered": false}, nil)
	ok("dnd", map[string]any{"tenant": "THIRD", "extension": "302", "on": true}, nil)
	var exts []Extension
	ok("extensions?tenant=THIRD", nil, &exts)
	if len(exts) != 2 || exts[0].Registered || !exts[1].DND {
		t.Errorf("%+v", exts)
	}
	ok("remove", map[string]any{"tenant": "THIRD", "extension": "301"}, nil)
	var reqs []Request
	ok("requests", nil, &reqs)
	if len(reqs) != 1 || reqs[0].Params["key"] != "REDACTED" {
		t.Errorf("%+v", reqs)
	}
	// Errors.
	if code := simCall(t, srv, ctlToken, "answer", map[string]any{"tenant": "THIRD", "extension": "302"}, nil); code != 409 {
		t.Errorf("answer with nothing ringing: %d", code)
	}
	if code := simCall(t, srv, ctlToken, "ring", map[string]any{"tenant": "NOPE", "from": "1", "to": "2"}, nil); code != 404 {
		t.Errorf("unknown tenant: %d", code)
	}
	if code := simCall(t, srv, ctlToken, "fault", map[string]any{"mode": "nope"}, nil); code != 400 {
		t.Errorf("bad fault: %d", code)
	}
	if code := simCall(t, srv, ctlToken, "nope", map[string]any{}, nil); code != 404 {
		t.Errorf("unknown control: %d", code)
	}
	// Disabled without a token.
	p2, _ := fixture(t, func(o *Options) { o.ControlToken = "" })
	srv2 := httptest.NewServer(p2)
	defer srv2.Close()
	if code := simCall(t, srv2, "", "calls", nil, nil); code != 403 {
		t.Errorf("disabled: %d", code)
	}
}

func TestOptionsAndLimits(t *testing.T) {
	if _, err := New(Options{Path: "/sim/x"}); err == nil {
		t.Error("path under /sim/ accepted")
	}
	if _, err := New(Options{Tenants: []TenantSpec{{Code: "A", Key: "k"}, {Code: "B", Key: "k"}}}); err == nil {
		t.Error("duplicate keys accepted")
	}
	if _, err := New(Options{Tenants: []TenantSpec{{Code: "bad code"}}}); err == nil {
		t.Error("bad code accepted")
	}
	p, _ := fixture(t)
	if err := p.AddTenant(TenantSpec{Code: "X", Key: "x", Queues: []QueueSpec{{Number: "1", Agents: []AgentSpec{{Extension: "9"}}}}}); err == nil {
		t.Error("agent that is no extension accepted")
	}
	if _, err := p.Extensions("X"); err == nil {
		t.Error("half-built tenant kept")
	}
	if err := p.AddExtension("DEVEL", ExtensionSpec{Number: "600"}); err == nil {
		t.Error("extension on a queue number accepted")
	}
	if err := p.Populate("DEVEL", 1000, MaxExtensions); err == nil {
		t.Error("Populate past MaxExtensions accepted")
	}
}
