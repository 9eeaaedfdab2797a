package webhook

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ctihost/ctihost/host/bus"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

const secret = "whsec-Test-Secret-0123456789"

// counts records deliveries by result.
type counts struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (c *counts) Webhook(_, result string, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]uint64{}
	}
	c.n[result] += n
}

func (c *counts) get(result string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[result]
}

// receiver records verified deliveries; fail decides an attempt's status.
type receiver struct {
	t    *testing.T
	mu   sync.Mutex
	got  []*ctiv1.Event
	seen map[string]int // sequence -> attempts
	fail func(seq string, attempt int) int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := Verify([]byte(secret), r.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		rc.t.Errorf("delivery with a bad signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	seq := r.Header.Get(HeaderSequence)
	rc.mu.Lock()
	if rc.seen == nil {
		rc.seen = map[string]int{}
	}
	rc.seen[seq]++
	attempt := rc.seen[seq]
	rc.mu.Unlock()
	if a, _ := strconv.Atoi(r.Header.Get(HeaderAttempt)); a != attempt {
		rc.t.Errorf("sequence %s: attempt header %d, want %d", seq, a, attempt)
	}
	if rc.fail != nil {
		if status := rc.fail(seq, attempt); status != 0 {
			w.WriteHeader(status)
			return
		}
	}
	ev := &ctiv1.Event{}
	if err := protojson.Unmarshal(body, ev); err != nil {
		rc.t.Errorf("body is not an event: %v", err)
	}
	rc.mu.Lock()
	rc.got = append(rc.got, ev)
	rc.mu.Unlock()
}

func (rc *receiver) events() []*ctiv1.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*ctiv1.Event(nil), rc.got...)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func callEvent(device string, n int) *ctiv1.Event {
	return &ctiv1.Event{Site: "hq", Device: "hq/" + device, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
		Call: &ctiv1.Call{CallId: strconv.Itoa(n), State: ctiv1.CallState_CALL_STATE_RINGING}}}}
}

func TestSignatureVerifies(t *testing.T) {
	now := time.Unix(1764612000, 0)
	body := []byte(`{"sequence":"7"}`)
	h := Signature([]byte(secret), now, body)
	if err := Verify([]byte(secret), h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("a fresh signature: %v", err)
	}
	for name, c := range map[string]struct {
		key, header string
		body        []byte
		at          time.Time
	}{
		"tampered body":  {secret, h, []byte(`{"sequence":"8"}`), now},
		"other secret":   {"another-secret", h, body, now},
		"replayed later": {secret, h, body, now.Add(10 * time.Minute)},
		"no v1":          {secret, "t=1764612000", body, now},
		"garbage":        {secret, "v1=zz,t=abc", body, now},
	} {
		if err := Verify([]byte(c.key), c.header, c.body, c.at, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

// Events of each device arrive in order even when every first attempt
// fails and is retried; nothing is lost.
func TestDeliversEachDevicesEventsInOrderThroughRetries(t *testing.T) {
	base := backoffBase
	backoffBase = 10 * time.Millisecond
	defer func() { backoffBase = base }()
	rc := &receiver{t: t, fail: func(_ string, attempt int) int {
		if attempt == 1 {
			return http.StatusServiceUnavailable
		}
		return 0
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	b := bus.New(1000)
	var c counts
	r := Start(b, 0, Config{Name: "crm", URL: srv.URL, Secret: secret, MaxAttempts: 3}, hclog.NewNullLogger(), &c)
	defer r.Stop()
	waitFor(t, "the subscription", func() bool { return b.Subscribers() == 1 })
	const perDevice, devices = 10, 6
	for i := range perDevice {
		for d := range devices {
			b.Publish(callEvent(fmt.Sprint("d", d), i))
		}
	}
	waitFor(t, "every event delivered", func() bool { return len(rc.events()) == perDevice*devices })
	last := map[string]int{}
	for _, ev := range rc.events() {
		n, _ := strconv.Atoi(ev.GetCallChanged().GetCall().GetCallId())
		if prev, ok := last[ev.GetDevice()]; ok && n != prev+1 {
			t.Errorf("%s: call %d delivered after %d", ev.GetDevice(), n, prev)
		}
		last[ev.GetDevice()] = n
	}
	// The receiver records an event before the webhook reads its answer
	// and counts it: the last count may come a moment later.
	waitFor(t, fmt.Sprintf("%d deliveries counted", perDevice*devices), func() bool { return c.get(ResultDelivered) >= perDevice*devices })
	if got := c.get(ResultDelivered); got != perDevice*devices {
		t.Errorf("delivered counted %d, want %d", got, perDevice*devices)
	}
	if got := c.get(ResultRetried); got != perDevice*devices {
		t.Errorf("retried counted %d, want %d (one per event)", got, perDevice*devices)
	}
}

// A receiver that never answers fills its own queue and drops, counted;
// another receiver of the same bus gets every event meanwhile, and
// publishing never waits.
func TestHungReceiverCostsTheOthersNothing(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	rc := &receiver{t: t}
	good := httptest.NewServer(rc)
	defer good.Close()
	b := bus.New(10000)
	var hungCounts, goodCounts counts
	h := Start(b, 0, Config{Name: "hung", URL: hung.URL, Secret: secret, Queue: 8, Timeout: time.Minute}, hclog.NewNullLogger(), &hungCounts)
	defer h.Stop()
	g := Start(b, 0, Config{Name: "good", URL: good.URL, Secret: secret}, hclog.NewNullLogger(), &goodCounts)
	defer g.Stop()
	waitFor(t, "both subscriptions", func() bool { return b.Subscribers() == 2 })
	const n = 500
	for i := range n {
		b.Publish(callEvent(fmt.Sprint("d", i%20), i))
	}
	waitFor(t, "the good receiver to get everything", func() bool { return len(rc.events()) == n })
	waitFor(t, "the hung receiver's drops counted", func() bool { return hungCounts.get(ResultQueueFull) >= n-8-4 })
	if got := hungCounts.get(ResultDelivered); got != 0 {
		t.Errorf("the hung receiver has %d deliveries", got)
	}
	if got := goodCounts.get(ResultQueueFull); got != 0 {
		t.Errorf("the good receiver dropped %d events", got)
	}
}

// A 4xx is the receiver's answer: not retried. A redirect is not followed.
func TestRefusalsAndRedirectsAreNotRetriedOrFollowed(t *testing.T) {
	var followed sync.Mutex
	hits := 0
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		followed.Lock()
		hits++
		followed.Unlock()
	}))
	defer target.Close()
	rc := &receiver{t: t, fail: func(seq string, _ int) int {
		if seq == "1" {
			return http.StatusBadRequest
		}
		return 0
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	b := bus.New(100)
	var c, rd counts
	r := Start(b, 0, Config{Name: "crm", URL: srv.URL, Secret: secret}, hclog.NewNullLogger(), &c)
	defer r.Stop()
	rr := Start(b, 0, Config{Name: "moved", URL: redirect.URL, Secret: secret, MaxAttempts: 1}, hclog.NewNullLogger(), &rd)
	defer rr.Stop()
	waitFor(t, "the subscriptions", func() bool { return b.Subscribers() == 2 })
	b.Publish(callEvent("a", 1))
	b.Publish(callEvent("a", 2))
	waitFor(t, "the second event delivered", func() bool { return len(rc.events()) == 1 })
	waitFor(t, "the redirect given up", func() bool { return rd.get(ResultGaveUp) == 2 })
	if c.get(ResultRefused) != 1 || c.get(ResultRetried) != 0 {
		t.Errorf("refused %d, retried %d; want 1 refused, none retried", c.get(ResultRefused), c.get(ResultRetried))
	}
	followed.Lock()
	defer followed.Unlock()
	if hits != 0 {
		t.Errorf("the redirect was followed %d times", hits)
	}
}

func TestRedactDropsQueryAndUser(t *testing.T) {
	if got := Redact("https://user:pw@crm.example/hook?token=abc#x"); got != "https://crm.example/hook" {
		t.Errorf("Redact: %s", got)
	}
}
