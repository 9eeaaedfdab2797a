package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ctihost/ctihost/host/webhook"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// webhookSecret signs the test's deliveries; it reaches the host through
// env(), so the host's leak check covers it too.
const webhookSecret = "Whsec-Host-Test-7f3a91c2"

// signedReceiver keeps the events whose signature verifies.
type signedReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	events []*ctiv1.Event
}

func (s *signedReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := webhook.Verify([]byte(webhookSecret), r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		s.t.Errorf("a delivery failed verification: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	ev := &ctiv1.Event{}
	if err := protojson.Unmarshal(body, ev); err != nil {
		s.t.Errorf("a delivery is not an event: %v", err)
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
}

func (s *signedReceiver) calls(device string) []*ctiv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*ctiv1.Event
	for _, ev := range s.events {
		if ev.GetDevice() == device && (ev.GetCallChanged() != nil || ev.GetCallEnded() != nil) {
			out = append(out, ev)
		}
	}
	return out
}

// A call on a phone reaches a webhook receiver signed, in order, as the
// same events apps see; a second receiver that never answers, at the same
// host, changes nothing for it, and its drops show in the metrics.
func TestWebhookDeliversSignedCallEventsPastAHungReceiver(t *testing.T) {
	good := &signedReceiver{t: t}
	goodSrv := httptest.NewServer(good)
	defer goodSrv.Close()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)

	reception := newPhone(t, "reception", "GXP2135")
	listen, metricsAddr := freeAddr(t), reservedAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {reception}}, fmt.Sprintf("metrics = %q", metricsAddr))
	appendFile(t, path, fmt.Sprintf(`webhook "crm" {
  url    = %q
  secret = env("IT_WEBHOOK_SECRET")
  sites  = ["hq"]
  kinds  = ["call"]
}
webhook "stuck" {
  url     = %q
  secret  = env("IT_WEBHOOK_SECRET")
  queue   = 4
  timeout = "30s"
}
`, goodSrv.URL+"/hook?token=receiver-own-token", hung.URL))
	t.Setenv("IT_WEBHOOK_SECRET", webhookSecret)
	h := runHost(t, listen, path, 1)
	ctx := context.Background()
	apps := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Devices: []string{"hq/reception"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL}})

	for i := range 3 {
		if _, err := reception.sim.RingIn(fmt.Sprint("555100", i), "Caller"); err != nil {
			t.Fatal(err)
		}
		ring := apps.waitEvent(t, "ringing", func(ev *ctiv1.Event) bool {
			c := ev.GetCallChanged().GetCall()
			return c.GetState() == ctiv1.CallState_CALL_STATE_RINGING && c.GetRemote().GetNumber() == fmt.Sprint("555100", i)
		}).GetCallChanged().GetCall()
		if _, err := h.host.Reject(ctx, &ctiv1.CallRequest{Device: "hq/reception", CallId: ring.GetCallId()}); err != nil {
			t.Fatal(err)
		}
		apps.waitEvent(t, "ended", func(ev *ctiv1.Event) bool { return ev.GetCallEnded().GetCall().GetCallId() == ring.GetCallId() })
	}
	// The receiver gets exactly what the app got, in the same order.
	want := apps.callEvents("hq/reception", "")
	waitFor(t, 20*time.Second, "every call event at the receiver", func() bool { return len(good.calls("hq/reception")) >= len(want) })
	got := good.calls("hq/reception")
	for i := range want {
		if got[i].GetSequence() != want[i].GetSequence() {
			t.Fatalf("delivery %d is sequence %d, the app's event %d is %d: out of order or missing", i, got[i].GetSequence(), i, want[i].GetSequence())
		}
	}
	waitFor(t, 20*time.Second, "the stuck receiver's drops counted", func() bool {
		return strings.Contains(h.metricsPage(t, metricsAddr), `ctihost_webhook_deliveries_total{result="queue_full",webhook="stuck"}`)
	})
	if log := h.stderr.String(); strings.Contains(log, "receiver-own-token") {
		t.Error("the log shows the webhook URL's query")
	}
	if log := h.stderr.String(); strings.Contains(log, webhookSecret) {
		t.Error("the log shows the webhook secret")
	}
}
