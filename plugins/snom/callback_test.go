package snom

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// testDriver is a driver with one phone that is never contacted (its
// background loop is not started).
func testDriver(t testing.TB) (*Driver, *phone, *[]*ctiv1.Event) {
	t.Helper()
	var events []*ctiv1.Event
	d := New(hclog.NewNullLogger())
	p, err := newPhone(phoneConfig{id: "desk", model: "D785", host: "127.0.0.1:9"},
		settings{requestTimeout: time.Second, callbackTimeout: time.Second, pollInterval: time.Second, retryInterval: time.Second},
		http.DefaultClient, hclog.NewNullLogger(), func(ev *ctiv1.Event) { events = append(events, ev) })
	if err != nil {
		t.Fatal(err)
	}
	p.cstaOK.Store(true)
	d.phones["desk"], d.byPath[p.path] = p, p
	return d, p, &events
}

// callbackQuery is what a phone sends for event: ActionURL with its
// variables replaced as snomsim does.
func callbackQuery(p *phone, event, cstaID string) string {
	u := snomapi.ActionURL("http://host/"+p.path, event, p.token)
	r := strings.NewReplacer("$csta_id", cstaID, "$call-id", "abc@host", "$nr_ongoing_calls", "1", "$mac", "000413AABBCC",
		"$phone_ip", "127.0.0.1", "$active_user", "1001", "$active_host", "pbx.example.com", "$active_url", "sip:1001@pbx.example.com",
		"$local", "sip:1001@pbx.example.com", "$remote", "sip:5551001@pbx.example.com", "$display_remote", "Ada L")
	u = r.Replace(u)
	return u[strings.IndexByte(u, '?')+1:]
}

func handle(t testing.TB, d *Driver, path, query, remote string) int32 {
	t.Helper()
	resp, err := d.HandleCallback(context.Background(), &ctiv1.CallbackRequest{Method: "GET", Path: path, Query: query, RemoteAddr: remote})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetHttpStatus() == 0 {
		return http.StatusNoContent
	}
	return resp.GetHttpStatus()
}

func TestHandleCallbackAuth(t *testing.T) {
	d, p, events := testDriver(t)
	good := callbackQuery(p, "incoming", "-3")
	if got := handle(t, d, p.path, good, "127.0.0.1:5000"); got != http.StatusNoContent {
		t.Fatalf("good callback: %d", got)
	}
	if c := p.calls.Call("-3"); c.GetState() != ringing || c.GetRemote().GetNumber() != "5551001" || c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND {
		t.Fatalf("call after incoming: %v", c)
	}
	n := len(*events)
	forged := strings.Replace(good, "token="+p.token, "token="+strings.Repeat("a", len(p.token)), 1)
	for name, tc := range map[string]struct {
		path, query, remote string
		want                int32
	}{
		"forged token":   {p.path, forged, "127.0.0.1:5000", http.StatusForbidden},
		"no token":       {p.path, "event=incoming&csta_id=-4", "127.0.0.1:5000", http.StatusForbidden},
		"other address":  {p.path, good, "10.0.0.7:5000", http.StatusForbidden},
		"unknown device": {"d/nope", good, "127.0.0.1:5000", http.StatusNotFound},
		"empty path":     {"", good, "127.0.0.1:5000", http.StatusNotFound},
		"garbage":        {p.path, "%%%&&&event=\x00", "127.0.0.1:5000", http.StatusForbidden},
	} {
		if got := handle(t, d, tc.path, tc.query, tc.remote); got != tc.want {
			t.Errorf("%s: got %d, want %d", name, got, tc.want)
		}
	}
	if len(*events) != n {
		t.Errorf("refused callbacks published %d events", len(*events)-n)
	}
}

func TestCallbackCallFlow(t *testing.T) {
	d, p, events := testDriver(t)
	for _, ev := range []string{"incoming", "connected", "hold", "unhold", "transfer", "blind_transfer", "disconnected"} {
		if got := handle(t, d, p.path, callbackQuery(p, ev, "-5"), "127.0.0.1:1"); got != http.StatusNoContent {
			t.Fatalf("%s: %d", ev, got)
		}
	}
	last := (*events)[len(*events)-1].GetCallEnded()
	if last.GetReason() != ctiv1.EndReason_END_REASON_TRANSFERRED {
		t.Fatalf("transferred call ended %v", last)
	}
	handle(t, d, p.path, callbackQuery(p, "incoming", "-6"), "127.0.0.1:1")
	handle(t, d, p.path, callbackQuery(p, "missed", "-6"), "127.0.0.1:1")
	if r := (*events)[len(*events)-1].GetCallEnded().GetReason(); r != ctiv1.EndReason_END_REASON_NO_ANSWER {
		t.Fatalf("missed call ended %v", r)
	}
}

// TestLostDisconnectedExpires: a call whose disconnected never comes ends
// LOST after the bounded time, with the reason said.
func TestLostDisconnectedExpires(t *testing.T) {
	d, p, events := testDriver(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return now }
	handle(t, d, p.path, callbackQuery(p, "incoming", "-7"), "127.0.0.1:1")
	handle(t, d, p.path, callbackQuery(p, "connected", "-7"), "127.0.0.1:1")
	handle(t, d, p.path, callbackQuery(p, "incoming", "-8"), "127.0.0.1:1")
	p.expire(now.Add(time.Minute))
	if p.calls.Call("-8") == nil || p.calls.Call("-7") == nil {
		t.Fatal("calls expired too early")
	}
	p.expire(now.Add(ringingTTL + time.Second))
	if p.calls.Call("-8") != nil || p.calls.Call("-7") == nil {
		t.Fatal("the ringing call should expire after ringingTTL, the connected one not")
	}
	p.expire(now.Add(connectedTTL + time.Second))
	if p.calls.Call("-7") != nil {
		t.Fatal("the connected call did not expire")
	}
	end := (*events)[len(*events)-1].GetCallEnded()
	if end.GetReason() != ctiv1.EndReason_END_REASON_LOST || !strings.Contains(end.GetVendorReason(), "disconnected callback was lost") {
		t.Fatalf("expired call ended %v", end)
	}
}

func FuzzHandleCallback(f *testing.F) {
	_, p, _ := testDriver(f)
	for _, ev := range []string{"incoming", "outgoing", "connected", "hold", "unhold", "missed", "disconnected", "fwtest", "transfer"} {
		f.Add("GET", p.path, callbackQuery(p, ev, "-1"), "127.0.0.1:1")
	}
	f.Add("POST", p.path, "", "127.0.0.1:1")
	f.Add("GET", "d/x", "event=%zz&token=&csta_id="+url.QueryEscape("&&"), "[::1]:1")
	f.Fuzz(func(t *testing.T, method, path, query, remote string) {
		d, p, _ := testDriver(t)
		if strings.HasPrefix(path, "d/") {
			path = p.path + path[2:min(len(path), 4)]
		}
		query = strings.ReplaceAll(query, "TOKEN", p.token)
		resp, err := d.HandleCallback(context.Background(), &ctiv1.CallbackRequest{Method: method, Path: path, Query: query, Body: []byte(query), RemoteAddr: remote})
		if err != nil {
			t.Fatal(err)
		}
		switch resp.GetHttpStatus() {
		case 0, http.StatusForbidden, http.StatusNotFound:
		default:
			t.Fatalf("status %d", resp.GetHttpStatus())
		}
	})
}
