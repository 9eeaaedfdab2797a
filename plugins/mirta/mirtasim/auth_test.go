package mirtasim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// writes lists one request of every write the read-only key must be
// refused, each valid for DEVEL.
func writes(ch string) [][]string {
	return [][]string{
		{"reqtype", "DIAL", "source", "101", "dest", "102"},
		{"reqtype", "HANGUP", "channel", ch},
		{"reqtype", "TRANSFER", "channel", ch, "dest", "103"},
		{"reqtype", "ATXTRANSFER", "channel", ch, "dest", "103"},
		{"reqtype", "DND", "action", "set", "number", "102", "value", "on"},
		{"reqtype", "QUEUE", "action", "add", "id", "281", "extension", "104"},
		{"reqtype", "QUEUE", "action", "del", "id", "281", "extension", "102"},
		{"reqtype", "AGENT", "action", "pause", "queue", "281", "extension", "102"},
		{"reqtype", "AGENT", "action", "unpause", "queue", "281", "extension", "102"},
		{"reqtype", "AGENT", "action", "del", "queue", "281", "extension", "102"},
		{"reqtype", "SETFLOW", "number", "500", "state", "INUSE"},
		{"reqtype", "CDR", "action", "update", "field", "userfield", "uniqueid", "x", "value", "v"},
		{"reqtype", "REBOOT", "peer", "101-DEVEL"},
		{"reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "add", "values", `{"NAME":"x"}`},
		{"reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "delete", "peid", "1"},
	}
}

func TestReadOnlyKeyRefusesWrites(t *testing.T) {
	p, _, _, leg := connected(t)
	before, _ := p.Calls("DEVEL")
	for _, w := range writes(leg.Name) {
		for _, f := range []string{"plain", "json"} {
			_, body, _ := api(t, p, append([]string{"key", develRO, "format", f}, w...)...)
			if body != TooBad {
				t.Errorf("read-only %v (%s): %q", w, f, body)
			}
		}
	}
	after, _ := p.Calls("DEVEL")
	if len(after) != len(before) || len(after[0].Channels) != 2 {
		t.Errorf("a refused write changed the calls: %+v", after)
	}
	if exts, _ := p.Extensions("DEVEL"); exts[1].DND || exts[0].Reboots != 0 {
		t.Errorf("a refused write changed %+v", exts)
	}
	// Reads work with the read-only key.
	for _, r := range [][]string{
		{"reqtype", "GETCURRENTCALLS", "phone", "101"},
		{"reqtype", "DND", "action", "get", "number", "101"},
		{"reqtype", "INFO", "info", "queues"},
		{"reqtype", "QUEUE", "action", "list", "id", "281"},
		{"reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "query", "field", "NAME", "value", "%"},
		{"reqtype", "CDR", "action", "get", "field", "userfield", "uniqueid", leg.UniqueID},
	} {
		_, body, _ := api(t, p, append([]string{"key", develRO}, r...)...)
		if body == TooBad || strings.HasPrefix(body, "Error|") {
			t.Errorf("read-only read %v: %q", r, body)
		}
	}
}

// TestTenantIsolation: the DEVEL key never sees or touches OTHER, with
// any reqtype, whether it names OTHER in tenant= or OTHER's objects; the
// admin key with tenant=OTHER does.
func TestTenantIsolation(t *testing.T) {
	p, _ := fixture(t)
	in, _ := p.RingIn("OTHER", "0612345678", "201")
	leg, _ := p.Answer("OTHER", "201")
	otherReqs := append(writes(leg.Name),
		[]string{"reqtype", "GETCURRENTCALLS", "phone", "201", "multiple", "yes"},
		[]string{"reqtype", "CHANNELS"},
		[]string{"reqtype", "CHANNEL", "channel", leg.Name},
		[]string{"reqtype", "BLFS"},
		[]string{"reqtype", "FLOWS"},
		[]string{"reqtype", "INFO", "info", "extensions"},
		[]string{"reqtype", "INFO", "info", "queues"},
		[]string{"reqtype", "INFO", "info", "queue", "id", "381"},
		[]string{"reqtype", "INFO", "info", "queuecallers", "id", "381"},
		[]string{"reqtype", "INFO", "info", "agents", "queue", "381"},
		[]string{"reqtype", "INFO", "info", "agentsconnected", "queue", "381"},
		[]string{"reqtype", "INFO", "info", "extstate", "ext", "201"},
		[]string{"reqtype", "INFO", "info", "regstate", "ext", "201"},
		[]string{"reqtype", "INFO", "info", "flow", "number", "510"},
		[]string{"reqtype", "DND", "action", "get", "number", "201"},
		[]string{"reqtype", "DND", "action", "set", "number", "201", "value", "on"},
		[]string{"reqtype", "QUEUE", "action", "list", "id", "381"},
		[]string{"reqtype", "QUEUE", "action", "add", "id", "381", "extension", "201"},
		[]string{"reqtype", "AGENT", "action", "pause", "queue", "381", "extension", "201"},
		[]string{"reqtype", "AGENT", "action", "listqueues", "extension", "201"},
		[]string{"reqtype", "SETFLOW", "number", "510", "state", "INUSE"},
		[]string{"reqtype", "PHONEBOOKS", "subreqtype", "list"},
		[]string{"reqtype", "PHONEBOOK", "phonebook", "Secret", "subreqtype", "getall"},
		[]string{"reqtype", "PHONEBOOK", "phonebook", "Secret", "subreqtype", "query", "field", "NAME", "value", "%"},
		[]string{"reqtype", "CDR", "action", "get", "field", "userfield", "uniqueid", leg.UniqueID},
		[]string{"reqtype", "CDR", "action", "update", "field", "userfield", "uniqueid", leg.UniqueID, "value", "x"},
		[]string{"reqtype", "REBOOT", "peer", "ALL"},
		[]string{"reqtype", "REBOOT", "peer", "201-OTHER"},
		[]string{"reqtype", "HANGUP", "extension", "201-OTHER"},
		[]string{"reqtype", "HANGUP", "number", "201"},
		[]string{"reqtype", "DIAL", "source", "201", "dest", "0611"},
		[]string{"reqtype", "ATXTRANSFER", "channel", in.Name, "dest", "201"},
	)
	secrets := []string{"|201|", `"201"`, "201-OTHER", "Olga", "Sales", `"381"`, "381:", "Hidden", "0699999999", "OTHER", leg.Name, in.Name, leg.UniqueID}
	for _, r := range otherReqs {
		for _, f := range []string{"plain", "json"} {
			// tenant=OTHER with DEVEL's key: refused.
			_, body, _ := api(t, p, append([]string{"key", develKey, "tenant", "OTHER", "format", f}, r...)...)
			if body != TooBad {
				t.Errorf("DEVEL key, tenant=OTHER, %v: %q", r, body)
			}
			// No tenant=: only DEVEL's objects; OTHER's are not found.
			_, body, _ = api(t, p, append([]string{"key", develKey, "format", f}, r...)...)
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("DEVEL key, %v (%s) shows OTHER's %q: %q", r, f, s, body)
				}
			}
		}
	}
	// OTHER is untouched.
	calls, _ := p.Calls("OTHER")
	if len(calls) != 1 || len(calls[0].Channels) != 2 || calls[0].Channels[0].Peer == "" {
		t.Fatalf("OTHER's call changed: %+v", calls)
	}
	if exts, _ := p.Extensions("OTHER"); exts[0].DND || exts[0].Reboots != 0 {
		t.Errorf("OTHER's extension changed: %+v", exts)
	}
	if qs, _ := p.Queues("OTHER"); len(qs[0].Agents) != 1 || qs[0].Agents[0].Paused {
		t.Errorf("OTHER's queue changed: %+v", qs)
	}
	if fl, _ := p.Flows("OTHER"); fl[0].State != "NOT_INUSE" {
		t.Errorf("OTHER's flow changed: %+v", fl)
	}
	if v, _ := p.CDRUserfield("OTHER", leg.UniqueID); v != "" {
		t.Errorf("OTHER's CDR changed: %q", v)
	}
	// The admin key with tenant=OTHER works.
	_, body, _ := api(t, p, "key", adminKey, "tenant", "OTHER", "reqtype", "GETCURRENTCALLS", "phone", "201")
	if !strings.HasPrefix(body, leg.Name+"|") {
		t.Errorf("admin GETCURRENTCALLS: %q", body)
	}
	_, body, _ = api(t, p, "key", adminKey, "tenant", "OTHER", "reqtype", "PHONEBOOK", "phonebook", "Secret", "subreqtype", "getall")
	if !strings.Contains(body, "Hidden Person") {
		t.Errorf("admin PHONEBOOK: %q", body)
	}
	_, body, _ = api(t, p, "key", adminKey, "tenant", "DEVEL", "reqtype", "HANGUP", "channel", leg.Name)
	mustEqual(t, "admin scoped to DEVEL cannot hang up OTHER", body, "Error|Channel not found|")
	_, body, _ = api(t, p, "key", adminKey, "tenant", "OTHER", "reqtype", "HANGUP", "channel", leg.Name)
	mustEqual(t, "admin HANGUP", body, "Success|Hangup requested|")
	noCalls(t, p, "OTHER")
}

func TestKeyHeaderAndPaths(t *testing.T) {
	p, _ := fixture(t)
	for _, path := range []string{"/pbx/proxyapi.php", "/mirtapbx/proxyapi.php"} {
		r := httptest.NewRequest(http.MethodGet, path+"?reqtype=INFO&info=queues", nil)
		r.Header.Set("X-API-Key", develKey)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		mustEqual(t, path, w.Body.String(), "281: Support|")
	}
	// POST form parameters.
	r := httptest.NewRequest(http.MethodPost, "/pbx/proxyapi.php", strings.NewReader("key="+develKey+"&reqtype=DND&action=get&number=101"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	mustEqual(t, "POST", w.Body.String(), "off")
	// The log never keeps the key.
	for _, req := range p.Requests() {
		if req.Params["key"] != "" && req.Params["key"] != "REDACTED" {
			t.Errorf("key logged: %+v", req)
		}
		for _, v := range req.Params {
			if strings.Contains(v, develKey) {
				t.Errorf("key logged: %+v", req)
			}
		}
	}
	if reqs := p.Requests(); len(reqs) != 3 || !reqs[0].KeyHeader || reqs[2].Reqtype != "DND" || reqs[2].Params["key"] != "REDACTED" {
		t.Errorf("requests %+v", reqs)
	}
	// Elsewhere: 404; other methods: 405; big bodies: 413.
	w = httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/index.php", nil))
	if w.Code != 404 {
		t.Errorf("404: %d", w.Code)
	}
	w = httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/pbx/proxyapi.php", nil))
	if w.Code != 405 {
		t.Errorf("405: %d", w.Code)
	}
	big := strings.NewReader("key=" + develKey + "&values=" + strings.Repeat("x", MaxBody))
	r = httptest.NewRequest(http.MethodPost, "/pbx/proxyapi.php", big)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w = httptest.NewRecorder()
	p.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Errorf("413: %d", w.Code)
	}
}
