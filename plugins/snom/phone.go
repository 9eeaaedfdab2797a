package snom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Call expiry: a phone whose disconnected callback was lost would keep a
// call forever; a call without any callback for this long ends LOST.
const (
	ringingTTL   = 2 * time.Minute
	connectedTTL = 4 * time.Hour
)

// tracking is what the driver keeps per call besides the CallSet.
type tracking struct {
	mu          sync.Mutex
	lastSeen    map[string]time.Time // csta id -> last callback
	transferred map[string]bool      // a transfer callback came
	related     map[string]string    // consultation call -> its held call
	joining     map[string]string    // held call -> call of a pending CompleteTransfer
	// consultFor is the held call of a ConsultTransfer whose consultation
	// call has not been seen yet: the next new outgoing call is it.
	consultFor   string
	consultSince time.Time
}

// consultWindow is how long a ConsultTransfer waits for its outgoing
// callback to name the consultation call.
const consultWindow = 30 * time.Second

// forget drops what is tracked of call id. p.track.mu is held.
func (t *tracking) forget(id string) {
	delete(t.lastSeen, id)
	delete(t.transferred, id)
	delete(t.related, id)
	delete(t.joining, id)
	if t.consultFor == id {
		t.consultFor = ""
	}
}

// phone is one configured Snom phone.
type phone struct {
	// userHost is the first identity's registrar (user_host1), for the
	// SIP URIs CSTA targets must be.
	userHost string
	cfg      phoneConfig
	set      settings
	model    snomapi.Model
	client   *snomapi.Client // CSTA and commands, with the detected firmware
	probe    *snomapi.Client // reachability, without firmware (no gate)
	redact   *sdk.Redactor
	logger   hclog.Logger
	publish  func(*ctiv1.Event)
	now      func() time.Time

	path, token string // callback path below callback_base_url, and secret
	calls       *sdk.CallSet
	track       *tracking
	cstaOK      *atomic.Bool // the firmware has working CSTA over HTTP

	csta   sync.Mutex    // serializes CSTA requests to the phone
	fwtest chan struct{} // the firewall-test callback arrived
	kick   chan struct{} // re-provision now

	mu         sync.Mutex
	status     *ctiv1.DeviceStatus // last published
	announced  bool
	reachable  bool
	why        string // why unreachable or degraded
	info       string // model, firmware, mac
	events     string // the state of the callbacks
	cstaReason string // why CSTA does not work, "" if it does

	cancel context.CancelFunc
	done   chan struct{}
}

func newPhone(cfg phoneConfig, set settings, hc *http.Client, logger hclog.Logger, publish func(*ctiv1.Event)) (*phone, error) {
	model, err := snomapi.LookupModel(cfg.model)
	if err != nil {
		return nil, sdk.InvalidArgument("device %q: model %q: %v", cfg.id, cfg.model, err)
	}
	base := cfg.host
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		base = "http://" + base
	}
	mk := func(withModel bool) (*snomapi.Client, error) {
		c := snomapi.Config{BaseURL: base, Username: cfg.username, Password: cfg.password, Auth: cfg.auth,
			HTTPClient: hc, Timeout: set.requestTimeout}
		if withModel {
			c.Model = model.Name
		}
		return snomapi.New(c)
	}
	client, err := mk(true)
	if err != nil {
		return nil, sdk.InvalidArgument("device %q: %v", cfg.id, sdk.NewRedactor(cfg.password).Redact(err.Error()))
	}
	probe, _ := mk(false)
	path, token := callbackIDs(set.callbackSecret, cfg.id)
	p := &phone{cfg: cfg, set: set, model: model, client: client, probe: probe,
		redact: sdk.NewRedactor(cfg.password), logger: logger.With("device", cfg.id), publish: publish, now: time.Now,
		path: path, token: token,
		track:  &tracking{lastSeen: map[string]time.Time{}, transferred: map[string]bool{}, related: map[string]string{}, joining: map[string]string{}},
		cstaOK: &atomic.Bool{}, fwtest: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
	p.calls = sdk.NewCallSet(cfg.id, opsFor(func() bool { return p.cstaOK.Load() }))
	return p, nil
}

// start runs the phone's background loop.
func (p *phone) start() {
	if p.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		p.run(ctx)
	}()
}

// stop ends the background loop and waits for it.
func (p *phone) stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}

// run provisions the phone, then watches that it stays reachable and
// expires calls whose end never came. An unreachable phone is retried
// with backoff.
func (p *phone) run(ctx context.Context) {
	backoff := p.set.retryInterval
	provisioned := false
	sweep := time.NewTicker(min(p.set.pollInterval, 10*time.Second))
	defer sweep.Stop()
	var wait time.Duration
	for {
		due := time.Now().Add(wait)
	waiting:
		for wait > 0 {
			t := time.NewTimer(time.Until(due))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-p.kick:
				t.Stop()
				provisioned = false
				break waiting
			case <-sweep.C:
				t.Stop()
				p.expire(p.now())
			case <-t.C:
				break waiting
			}
		}
		if ctx.Err() != nil {
			return
		}
		if !provisioned {
			ok := p.provision(ctx)
			if !ok {
				wait = backoff
				backoff = min(2*backoff, max(p.set.pollInterval, p.set.retryInterval))
				continue
			}
			provisioned, backoff = true, p.set.retryInterval
			if p.degraded() {
				// The callbacks did not come back: try again later (the
				// host's listener may start after, or a firewall open).
				provisioned, wait = false, p.set.retryInterval
				continue
			}
		} else if !p.check(ctx) {
			provisioned = false // it may have been reset or replaced meanwhile
			wait = backoff
			continue
		}
		wait = p.set.pollInterval
	}
}

// check asks the phone for its settings: any HTTP answer means it is
// reachable.
func (p *phone) check(ctx context.Context) bool {
	rctx, cancel := context.WithTimeout(ctx, p.set.requestTimeout)
	defer cancel()
	_, err := p.probe.GetSettings(rctx)
	if err == nil || answered(err) {
		return true
	}
	if ctx.Err() == nil {
		p.setReachable(false, "the phone does not answer: "+p.redact.Redact(err.Error()))
	}
	return false
}

// answered reports whether err came with an HTTP answer from the phone.
func answered(err error) bool {
	var ce *snomapi.CSTAError
	if errors.As(err, &ce) {
		return true
	}
	var se *snomapi.Error
	return errors.As(err, &se) && se.HTTPStatus != 0
}

// provision reads the phone's identity and firmware, installs the action
// URLs and proves them with FireTest. It reports whether the phone could
// be taken (reachable, even if degraded).
func (p *phone) provision(ctx context.Context) bool {
	rctx, cancel := context.WithTimeout(ctx, p.set.requestTimeout)
	defer cancel()
	p.csta.Lock()
	defer p.csta.Unlock()
	settings, err := p.client.GetSettings(rctx)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		var se *snomapi.Error
		switch {
		case errors.As(err, &se) && se.Kind == snomapi.KindAuth:
			p.setReachable(false, "the phone refused the configured username and password: fix them in config.hcl")
			return false
		case answered(err):
			// No working CSTA: a firmware before 7.3.4 (404) or 8.7.0-8.7.2
			// (500). Commands on web pages still work; events cannot be
			// provisioned.
			p.cstaOK.Store(false)
			p.mu.Lock()
			p.cstaReason = "the phone's firmware has no working CSTA over HTTP (before 7.3.4, or 8.7.0-8.7.2): " + p.redact.Redact(err.Error())
			p.info = "Snom " + p.model.Name + ", firmware unknown (no CSTA)"
			p.events = "events unavailable: action URLs are provisioned over CSTA; upgrade the firmware"
			p.mu.Unlock()
			p.setReachable(true, "")
			return true
		}
		p.setReachable(false, "the phone does not answer: "+p.redact.Redact(err.Error()))
		return false
	}
	fwText := settings["firmware_version"]
	fw, _, derr := p.client.DetectDialect(rctx)
	p.mu.Lock()
	p.userHost = strings.TrimSpace(settings["user_host1"])
	p.info = fmt.Sprintf("Snom %s (phone_type %s), firmware %s, mac %s", p.model.Name, orUnknown(settings["phone_type"]), orUnknown(fwText), orUnknown(settings["mac"]))
	if derr != nil && errors.Is(derr, snomapi.ErrUnsupported) {
		p.cstaReason = fmt.Sprintf("firmware %s has no working CSTA over HTTP: %s", fw, p.redact.Redact(derr.Error()))
	} else if derr != nil {
		p.mu.Unlock()
		p.setReachable(false, "the phone's settings could not be read: "+p.redact.Redact(derr.Error()))
		return false
	} else {
		p.cstaReason = ""
	}
	cstaOK := p.cstaReason == ""
	p.mu.Unlock()
	p.cstaOK.Store(cstaOK)
	if !cstaOK {
		p.setEvents("events unavailable: action URLs are provisioned over CSTA, which this firmware lacks; upgrade the firmware")
		p.setReachable(true, "")
		return true
	}
	if p.set.callbackBase == "" {
		p.setEvents("events unavailable: the host has no callback listener (set callback_listen in the host block), so the phone cannot report calls")
		p.setReachable(true, "")
		return true
	}
	if err := p.client.SetSettings(rctx, snomapi.ActionSettings(p.set.callbackBase+p.path, p.token)); err != nil {
		p.setEvents("events unavailable: the action URLs could not be set: " + p.redact.Redact(err.Error()))
		p.setReachable(true, "")
		return true
	}
	p.setReachable(true, "")
	select { // drop a stale test
	case <-p.fwtest:
	default:
	}
	if err := p.client.FireTest(rctx); err != nil {
		p.setEvents("events degraded: the phone refused the callback test: " + p.redact.Redact(err.Error()))
		return true
	}
	t := time.NewTimer(p.set.callbackTimeout)
	defer t.Stop()
	select {
	case <-p.fwtest:
		p.setEvents("")
	case <-t.C:
		p.setEvents("events degraded: the phone's callbacks do not reach the host: check callback_url, firewall, NAT")
	case <-ctx.Done():
	}
	return true
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// degraded reports whether the phone's callbacks did not reach the driver.
func (p *phone) degraded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.HasPrefix(p.events, "events degraded")
}

func (p *phone) setEvents(s string) {
	p.mu.Lock()
	p.events = s
	p.mu.Unlock()
	p.announce()
}

func (p *phone) setReachable(up bool, why string) {
	p.mu.Lock()
	p.reachable, p.why = up, why
	p.mu.Unlock()
	p.announce()
}

// statusNow builds the DeviceStatus. p.mu is held.
func (p *phone) statusNow() *ctiv1.DeviceStatus {
	var parts []string
	for _, s := range []string{p.info, p.why, p.cstaReason, p.events} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	st := &ctiv1.DeviceStatus{Reachable: p.reachable, Detail: strings.Join(parts, "; ")}
	if p.cstaReason != "" {
		st.UnavailableOperations = cstaCapabilities
	}
	return st
}

// announce publishes a DeviceChanged on the first status and each change.
func (p *phone) announce() {
	p.mu.Lock()
	st := p.statusNow()
	if p.announced && proto.Equal(st, p.status) {
		p.mu.Unlock()
		return
	}
	p.status, p.announced = st, true
	ev := deviceEvent(p.cfg.id, st)
	// Published under p.mu so that status events leave in order.
	p.publish(ev)
	p.mu.Unlock()
}

func deviceEvent(id string, st *ctiv1.DeviceStatus) *ctiv1.Event {
	return &ctiv1.Event{Device: id, Time: timestamppb.Now(),
		Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: proto.Clone(st).(*ctiv1.DeviceStatus)}}}
}

// state is the DeviceState.
func (p *phone) state() *ctiv1.DeviceState {
	p.mu.Lock()
	st := p.statusNow()
	p.mu.Unlock()
	return &ctiv1.DeviceState{Device: p.cfg.id, Model: p.model.Name, Status: st, Calls: p.calls.Calls(), UpdatedAt: timestamppb.Now()}
}

// snapshotEvents are the events a new stream starts with.
func (p *phone) snapshotEvents() []*ctiv1.Event {
	p.mu.Lock()
	evs := []*ctiv1.Event{deviceEvent(p.cfg.id, p.statusNow())}
	p.mu.Unlock()
	for _, c := range p.calls.Calls() {
		evs = append(evs, &ctiv1.Event{Device: p.cfg.id, Time: timestamppb.Now(),
			Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: c}}})
	}
	return evs
}

// emit publishes events in order.
func (p *phone) emit(evs []*ctiv1.Event) {
	for _, ev := range evs {
		p.publish(ev)
	}
}

// callbackFrom reports whether remoteAddr may be the phone: when host is
// an IP address, the callback must come from it.
func (p *phone) callbackFrom(remoteAddr string) bool {
	h := p.cfg.host
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	h = strings.TrimSuffix(h, "/")
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	want, err := netip.ParseAddr(strings.Trim(h, "[]"))
	if err != nil {
		return true // a name: the address cannot be checked
	}
	ra := remoteAddr
	if hh, _, err := net.SplitHostPort(ra); err == nil {
		ra = hh
	}
	got, err := netip.ParseAddr(strings.Trim(ra, "[]"))
	return err == nil && got.Unmap() == want.Unmap()
}

// onCallback applies one authenticated action URL callback.
func (p *phone) onCallback(cb snomapi.Callback) {
	if cb.Event == "fwtest" {
		select {
		case p.fwtest <- struct{}{}:
		default:
		}
		if p.degraded() { // a late test: the path works after all
			p.setEvents("")
		}
		return
	}
	id := cb.CSTAID
	if id == "" {
		return // offhook, onhook: no call
	}
	now := p.now()
	p.track.mu.Lock()
	defer p.track.mu.Unlock() // held while publishing: one phone's calls in order
	p.track.lastSeen[id] = now
	snap := &ctiv1.Call{CallId: id, VendorState: cb.Event}
	switch cb.Event {
	case "incoming":
		snap.State, snap.Direction = ringing, ctiv1.CallDirection_CALL_DIRECTION_INBOUND
		snap.Remote, snap.Local = party(cb.Remote, cb.DisplayRemote), party(cb.Local, "")
	case "outgoing":
		snap.State, snap.Direction = dialing, ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
		snap.Remote, snap.Local = party(cb.Remote, cb.DisplayRemote), party(cb.Local, "")
		if t := p.track; t.consultFor != "" && t.consultFor != id && p.calls.Call(id) == nil {
			if now.Sub(t.consultSince) < consultWindow && p.calls.Call(t.consultFor) != nil {
				t.related[id] = t.consultFor
			}
			t.consultFor = ""
		}
	case "connected", "unhold":
		snap.State = connected
	case "hold":
		snap.State = held
	case "transfer", "blind_transfer", "attended_transfer":
		p.track.transferred[id] = true
		if other := p.track.joining[id]; other != "" {
			p.track.transferred[other] = true
		}
		if cb.Event == "attended_transfer" { // the held call's consultation leaves with it
			for c, h := range p.track.related {
				if h == id {
					p.track.transferred[c] = true
				}
			}
		}
		return
	case "disconnected", "missed":
		reason, by := ctiv1.EndReason_END_REASON_UNSPECIFIED, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED
		switch {
		case cb.Event == "missed":
			reason, by = ctiv1.EndReason_END_REASON_NO_ANSWER, ctiv1.EndedBy_ENDED_BY_REMOTE
		case p.track.transferred[id]:
			reason = ctiv1.EndReason_END_REASON_TRANSFERRED
		}
		p.track.forget(id)
		if p.calls.Call(id) != nil {
			p.emit(p.calls.End(now, id, reason, by, "snom "+cb.Event))
		} else {
			p.emit(p.calls.EndSnapshot(now, snap, reason, by, "snom "+cb.Event))
		}
		return
	default:
		return
	}
	snap.RelatedCallId = p.track.related[id]
	p.emit(p.calls.Upsert(now, snap))
}

// relate records that call consult is the consultation of held call
// held, and shows it on the call if the phone reported it already.
func (p *phone) relate(consult, held string) {
	p.track.mu.Lock()
	defer p.track.mu.Unlock()
	if p.track.consultFor == held {
		p.track.consultFor = ""
	}
	if p.track.related[consult] == held {
		return
	}
	c := p.calls.Call(consult)
	if c == nil && p.calls.Call(held) == nil {
		return // both over already
	}
	p.track.related[consult] = held
	if c != nil {
		c.RelatedCallId = held
		p.emit(p.calls.Upsert(p.now(), c))
	}
}

// party reads a SIP URI ("sip:5551001@pbx", "\"Ada\" <sip:...>") as a
// number, with a display name.
func party(uri, name string) *ctiv1.Party {
	u := strings.TrimSpace(uri)
	if i := strings.IndexByte(u, '<'); i >= 0 {
		u = u[i+1:]
		if j := strings.IndexByte(u, '>'); j >= 0 {
			u = u[:j]
		}
	}
	for _, scheme := range []string{"sip:", "sips:", "tel:"} {
		u = strings.TrimPrefix(u, scheme)
	}
	if i := strings.IndexAny(u, "@;"); i >= 0 {
		u = u[:i]
	}
	if u == "" && name == "" {
		return nil
	}
	return &ctiv1.Party{Number: u, Name: strings.TrimSpace(name)}
}

// expire ends calls that had no callback for too long: their end was
// lost (the phone rebooted, a callback was dropped).
func (p *phone) expire(now time.Time) {
	p.track.mu.Lock()
	defer p.track.mu.Unlock()
	for _, c := range p.calls.Calls() {
		id := c.GetCallId()
		seen, ok := p.track.lastSeen[id]
		if !ok {
			p.track.lastSeen[id] = now
			continue
		}
		ttl := connectedTTL
		if s := c.GetState(); s == ringing || s == dialing || s == ringback {
			ttl = ringingTTL
		}
		if now.Sub(seen) < ttl {
			continue
		}
		p.track.forget(id)
		p.emit(p.calls.End(now, id, ctiv1.EndReason_END_REASON_LOST, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED,
			fmt.Sprintf("no callback from the phone for %s while %s: its disconnected callback was lost, the call is presumed over", ttl, stateWord(c.GetState()))))
	}
}

func stateWord(s ctiv1.CallState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CALL_STATE_"))
}
