package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ctihost/ctihost/host/httpapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// httpHost runs a host with one phone and the HTTP/JSON API, and a client
// "viewer" that may only watch.
func httpHost(t *testing.T, hostExtra ...string) (*runningHost, *testPhone, string) {
	t.Helper()
	reception := newPhone(t, "reception", "GXP2135")
	listen, httpAddr := freeAddr(t), freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {reception}}, append([]string{fmt.Sprintf("http_listen = %q", httpAddr)}, hostExtra...)...)
	appendFile(t, path, "client \"viewer\" {\n  token = env(\"IT_VIEWER_TOKEN\")\n  sites = [\"hq\"]\n  scopes = [\"events\"]\n}\n")
	t.Setenv("IT_VIEWER_TOKEN", "viewer-token-0123456789")
	h := runHost(t, listen, path, 1)
	waitFor(t, 10*time.Second, "the HTTP API", func() bool {
		resp, err := http.Get("http://" + httpAddr + "/v1/openapi.json")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return h, reception, "http://" + httpAddr
}

// localBearer is the host's local token as an Authorization value.
func localBearer(t *testing.T, h *runningHost) string {
	t.Helper()
	b, err := os.ReadFile(h.localTokenFile())
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + strings.TrimSpace(string(b))
}

func do(t *testing.T, method, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// curl with a token lists the devices as JSON; without one, or with a
// token lacking the scope, the HTTP API refuses as gRPC does.
func TestHTTPAPIListsDevicesWithTheGRPCRules(t *testing.T) {
	h, _, base := httpHost(t)
	resp, body := do(t, "GET", base+"/v1/devices", localBearer(t, h), "")
	var list ctiv1.ListDevicesResponse
	if resp.StatusCode != 200 || protojson.Unmarshal([]byte(body), &list) != nil || len(list.GetDevices()) != 1 || list.GetDevices()[0].GetDevice() != "hq/reception" {
		t.Fatalf("GET /v1/devices: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", base+"/v1/devices/hq/reception", localBearer(t, h), "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"device":"hq/reception"`) {
		t.Errorf("GET /v1/devices/hq/reception: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", base+"/v1/devices", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", base+"/v1/devices/hq/reception:dial", "Bearer viewer-token-0123456789", `{"destination":"1000"}`); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "calls") {
		t.Errorf("dial with an events-only token: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", base+"/v1/devices/hq/reception:dial", localBearer(t, h), `{"destination":"1000","bogus":1}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown field: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", base+"/v1/devices/hq/nowhere", localBearer(t, h), ""); resp.StatusCode != http.StatusNotFound || resp.Header.Get(httpapi.HeaderNoRoute) != "" {
		t.Errorf("an unknown device: %d %s (a routed NOT_FOUND)", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", base+"/v1/nothing/here", localBearer(t, h), ""); resp.StatusCode != http.StatusNotFound || resp.Header.Get(httpapi.HeaderNoRoute) == "" {
		t.Errorf("an unknown route: %d, no-route header %q", resp.StatusCode, resp.Header.Get(httpapi.HeaderNoRoute))
	}
	if resp, _ := do(t, "OPTIONS", base+"/v1/devices", "", ""); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers without http_cors_origins")
	}
	if log := h.stderr.String(); !strings.Contains(log, "peer=\"http 127.0.0.1") && !strings.Contains(log, "peer=http 127.0.0.1") {
		t.Errorf("the audit names no HTTP client address:\n%s", log)
	}
}

// Every route of the served OpenAPI document answers (with the gRPC
// side's own verdict, never "no route"), and the document lists every
// Host and Admin method but WatchEvents, which is /v1/events.
func TestOpenAPIMatchesTheRoutesThatAnswer(t *testing.T) {
	h, _, base := httpHost(t)
	resp, body := do(t, "GET", base+"/v1/openapi.json", "", "")
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil {
		t.Fatalf("GET /v1/openapi.json: %d", resp.StatusCode)
	}
	var ops []string
	for path, methods := range doc.Paths {
		for method, op := range methods {
			ops = append(ops, op.OperationID)
			url := base + strings.NewReplacer("{device}", "hq/reception", "{callId}", "1-1").Replace(path)
			payload := ""
			if method == "post" || method == "put" {
				payload = "{}"
			}
			resp, body := do(t, strings.ToUpper(method), url, localBearer(t, h), payload)
			if resp.Header.Get(httpapi.HeaderNoRoute) != "" {
				t.Errorf("%s %s (%s) is documented but has no route: %s", strings.ToUpper(method), path, op.OperationID, body)
			}
		}
	}
	sort.Strings(ops)
	want := 0
	for _, svc := range []string{"Host", "Admin"} {
		sd := ctiv1.File_cti_v1_host_proto.Services().ByName("Host")
		if svc == "Admin" {
			sd = ctiv1.File_cti_v1_admin_proto.Services().ByName("Admin")
		}
		for i := range sd.Methods().Len() {
			m := sd.Methods().Get(i)
			if m.Name() == "WatchEvents" {
				continue
			}
			want++
			if !containsString(ops, svc+"_"+string(m.Name())) {
				t.Errorf("%s.%s has no HTTP route in the OpenAPI document", svc, m.Name())
			}
		}
	}
	if len(ops) != want {
		t.Errorf("the document has %d operations, the services %d methods", len(ops), want)
	}
}

func containsString(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}

// sseEvent is one server-sent event.
type sseEvent struct{ id, event, data string }

// readSSE reads events from an event stream until want returns true or
// the stream ends.
func readSSE(t *testing.T, r *bufio.Reader, want func(sseEvent) bool) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("the event stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if cur.event != "" {
				out = append(out, cur)
				if want(cur) {
					return out
				}
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func openSSE(t *testing.T, ctx context.Context, url, auth, lastID string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", auth)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, bufio.NewReader(resp.Body)
}

// The event stream as server-sent events: a call's events with their
// sequence as id; a reconnect with Last-Event-ID resumes right after it;
// one the buffer no longer holds starts with a gap.
func TestServerSentEventsResumeWithLastEventID(t *testing.T) {
	h, reception, base := httpHost(t, "event_buffer = 50")
	auth := localBearer(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	_, r := openSSE(t, ctx, base+"/v1/events?device=hq/reception&kind=call", auth, "")
	if _, err := reception.sim.RingIn("5551234", "Alice"); err != nil {
		t.Fatal(err)
	}
	first := readSSE(t, r, func(e sseEvent) bool { return e.event == "callChanged" && strings.Contains(e.data, "RINGING") })
	ringing := first[len(first)-1]
	if ringing.id == "" {
		t.Fatal("an event without id")
	}
	cancel() // the browser tab is closed; the call goes on meanwhile
	call := &ctiv1.Event{}
	if err := protojson.Unmarshal([]byte(ringing.data), call); err != nil {
		t.Fatal(err)
	}
	if _, err := h.host.Reject(context.Background(), &ctiv1.CallRequest{Device: "hq/reception", CallId: call.GetCallChanged().GetCall().GetCallId()}); err != nil {
		t.Fatal(err)
	}
	_, r = openSSE(t, context.Background(), base+"/v1/events?device=hq/reception&kind=call", auth, ringing.id)
	resumed := readSSE(t, r, func(e sseEvent) bool { return e.event == "callEnded" })
	for _, e := range resumed {
		if mustUint(t, e.id) <= mustUint(t, ringing.id) {
			t.Errorf("resumed stream repeats event %s (Last-Event-ID was %s)", e.id, ringing.id)
		}
	}
	// More calls overflow the 50-event buffer: resuming from the ringing
	// event now starts with a gap.
	calls := watch(t, h, &ctiv1.WatchEventsRequest{Devices: []string{"hq/reception"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})
	for i := 0; ; i++ {
		from := fmt.Sprint("55500", i)
		if _, err := reception.sim.RingIn(from, "Flood"); err != nil {
			t.Fatal(err)
		}
		ring := calls.waitEvent(t, "ringing from "+from, func(ev *ctiv1.Event) bool {
			return ev.GetCallChanged().GetCall().GetRemote().GetNumber() == from && ev.GetCallChanged().GetCall().GetState() == ctiv1.CallState_CALL_STATE_RINGING
		}).GetCallChanged().GetCall()
		if _, err := h.host.Reject(context.Background(), &ctiv1.CallRequest{Device: "hq/reception", CallId: ring.GetCallId()}); err != nil {
			t.Fatal(err)
		}
		end := calls.waitEvent(t, "ended from "+from, func(ev *ctiv1.Event) bool { return ev.GetCallEnded().GetCall().GetCallId() == ring.GetCallId() })
		if end.GetSequence() > mustUint(t, ringing.id)+50 {
			break // the 50-event buffer no longer holds the ringing event
		}
		if i == 100 {
			t.Fatal("100 calls did not overflow a 50-event buffer")
		}
	}
	_, r = openSSE(t, context.Background(), base+"/v1/events?device=hq/reception", auth, ringing.id)
	if got := readSSE(t, r, func(sseEvent) bool { return true }); got[0].event != "gap" || got[0].id != "" || !strings.Contains(got[0].data, "replay buffer") {
		t.Errorf("resuming from an overwritten event: %+v, want a gap first", got[0])
	}
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not a sequence", s)
	}
	return n
}
