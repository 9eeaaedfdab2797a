package mirtasim

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	p, _ := fixture(t)
	q := []string{"key", develKey, "reqtype", "INFO", "info", "queues", "format", "json"}
	for _, tc := range []struct {
		f      Fault
		status int
		check  func(string) bool
	}{
		{FaultWrongKey, 200, func(b string) bool { return b == TooBad }},
		{FaultHTTP500, 500, func(b string) bool { return strings.Contains(b, "<html>") }},
		{FaultOverload, 503, func(b string) bool { return strings.Contains(b, "<html>") }},
		{FaultGarbage, 200, func(b string) bool { return strings.HasPrefix(b, "<!DOCTYPE") }},
		{FaultTruncated, 200, func(b string) bool { return b == `{"281":"` }},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			p.SetFault(tc.f)
			defer p.SetFault(FaultNone)
			status, body, _ := api(t, p, q...)
			if status != tc.status || !tc.check(body) {
				t.Errorf("%d %q", status, body)
			}
		})
	}
	// A faulted write has no effect.
	p.SetFault(FaultHTTP500)
	api(t, p, "key", develKey, "reqtype", "DND", "action", "set", "number", "101", "value", "on")
	p.SetFault(FaultNone)
	mustEqual(t, "no effect", devel(t, p, "reqtype", "DND", "action", "get", "number", "101"), "off")

	// Per-reqtype.
	p.SetReqtypeFault("getcurrentcalls", FaultGarbage)
	if _, body, _ := api(t, p, "key", develKey, "reqtype", "GETCURRENTCALLS", "phone", "101"); !strings.HasPrefix(body, "<!DOCTYPE") {
		t.Errorf("per-reqtype: %q", body)
	}
	mustEqual(t, "other reqtypes unaffected", devel(t, p, "reqtype", "INFO", "info", "queues"), "281: Support|")
	if f, per := p.Faults(); f != FaultNone || per["GETCURRENTCALLS"] != FaultGarbage {
		t.Errorf("%v %v", f, per)
	}
	p.SetReqtypeFault("GETCURRENTCALLS", FaultNone)
	mustEqual(t, "cleared", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "101"), "")

	if f, err := ParseFault("slow, garbage"); err != nil || f != FaultSlow|FaultGarbage || f.String() != "slow,garbage" {
		t.Errorf("%v %v", f, err)
	}
	if _, err := ParseFault("nope"); err == nil {
		t.Error("ParseFault accepted nope")
	}
}

// TestSlowFault: a client that gives up before Options.SlowDelay gets
// nothing, and its request has no effect.
func TestSlowFault(t *testing.T) {
	p, _ := fixture(t, func(o *Options) { o.SlowDelay = time.Hour })
	srv := httptest.NewServer(p)
	defer srv.Close()
	p.SetFault(FaultSlow)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/pbx/proxyapi.php?key="+develKey+"&reqtype=DND&action=set&number=101&value=on", nil)
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow answer came: %v", err)
	}
	p.SetFault(FaultNone)
	mustEqual(t, "no effect", devel(t, p, "reqtype", "DND", "action", "get", "number", "101"), "off")
}

// TestNeverPanics throws random requests at the handler.
func TestNeverPanics(t *testing.T) {
	p, _ := fixture(t)
	r := rand.New(rand.NewPCG(1, 2))
	reqtypes := append([]string{"", "NOPE", "dial"}, func() []string {
		var out []string
		for k := range handlers {
			out = append(out, k)
		}
		return out
	}()...)
	names := []string{"key", "tenant", "format", "source", "dest", "channel", "extrachannel", "number", "extension", "action",
		"value", "info", "id", "queue", "queuenumber", "phone", "multiple", "subreqtype", "phonebook", "field", "values",
		"peid", "uniqueid", "peer", "state", "dialtimeout", "timeout", "autoanswer", "ext", "callback", "paused", "penalty"}
	vals := []string{"", "101", "102", "600", "281", "ALL", "json", "plain", "DEVEL", "OTHER", develKey, develRO, adminKey,
		"%", "%5%", "_", "get", "set", "add", "del", "list", "query", "getall", "delete", "pause", "unpause", "listqueues",
		"update", "userfield", "yes", "on", "-1", "99999999999999999999", "{", `[{"NAME":1}]`, "\x00\xff", "SIP/101-DEVEL-00000001",
		"INUSE", "extensions", "queuecallers", "agents", "extstate", "flow", strings.Repeat("9", 300)}
	for i := range 5000 {
		v := url.Values{}
		v.Set("reqtype", reqtypes[r.IntN(len(reqtypes))])
		for range r.IntN(8) {
			v.Set(names[r.IntN(len(names))], vals[r.IntN(len(vals))])
		}
		if r.IntN(3) > 0 {
			v.Set("key", []string{develKey, develRO, adminKey}[r.IntN(3)])
		}
		// Keep the call model busy too.
		switch i % 50 {
		case 0:
			p.RingIn("DEVEL", "0611", []string{"101", "102", "600"}[r.IntN(3)])
		case 10:
			p.Answer("DEVEL", []string{"101", "102", "103"}[r.IntN(3)])
		case 20:
			if cs, _ := p.Channels("DEVEL"); len(cs) > 0 {
				v.Set("channel", cs[r.IntN(len(cs))].Name)
			}
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/pbx/proxyapi.php?"+v.Encode(), nil))
		if w.Code != 200 {
			t.Fatalf("%v: %d", v, w.Code)
		}
	}
}

func FuzzHandler(f *testing.F) {
	f.Add("reqtype=DIAL&source=101&dest=102&key=" + develKey)
	f.Add("reqtype=PHONEBOOK&phonebook=Default&subreqtype=query&field=NAME&value=%25&key=" + develKey)
	f.Add("reqtype=INFO&info=agents&format=json&key=" + adminKey + "&tenant=DEVEL")
	f.Fuzz(func(t *testing.T, query string) {
		p, _ := fixture(t)
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/pbx/proxyapi.php", nil)
		r.URL.RawQuery = query
		p.ServeHTTP(w, r)
	})
}

func TestJSONStrings(t *testing.T) {
	for _, s := range []string{"", "a\"b\\c", "line\nbreak\r\t", "\x00\x1f", "<&>/", "é€😀", "\u2028", "bad\xffutf8"} {
		got := enc(obj{{"k", s}, {"n", 0}, {"z", nil}})
		var m map[string]any
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatalf("%q: %v", got, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); m["k"] != want {
			t.Errorf("%q round-trips to %q", s, m["k"])
		}
	}
}
