package snom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/snom/snomsim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// simDriver runs the driver in process against one snomsim phone, with a
// callback listener that hands the phone's action URLs to the driver.
func simDriver(t *testing.T, model, fw string) (*Driver, *snomsim.Phone, chan *ctiv1.Event) {
	t.Helper()
	sim, err := snomsim.New(snomsim.Options{Model: model, Firmware: fw, User: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	phoneSrv := httptest.NewServer(sim)
	t.Cleanup(phoneSrv.Close)
	d := New(hclog.NewNullLogger())
	cbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		resp, err := d.HandleCallback(r.Context(), &ctiv1.CallbackRequest{Method: r.Method,
			Path: strings.TrimPrefix(r.URL.Path, "/"), Query: r.URL.RawQuery, Body: body, RemoteAddr: r.RemoteAddr})
		if err != nil || resp.GetHttpStatus() != 0 {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	t.Cleanup(cbSrv.Close)
	events := make(chan *ctiv1.Event, 1000)
	p, err := newPhone(phoneConfig{id: "desk", model: model, host: phoneSrv.URL, username: "admin", password: "pw"},
		settings{requestTimeout: 2 * time.Second, callbackTimeout: 2 * time.Second, pollInterval: time.Second, retryInterval: 100 * time.Millisecond,
			callbackBase: cbSrv.URL + "/", callbackSecret: "s3cret"},
		http.DefaultClient, hclog.NewNullLogger(), func(ev *ctiv1.Event) {
			select {
			case events <- ev:
			default:
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	d.phones["desk"], d.byPath[p.path] = p, p
	d.mu.Unlock()
	p.start()
	t.Cleanup(p.stop)
	waitFor(t, "events provisioned", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.reachable && p.events == "" && p.cstaReason == "" && p.info != ""
	})
	return d, sim, events
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connectedInbound rings a call in and answers it through the driver.
func connectedInbound(t *testing.T, d *Driver, sim *snomsim.Phone) string {
	t.Helper()
	c, err := sim.RingIn("5551001", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.phone("desk")
	waitFor(t, "the ringing call", func() bool { return p.calls.Call(c.CSTAID).GetState() == ringing })
	if _, err := d.Answer(context.Background(), &ctiv1.CallRequest{Device: "desk", CallId: c.CSTAID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the connected call", func() bool { return p.calls.Call(c.CSTAID).GetState() == connected })
	return c.CSTAID
}

func TestConsultAndCompleteTransfer(t *testing.T) {
	for _, tc := range []struct {
		name, model, fw string
		keys            bool // consultation by F_HOLD, digits, ENTER
	}{
		{"csta", "D785", "10.1.54.13", false},
		{"csta 8.7.4", "D785", "8.7.4.0", false},
		{"keys", "D385", "8.6.5.12", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, sim, events := simDriver(t, tc.model, tc.fw)
			p, _ := d.phone("desk")
			ctx := context.Background()
			a := connectedInbound(t, d, sim)
			if ops := p.calls.Call(a).GetAvailableOperations(); !hasCap(ops, ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER) {
				t.Errorf("connected call's operations lack CONSULT_TRANSFER: %v", ops)
			}
			resp, err := d.ConsultTransfer(ctx, &ctiv1.TransferRequest{Device: "desk", CallId: a, Destination: "5552002"})
			if err != nil {
				t.Fatal(err)
			}
			var b string
			for _, c := range sim.Calls() {
				if c.Number == "5552002" || strings.HasPrefix(c.Number, "sip:5552002@") {
					b = c.CSTAID
				}
			}
			if b == "" {
				t.Fatalf("the phone made no consultation call: %+v", sim.Calls())
			}
			if want := map[bool]string{false: b, true: ""}[tc.keys]; resp.GetConsultCallId() != want {
				t.Errorf("consult_call_id %q, want %q", resp.GetConsultCallId(), want)
			}
			var keys []string
			for _, k := range sim.Keys() {
				keys = append(keys, k.Key)
			}
			if got, want := strings.Join(keys, ","), map[bool]string{false: "", true: "F_HOLD,5,5,5,2,0,0,2,ENTER"}[tc.keys]; got != want {
				t.Errorf("keys pressed %q, want %q", got, want)
			}
			waitFor(t, "held call and related consultation call", func() bool {
				return p.calls.Call(a).GetState() == held && p.calls.Call(b).GetRelatedCallId() == a
			})
			if ops := p.calls.Call(a).GetAvailableOperations(); !hasCap(ops, ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER) {
				t.Errorf("held call's operations lack COMPLETE_TRANSFER: %v", ops)
			}
			if err := sim.RemoteAnswer(b); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "consultation connected", func() bool { return p.calls.Call(b).GetState() == connected })
			if _, err := d.CompleteTransfer(ctx, &ctiv1.CallPairRequest{Device: "desk", CallId: b, OtherCallId: a}); status.Code(err) != codes.FailedPrecondition {
				t.Errorf("CompleteTransfer with the pair swapped: %v, want FAILED_PRECONDITION", err)
			}
			for len(events) > 0 {
				<-events
			}
			if _, err := d.CompleteTransfer(ctx, &ctiv1.CallPairRequest{Device: "desk", CallId: a, OtherCallId: b}); err != nil {
				t.Fatal(err)
			}
			ends := map[string]ctiv1.EndReason{}
			deadline := time.After(5 * time.Second)
			for len(ends) < 2 {
				select {
				case ev := <-events:
					if e := ev.GetCallEnded(); e != nil {
						ends[e.GetCall().GetCallId()] = e.GetReason()
					}
				case <-deadline:
					t.Fatalf("calls ended: %v", ends)
				}
			}
			for _, id := range []string{a, b} {
				if ends[id] != ctiv1.EndReason_END_REASON_TRANSFERRED {
					t.Errorf("call %s ended %s, want TRANSFERRED", id, ends[id])
				}
			}
			if tr := sim.State().Transfers; len(tr) != 1 || tr[0].Kind != "attended" || tr[0].CSTAID != a {
				t.Errorf("phone's transfers: %+v", tr)
			}
		})
	}
}

func TestConsultByKeysRefusals(t *testing.T) {
	d, sim, _ := simDriver(t, "D385", "8.6.5.12")
	p, _ := d.phone("desk")
	ctx := context.Background()
	a := connectedInbound(t, d, sim)
	_, err := d.ConsultTransfer(ctx, &ctiv1.TransferRequest{Device: "desk", CallId: a, Destination: "sip:bob@pbx"})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("non-digit destination by keys: %v, want INVALID_ARGUMENT", err)
	}
	w, err := sim.RingIn("5553003", "Waiting")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the waiting call", func() bool { return p.calls.Call(w.CSTAID) != nil })
	_, err = d.ConsultTransfer(ctx, &ctiv1.TransferRequest{Device: "desk", CallId: a, Destination: "5552002"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("consultation by keys with a call ringing: %v, want FAILED_PRECONDITION", err)
	}
	if len(sim.Keys()) != 0 || len(sim.Calls()) != 2 {
		t.Errorf("refused consultations touched the phone: keys %v, calls %+v", sim.Keys(), sim.Calls())
	}
	p.track.mu.Lock()
	defer p.track.mu.Unlock()
	if p.track.consultFor != "" {
		t.Errorf("a refused consultation is still expected for %q", p.track.consultFor)
	}
}

func TestConsultTransferWithoutCSTA(t *testing.T) {
	d, p, _ := testDriver(t)
	p.cstaOK.Store(false)
	p.mu.Lock()
	p.cstaReason = "no csta here"
	p.mu.Unlock()
	p.calls.Upsert(time.Now(), &ctiv1.Call{CallId: "-1", State: connected})
	_, err := d.ConsultTransfer(context.Background(), &ctiv1.TransferRequest{Device: "desk", CallId: "-1", Destination: "5552002"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("without CSTA: %v, want FAILED_PRECONDITION", err)
	}
	p.mu.Lock()
	st := p.statusNow()
	p.mu.Unlock()
	for _, c := range []ctiv1.Capability{ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER, ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER} {
		if !hasCap(st.GetUnavailableOperations(), c) {
			t.Errorf("unavailable_operations lack %s: %v", c, st.GetUnavailableOperations())
		}
	}
}

func hasCap(caps []ctiv1.Capability, c ctiv1.Capability) bool {
	for _, x := range caps {
		if x == c {
			return true
		}
	}
	return false
}
