// Package webhook delivers the host's events to HTTP receivers: a CRM's
// screen pop, a helpdesk, a chat bot. Each receiver gets its own bus
// subscription, its own bounded queues and its own HTTP client, so a slow
// or dead receiver costs the host, the apps and the other receivers
// nothing: the subscription only enqueues, never waits.
//
// A delivery is an HTTP POST of the event as JSON (protojson, the names an
// HTTP/JSON client of the API sees), signed with the receiver's secret:
//
//	CTIHost-Signature: t=1764612000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// v1 is the hex HMAC-SHA256, keyed with the secret, of the timestamp t, a
// dot and the raw body. A receiver recomputes it, compares in constant
// time, and refuses a t more than five minutes old (a replay). Events of
// one device are delivered in order (each device's events go through one
// lane); a failed delivery is retried with backoff before the next event
// of its lane, at most Config.MaxAttempts times; an event that cannot be
// queued, or is given up, is counted as dropped.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ctihost/ctihost/host/bus"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Defaults of Config.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultQueue       = 1000
	DefaultMaxAttempts = 8
	// lanes per receiver: events of one device share one, so different
	// devices' deliveries overlap while one device's stay in order.
	lanes = 4
	// maxResponse is how much of a receiver's answer is read (and thrown
	// away) so the connection can be reused.
	maxResponse = 64 << 10
)

// Retry backoff: 500ms doubling to 30s, jittered (a variable for tests).
var backoffBase, backoffMax = 500 * time.Millisecond, 30 * time.Second

// Header names of a delivery.
const (
	HeaderSignature = "CTIHost-Signature"
	HeaderSequence  = "CTIHost-Sequence"
	HeaderWebhook   = "CTIHost-Webhook"
	HeaderAttempt   = "CTIHost-Attempt"
)

// Config is one webhook block.
type Config struct {
	Name   string
	URL    string
	Secret string
	// Filter selects the events (sites, kinds); nil is every event.
	Filter      *bus.Filter
	Timeout     time.Duration
	Queue       int // events waiting, over all lanes
	MaxAttempts int
}

// Results of a delivery, as metrics label them.
const (
	ResultDelivered = "delivered"
	ResultRetried   = "retried"    // an attempt failed and will be retried
	ResultGaveUp    = "gave_up"    // MaxAttempts failed
	ResultRefused   = "refused"    // the receiver answered 4xx (not 408 or 429): not retried
	ResultQueueFull = "queue_full" // dropped before any attempt: the lane was full
	ResultGap       = "gap"        // the bus overwrote events before the webhook read them
)

// Recorder counts deliveries by webhook and result (metrics.Metrics).
type Recorder interface {
	Webhook(name, result string, n uint64)
}

// Signature is the CTIHost-Signature value for body at time t.
func Signature(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a CTIHost-Signature header for body against secret,
// refusing a timestamp further than tolerance from now: what a receiver
// written in Go does (the README shows the same in a few lines of other
// languages).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range bytes.Split([]byte(header), []byte{','}) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(part), []byte{'='})
		switch {
		case !ok:
		case string(k) == "t":
			ts = string(v)
		case string(k) == "v1":
			sig = string(v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhook: malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: signature timestamp outside the tolerance (a replay?)")
	}
	want := Signature(secret, time.Unix(sec, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("webhook: signature does not match")
	}
	return nil
}

// Receiver delivers the bus's events to one webhook until Stop.
type Receiver struct {
	cfg    Config
	logger hclog.Logger
	rec    Recorder
	client *http.Client
	lanes  [lanes]chan *ctiv1.Event
	cancel context.CancelFunc
	done   sync.WaitGroup
	now    func() time.Time
}

// Start subscribes a receiver to b from sequence from (0: events published
// from now on) and starts its lanes. logger must not print cfg.Secret
// (the host's log redacts it anyway).
func Start(b *bus.Bus, from uint64, cfg Config, logger hclog.Logger, rec Recorder) *Receiver {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost = lanes, lanes
	tr.ResponseHeaderTimeout = cfg.Timeout
	ctx, cancel := context.WithCancel(context.Background())
	r := &Receiver{
		cfg: cfg, logger: logger.With("webhook", cfg.Name, "url", Redact(cfg.URL)), rec: rec, cancel: cancel, now: time.Now,
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer, not a new destination for signed events
		}},
	}
	per := max(cfg.Queue/lanes, 1)
	for i := range r.lanes {
		r.lanes[i] = make(chan *ctiv1.Event, per)
		r.done.Add(1)
		go r.deliverLane(ctx, r.lanes[i])
	}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		err := b.Subscribe(ctx, from, cfg.Filter, r.enqueue)
		if err != nil && ctx.Err() == nil {
			r.logger.Error("webhook subscription ended", "error", err)
		}
	}()
	return r
}

// Stop ends the subscription and the deliveries; events still queued are
// dropped (a reload that changed the webhook replaces it).
func (r *Receiver) Stop() {
	r.cancel()
	r.done.Wait()
}

// enqueue is the bus subscription's callback: it never blocks.
func (r *Receiver) enqueue(e *bus.Encoded) error {
	ev := e.Event
	if e.Lost > 0 && r.rec != nil {
		r.rec.Webhook(r.cfg.Name, ResultGap, e.Lost)
	}
	select {
	case r.lanes[laneOf(ev)] <- ev:
	default:
		if r.rec != nil {
			r.rec.Webhook(r.cfg.Name, ResultQueueFull, 1)
		}
	}
	return nil
}

// laneOf keeps a device's events (and a site's device-less ones) in one
// lane.
func laneOf(ev *ctiv1.Event) int {
	key := ev.GetDevice()
	if key == "" {
		key = ev.GetSite()
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % lanes)
}

// deliverLane delivers one lane's events in order.
func (r *Receiver) deliverLane(ctx context.Context, lane <-chan *ctiv1.Event) {
	defer r.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-lane:
			r.deliver(ctx, ev)
		}
	}
}

// deliver posts one event, retrying with backoff until it is accepted,
// refused, or MaxAttempts failed.
func (r *Receiver) deliver(ctx context.Context, ev *ctiv1.Event) {
	body, err := protojson.Marshal(ev)
	if err != nil {
		r.logger.Error("event not delivered: cannot encode it", "sequence", ev.GetSequence(), "error", err)
		r.record(ResultGaveUp)
		return
	}
	for attempt := 1; ; attempt++ {
		status, err := r.post(ctx, ev, body, attempt)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && status >= 200 && status < 300:
			r.record(ResultDelivered)
			return
		case err == nil && status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
			r.logger.Warn("the receiver refused an event; not retried", "sequence", ev.GetSequence(), "status", status)
			r.record(ResultRefused)
			return
		case attempt >= r.cfg.MaxAttempts:
			r.logger.Warn("event given up", "sequence", ev.GetSequence(), "attempts", attempt, "status", status, "error", err)
			r.record(ResultGaveUp)
			return
		}
		r.record(ResultRetried)
		timer := time.NewTimer(backoff(attempt))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

func (r *Receiver) record(result string) {
	if r.rec != nil {
		r.rec.Webhook(r.cfg.Name, result, 1)
	}
}

// post makes one attempt; its error never holds the URL's query (a
// receiver's token may be in it).
func (r *Receiver) post(ctx context.Context, ev *ctiv1.Event, body []byte, attempt int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ctihost-webhook/1")
	req.Header.Set(HeaderSignature, Signature([]byte(r.cfg.Secret), r.now(), body))
	req.Header.Set(HeaderSequence, strconv.FormatUint(ev.GetSequence(), 10))
	req.Header.Set(HeaderWebhook, r.cfg.Name)
	req.Header.Set(HeaderAttempt, strconv.Itoa(attempt))
	resp, err := r.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("%s %s: %w", req.Method, Redact(r.cfg.URL), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// backoff is the jittered wait after attempt failed attempts.
func backoff(attempt int) time.Duration {
	d := backoffBase
	for i := 1; i < attempt && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return d/2 + rand.N(d/2+1)
}

// Redact is a webhook URL fit for a log: no user info, no query.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
