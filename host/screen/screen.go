// Package screen is the host's call screening: rules of config.hcl that
// reject, redirect, or ask a webhook about a caller while the call still
// rings. The host hands every event to Observe; on the first ringing event
// of an inbound call whose caller matches a rule, the screener acts
// through the device's own Reject or Redirect (the host API's, so the
// per-device limits and the driver's checks apply), then publishes a
// CallScreened event with the decision and its latency, writes an audit
// line and counts it. Observe itself never waits: the decision runs on a
// goroutine of its own.
package screen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/host/directory"
	"github.com/ctihost/ctihost/host/webhook"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Rule is one screening block.
type Rule struct {
	Name  string
	Sites []string // "*" for every site
	// Callers are patterns: digits, an optional leading +, "*" for any
	// digits; "anonymous" matches a call without a number.
	Callers     []string
	Action      string // reject, redirect or ask
	Destination string
	URL, Secret string
	Deadline    time.Duration
}

// Commands are the host API's call commands the screener uses.
type Commands interface {
	Reject(context.Context, *ctiv1.CallRequest) (*ctiv1.CommandResponse, error)
	Redirect(context.Context, *ctiv1.TransferRequest) (*ctiv1.CommandResponse, error)
}

// Recorder counts decisions (metrics.Metrics).
type Recorder interface {
	Screening(rule, action, result string, latency time.Duration)
}

// maxSeen bounds the calls remembered as already screened.
const maxSeen = 10000

// maxAnswer bounds an ask webhook's answer.
const maxAnswer = 16 << 10

// Screener applies rules. Safe for concurrent use.
type Screener struct {
	cmds    Commands
	publish func(*ctiv1.Event)
	audit   hclog.Logger
	rec     Recorder
	client  *http.Client
	rules   atomic.Pointer[[]Rule]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	seen map[string]bool
	fifo []string
}

// New returns a screener with no rules.
func New(cmds Commands, publish func(*ctiv1.Event), audit hclog.Logger, rec Recorder) *Screener {
	ctx, cancel := context.WithCancel(context.Background())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &Screener{cmds: cmds, publish: publish, audit: audit, rec: rec, ctx: ctx, cancel: cancel, seen: map[string]bool{},
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// SetRules replaces the rules (a reload).
func (s *Screener) SetRules(rules []Rule) { s.rules.Store(&rules) }

// Stop waits for the decisions under way, cancelling their webhooks.
func (s *Screener) Stop() {
	s.cancel()
	s.wg.Wait()
}

// Observe looks at one event about to be published. Cheap: a matching
// call's decision runs on its own goroutine.
func (s *Screener) Observe(ev *ctiv1.Event) {
	c := ev.GetCallChanged().GetCall()
	if c == nil || c.GetState() != ctiv1.CallState_CALL_STATE_RINGING || c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND || ev.GetDevice() == "" {
		return
	}
	rules := s.rules.Load()
	if rules == nil || len(*rules) == 0 || !s.first(ev.GetDevice()+"\x00"+c.GetCallId(), c.GetGlobalCallId()) {
		return
	}
	rule := match(*rules, ev.GetSite(), c.GetRemote().GetNumber())
	if rule == nil {
		return
	}
	began := time.Now()
	ev = proto.Clone(ev).(*ctiv1.Event)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.decide(rule, ev, began)
	}()
}

// first reports whether a call is seen for the first time, remembering
// it: by its id at the device, and by its global id, so that a call a
// rule redirected is not screened again where it rings next (which could
// redirect it in a loop).
func (s *Screener) first(key, global string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[key] || (global != "" && s.seen["g\x00"+global]) {
		return false
	}
	s.remember(key)
	if global != "" {
		s.remember("g\x00" + global)
	}
	return true
}

// remember adds key, forgetting the oldest beyond maxSeen. s.mu is held.
func (s *Screener) remember(key string) {
	if len(s.fifo) >= maxSeen {
		delete(s.seen, s.fifo[0])
		s.fifo = s.fifo[1:]
	}
	s.seen[key] = true
	s.fifo = append(s.fifo, key)
}

// match is the first rule of site whose callers match number, or nil.
func match(rules []Rule, site, number string) *Rule {
	norm, ok := directory.NormalizeNumber(number)
	for i := range rules {
		r := &rules[i]
		if !servesSite(r.Sites, site) {
			continue
		}
		for _, p := range r.Callers {
			if p == "anonymous" {
				if strings.TrimSpace(number) == "" || strings.EqualFold(number, "anonymous") {
					return r
				}
				continue
			}
			if ok {
				if m, _ := path.Match(p, norm); m {
					return r
				}
			}
		}
	}
	return nil
}

func servesSite(sites []string, site string) bool {
	for _, s := range sites {
		if s == "*" || s == site {
			return true
		}
	}
	return false
}

// decide runs a rule for the ringing event ev, first seen at began.
func (s *Screener) decide(r *Rule, ev *ctiv1.Event, began time.Time) {
	c := ev.GetCallChanged().GetCall()
	out := &ctiv1.CallScreened{Call: c, Rule: r.Name}
	action, dest := r.Action, r.Destination
	if action == "ask" {
		var timedOut bool
		action, dest, timedOut = s.ask(r, ev)
		out.TimedOut = timedOut
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	var err error
	switch action {
	case "reject":
		out.Action = ctiv1.ScreeningAction_SCREENING_ACTION_REJECT
		_, err = s.cmds.Reject(ctx, &ctiv1.CallRequest{Device: ev.GetDevice(), CallId: c.GetCallId()})
	case "redirect":
		out.Action, out.Destination = ctiv1.ScreeningAction_SCREENING_ACTION_REDIRECT, dest
		_, err = s.cmds.Redirect(ctx, &ctiv1.TransferRequest{Device: ev.GetDevice(), CallId: c.GetCallId(), Destination: dest})
	default:
		out.Action = ctiv1.ScreeningAction_SCREENING_ACTION_ALLOW
	}
	latency := time.Since(began)
	out.Latency = durationpb.New(latency)
	result := "done"
	if err != nil {
		out.Error = status.Convert(err).Message()
		result = "failed"
	}
	if out.TimedOut {
		result = "timed_out"
	}
	actionName := strings.ToLower(strings.TrimPrefix(out.GetAction().String(), "SCREENING_ACTION_"))
	s.publish(&ctiv1.Event{Site: ev.GetSite(), Device: ev.GetDevice(), Time: timestamppb.Now(), Payload: &ctiv1.Event_CallScreened{CallScreened: out}})
	if s.audit != nil {
		s.audit.Info("screening", "rule", r.Name, "device", ev.GetDevice(), "call", c.GetCallId(), "caller", c.GetRemote().GetNumber(),
			"action", actionName, "destination", out.GetDestination(), "result", result, "error", out.GetError(), "took", latency.Round(time.Microsecond))
	}
	if s.rec != nil {
		s.rec.Screening(r.Name, actionName, result, latency)
	}
}

// askAnswer is what an ask webhook answers.
type askAnswer struct {
	Action      string `json:"action"`
	Destination string `json:"destination"`
}

// ask POSTs the ringing event to the rule's webhook, signed as webhooks
// are, and returns its decision; allow when it does not answer a valid
// decision within the deadline.
func (s *Screener) ask(r *Rule, ev *ctiv1.Event) (action, dest string, timedOut bool) {
	body, err := protojson.Marshal(ev)
	if err != nil {
		return "allow", "", false
	}
	ctx, cancel := context.WithTimeout(s.ctx, r.Deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return "allow", "", false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderSignature, webhook.Signature([]byte(r.Secret), time.Now(), body))
	req.Header.Set(webhook.HeaderSequence, "0")
	req.Header.Set(webhook.HeaderWebhook, r.Name)
	resp, err := s.client.Do(req)
	if err != nil {
		return "allow", "", errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	defer resp.Body.Close()
	var a askAnswer
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&a) != nil {
		return "allow", "", errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	switch a.Action {
	case "reject":
		return "reject", "", false
	case "redirect":
		if a.Destination != "" && len(a.Destination) <= 64 {
			return "redirect", a.Destination, false
		}
	}
	return "allow", "", false
}
