package screen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/host/webhook"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

const secret = "screen-Secret-0123456789"

// fake records the commands and the published events.
type fake struct {
	mu       sync.Mutex
	rejects  []string
	redirect []string
	events   []*ctiv1.CallScreened
	fail     error
}

func (f *fake) Reject(_ context.Context, r *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejects = append(f.rejects, r.GetDevice()+" "+r.GetCallId())
	return &ctiv1.CommandResponse{}, f.fail
}

func (f *fake) Redirect(_ context.Context, r *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redirect = append(f.redirect, r.GetDevice()+" "+r.GetCallId()+" "+r.GetDestination())
	return &ctiv1.CommandResponse{}, f.fail
}

func (f *fake) publish(ev *ctiv1.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev.GetCallScreened())
}

// wait waits for n published decisions.
func (f *fake) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		got := len(f.events)
		f.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d decisions after 10s, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ringing(site, device, id, from string, dir ctiv1.CallDirection) *ctiv1.Event {
	return &ctiv1.Event{Site: site, Device: site + "/" + device, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
		Call: &ctiv1.Call{CallId: id, State: ctiv1.CallState_CALL_STATE_RINGING, Direction: dir, Remote: &ctiv1.Party{Number: from}}}}}
}

func TestRulesDecideOnTheFirstRingingEvent(t *testing.T) {
	asked := make(chan string, 10)
	ask := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			t.Errorf("ask request not signed: %v", err)
		}
		asked <- string(body)
		_ = json.NewEncoder(w).Encode(map[string]string{"action": "redirect", "destination": "3000"})
	}))
	defer ask.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	f := &fake{}
	s := New(f, f.publish, hclog.NewNullLogger(), nil)
	s.SetRules([]Rule{
		{Name: "premium", Sites: []string{"hq"}, Callers: []string{"0900*"}, Action: "reject"},
		{Name: "vip", Sites: []string{"*"}, Callers: []string{"+4420794600*"}, Action: "redirect", Destination: "2000"},
		{Name: "crm", Sites: []string{"*"}, Callers: []string{"0161*"}, Action: "ask", URL: ask.URL, Secret: secret, Deadline: time.Second},
		{Name: "late", Sites: []string{"*"}, Callers: []string{"0171*"}, Action: "ask", URL: slow.URL, Secret: secret, Deadline: 50 * time.Millisecond},
		{Name: "hidden", Sites: []string{"*"}, Callers: []string{"anonymous"}, Action: "reject"},
	})
	in, out := ctiv1.CallDirection_CALL_DIRECTION_INBOUND, ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
	s.Observe(ringing("hq", "a", "1", "0900 123 456", in))
	s.Observe(ringing("hq", "a", "1", "0900 123 456", in)) // the same call again: decided once
	s.Observe(ringing("branch", "b", "2", "09001234", in)) // premium is hq's only
	s.Observe(ringing("hq", "a", "3", "0900123", out))     // outbound: never screened
	s.Observe(ringing("hq", "a", "4", "+44 20 7946 0099", in))
	s.Observe(ringing("hq", "a", "5", "0161 555 0000", in))
	s.Observe(ringing("hq", "a", "6", "0171 555 0000", in))
	s.Observe(ringing("hq", "a", "7", "", in))
	s.Observe(ringing("hq", "a", "8", "01632960001", in)) // no rule
	f.wait(t, 5)
	s.Stop()

	slices.Sort(f.rejects) // calls are decided concurrently: no order between them
	if len(f.rejects) != 2 || f.rejects[0] != "hq/a 1" || f.rejects[1] != "hq/a 7" {
		t.Errorf("rejects %v, want hq/a 1 and the anonymous hq/a 7", f.rejects)
	}
	if len(f.redirect) != 2 {
		t.Fatalf("redirects %v, want the VIP's to 2000 and the CRM's to 3000", f.redirect)
	}
	want := map[string]bool{"hq/a 4 2000": true, "hq/a 5 3000": true}
	for _, r := range f.redirect {
		if !want[r] {
			t.Errorf("unexpected redirect %q", r)
		}
	}
	if len(asked) != 1 {
		t.Errorf("the ask webhook was asked %d times, want once", len(asked))
	}
	byRule := map[string]*ctiv1.CallScreened{}
	for _, e := range f.events {
		if byRule[e.GetRule()] != nil {
			t.Errorf("rule %s decided twice", e.GetRule())
		}
		byRule[e.GetRule()] = e
		if e.GetLatency().AsDuration() <= 0 {
			t.Errorf("rule %s: no latency", e.GetRule())
		}
	}
	if e := byRule["late"]; e.GetAction() != ctiv1.ScreeningAction_SCREENING_ACTION_ALLOW || !e.GetTimedOut() {
		t.Errorf("a webhook that does not answer in time: %v, want allow, timed out", e)
	}
	if e := byRule["crm"]; e.GetAction() != ctiv1.ScreeningAction_SCREENING_ACTION_REDIRECT || e.GetDestination() != "3000" {
		t.Errorf("the ask webhook's redirect: %v", e)
	}
	if len(f.events) != 5 {
		t.Errorf("%d decisions published, want 5", len(f.events))
	}
}

// A redirected call that rings at its new device (same global call id) is
// not screened again: a rule matching there too would loop.
func TestARedirectedCallIsNotScreenedAgain(t *testing.T) {
	f := &fake{}
	s := New(f, f.publish, hclog.NewNullLogger(), nil)
	s.SetRules([]Rule{{Name: "sales", Sites: []string{"*"}, Callers: []string{"0163*"}, Action: "redirect", Destination: "102"}})
	first := ringing("mt", "101", "1.1", "01632960123", ctiv1.CallDirection_CALL_DIRECTION_INBOUND)
	first.GetCallChanged().GetCall().GlobalCallId = "g1"
	s.Observe(first)
	f.wait(t, 1)
	again := ringing("mt", "102", "1.2", "01632960123", ctiv1.CallDirection_CALL_DIRECTION_INBOUND)
	again.GetCallChanged().GetCall().GlobalCallId = "g1"
	s.Observe(again)
	s.Stop()
	if len(f.redirect) != 1 {
		t.Errorf("redirects %v, want only the first", f.redirect)
	}
}

func TestAFailedCommandIsReportedAndTheCallRingsOn(t *testing.T) {
	f := &fake{fail: errors.New("device refused")}
	s := New(f, f.publish, hclog.NewNullLogger(), nil)
	s.SetRules([]Rule{{Name: "premium", Sites: []string{"*"}, Callers: []string{"0900*"}, Action: "reject"}})
	s.Observe(ringing("hq", "a", "1", "09001", ctiv1.CallDirection_CALL_DIRECTION_INBOUND))
	f.wait(t, 1)
	s.Stop()
	if len(f.events) != 1 || f.events[0].GetError() == "" {
		t.Fatalf("events %v, want one with the error", f.events)
	}
}
