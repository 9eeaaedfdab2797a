package mirta

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/plugins/mirta/mirtaapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// pbxAPI is what the driver asks of one tenant of a MiRTA PBX
// (apiClient adapts mirtaapi.Client; tests may fake it).
type pbxAPI interface {
	extensions(ctx context.Context) ([]extInfo, error)
	queues(ctx context.Context) ([]queueInfo, error)
	channels(ctx context.Context) ([]leg, error)
	blfs(ctx context.Context) (map[string]string, error)
	queueCallers(ctx context.Context, queueID string) ([]caller, error)
	queueMembers(ctx context.Context, queueID string) ([]member, error)
	dndGet(ctx context.Context, ext string) (bool, error)
	dndSet(ctx context.Context, ext string, on bool) error
	dial(ctx context.Context, source, dest string, opts dialOptions) (string, error)
	hangup(ctx context.Context, channel string) error
	transfer(ctx context.Context, channel, dest string) error
	queueAdd(ctx context.Context, queueID, ext string) error
	queueDel(ctx context.Context, queueID, ext string) error
	agentPause(ctx context.Context, queueID, ext, reason string, paused bool) error
	reboot(ctx context.Context, ext string) error
	phonebooks(ctx context.Context) ([]string, error)
	phonebookQuery(ctx context.Context, book, field, value string) ([]map[string]string, error)
}

type extInfo struct{ number, name string }

type queueInfo struct{ id, name string }

// caller is one caller waiting in a queue (INFO queuecallers).
type caller struct {
	uniqueid, channel string
	number, name      string
	position          int
}

// member is one agent of a queue (QUEUE list).
type member struct {
	ext, name string
	paused    bool
	reason    string
}

type dialOptions struct {
	autoAnswer  bool
	dialTimeout time.Duration
	recording   string
	destCLID    string
	vars        []string
}

// tenant polls one tenant of one PBX (one connection block) and turns
// what it reads into the devices' events: one poll per tenant, fanned out
// to its extensions and queues, never one per extension.
type tenant struct {
	cfg        connConfig
	api        pbxAPI
	logger     hclog.Logger
	publish    func(*ctiv1.Event)
	configured map[string]string // "e:NUMBER" or "q:ID" -> the device block's id
	contacts   *contactCache

	kick chan struct{} // a poll now, after a command
	stop chan struct{}
	done chan struct{}

	mu         sync.Mutex
	up         bool
	polled     bool // a poll succeeded since the link came up
	lastErr    string
	since      time.Time
	exts       map[string]*extDev   // by extension number
	queues     map[string]*queueDev // by queue id
	meta       map[string]*callMeta // by leg uniqueid
	originates map[string]*originate
	legs       map[string]leg // every leg of the last poll, by uniqueid
	dndDue     time.Time
}

// extDev is an extension of the tenant.
type extDev struct {
	id, number, name string
	configured       bool
	calls            *sdk.CallSet
	blf              string
	dnd              *bool
	status           *ctiv1.DeviceStatus
	memberships      map[string]*ctiv1.QueueMembership // by queue id
}

// queueDev is a queue of the tenant.
type queueDev struct {
	id, qid, name string
	configured    bool
	calls         *sdk.CallSet
	status        *ctiv1.DeviceStatus
	qstatus       *ctiv1.QueueStatus
}

func newTenant(cfg connConfig, api pbxAPI, configured map[string]string, logger hclog.Logger, publish func(*ctiv1.Event)) *tenant {
	return &tenant{
		cfg: cfg, api: api, logger: logger, publish: publish, configured: configured,
		contacts: newContactCache(cfg.lookupCache),
		kick:     make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		exts: map[string]*extDev{}, queues: map[string]*queueDev{}, meta: map[string]*callMeta{},
		originates: map[string]*originate{}, legs: map[string]leg{}, since: time.Now(),
	}
}

func (t *tenant) start() { go t.run() }

func (t *tenant) close() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}

// poke asks for a poll now (after a command), without waiting.
func (t *tenant) poke() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// run discovers, then polls until closed. Failures back off (jittered,
// doubling to 30s): a PBX that refuses or struggles is not hammered.
func (t *tenant) run() {
	defer close(t.done)
	var nextDiscovery time.Time
	failures := 0
	for {
		err := t.cycle(&nextDiscovery)
		wait := t.cfg.poll
		if err != nil {
			failures++
			wait = backoff(t.cfg.poll, failures)
		} else {
			failures = 0
		}
		timer := time.NewTimer(wait)
		select {
		case <-t.stop:
			timer.Stop()
			return
		case <-t.kick:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// backoff is the jittered wait after n failures in a row.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	d = min(d, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// cycle runs one round: discovery when due, then the poll, then DND when
// due. Its error marks the tenant down.
func (t *tenant) cycle(nextDiscovery *time.Time) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-t.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	now := time.Now()
	if !now.Before(*nextDiscovery) {
		if err := t.discover(ctx); err != nil {
			t.setDown(err)
			return err
		}
		*nextDiscovery = now.Add(t.cfg.discovery)
	}
	if err := t.pollOnce(ctx); err != nil {
		t.setDown(err)
		return err
	}
	t.mu.Lock()
	due := t.cfg.dndRefresh > 0 && !now.Before(t.dndDue)
	if due {
		t.dndDue = now.Add(t.cfg.dndRefresh)
	}
	t.mu.Unlock()
	if due {
		t.refreshDND(ctx)
	}
	return nil
}

// setDown records a failed round; the first one after the link was up
// tells apps that every device is unreachable. Calls are kept: the next
// successful poll ends those that ended meanwhile, as LOST.
func (t *tenant) setDown(err error) {
	msg := apiError(t.cfg.label, err).Error()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastErr != msg {
		t.logger.Warn("MiRTA tenant unreachable", "error", msg)
	}
	t.lastErr = msg
	if t.up {
		t.up, t.polled, t.since = false, false, time.Now()
		t.publishStatuses()
	}
}

// discover reads the tenant's extensions and queues and announces the
// difference: added devices, then removed ones (their calls end as LOST).
func (t *tenant) discover(ctx context.Context) error {
	exts, err := t.api.extensions(ctx)
	if err != nil {
		return err
	}
	qs, err := t.api.queues(ctx)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	var added []*ctiv1.Device
	var removed []string
	seen := map[string]bool{}
	for _, e := range exts {
		if !validNumber(e.number) || seen[e.number] {
			continue
		}
		seen[e.number] = true
		d := t.exts[e.number]
		if d == nil {
			id, conf := t.idOf("e:"+e.number, e.number)
			d = &extDev{id: id, number: e.number, configured: conf, memberships: map[string]*ctiv1.QueueMembership{}}
			d.calls = sdk.NewCallSet(id, nil)
			t.exts[e.number] = d
		}
		d.name = e.name
	}
	for n, d := range t.exts {
		if !seen[n] {
			delete(t.exts, n)
			t.emit(d.calls.EndAll(now, ctiv1.EndReason_END_REASON_LOST))
			if !d.configured {
				removed = append(removed, d.id)
			}
		}
	}
	seenQ := map[string]bool{}
	for _, q := range qs {
		if !validNumber(q.id) || seenQ[q.id] {
			continue
		}
		seenQ[q.id] = true
		d := t.queues[q.id]
		if d == nil {
			id, conf := t.idOf("q:"+q.id, "q"+q.id)
			d = &queueDev{id: id, qid: q.id, configured: conf}
			d.calls = sdk.NewCallSet(id, nil)
			t.queues[q.id] = d
		}
		d.name = q.name
	}
	for id, d := range t.queues {
		if !seenQ[id] {
			delete(t.queues, id)
			t.emit(d.calls.EndAll(now, ctiv1.EndReason_END_REASON_LOST))
			if !d.configured {
				removed = append(removed, d.id)
			}
		}
	}
	for _, d := range t.exts {
		if !d.configured && d.status == nil {
			added = append(added, t.describeExt(d))
		}
	}
	for _, d := range t.queues {
		if !d.configured && d.status == nil {
			added = append(added, t.describeQueue(d))
		}
	}
	if len(added) > 0 || len(removed) > 0 {
		slices.SortFunc(added, func(a, b *ctiv1.Device) int { return strings.Compare(a.GetDevice(), b.GetDevice()) })
		slices.Sort(removed)
		t.publish(&ctiv1.Event{Time: timestamppb.New(now), Payload: &ctiv1.Event_DevicesChanged{
			DevicesChanged: &ctiv1.DevicesChanged{Added: added, Removed: removed}}})
	}
	t.publishStatuses()
	return nil
}

// validNumber is an extension number or queue id the driver takes: a
// device id is built from it.
func validNumber(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*' || c == '#' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// idOf is the device id of a tenant object, and whether a device block
// configures it. t.configured is read-only after newTenant.
func (t *tenant) idOf(key, suffix string) (string, bool) {
	if id, ok := t.configured[key]; ok {
		return id, true
	}
	return t.cfg.prefix + suffix, false
}

func (t *tenant) describeExt(d *extDev) *ctiv1.Device {
	return &ctiv1.Device{Device: d.id, Model: ModelExtension, Name: d.name, Kind: ctiv1.DeviceKind_DEVICE_KIND_EXTENSION,
		Configured: d.configured, Capabilities: slices.Clone(extensionCaps)}
}

func (t *tenant) describeQueue(d *queueDev) *ctiv1.Device {
	return &ctiv1.Device{Device: d.id, Model: ModelQueue, Name: d.name, Kind: ctiv1.DeviceKind_DEVICE_KIND_QUEUE,
		Configured: d.configured, Capabilities: slices.Clone(queueCaps)}
}

// emit publishes events made under mu.
func (t *tenant) emit(evs []*ctiv1.Event) {
	for _, ev := range evs {
		t.publish(ev)
	}
}

// polled is one round's reading of the tenant.
type reading struct {
	legs    []leg
	blf     map[string]string
	callers map[string][]caller // by queue id
	members map[string][]member // by queue id
}

// pollOnce reads channels, extension states and each queue's callers and
// agents, looks up the callers of new ringing calls where enrichment is
// on, and applies it all.
func (t *tenant) pollOnce(ctx context.Context) error {
	var r reading
	var err error
	if r.legs, err = t.api.channels(ctx); err != nil {
		return err
	}
	if r.blf, err = t.api.blfs(ctx); err != nil {
		return err
	}
	t.mu.Lock()
	qids := slices.Sorted(maps.Keys(t.queues))
	t.mu.Unlock()
	r.callers, r.members = map[string][]caller{}, map[string][]member{}
	for _, q := range qids {
		// A queue deleted since the last discovery is empty until the
		// next one drops it, not a failure of the whole tenant.
		if r.callers[q], err = t.api.queueCallers(ctx, q); err != nil && !mirtaapi.IsNotFound(err) {
			return err
		}
		if r.members[q], err = t.api.queueMembers(ctx, q); err != nil && !mirtaapi.IsNotFound(err) {
			return err
		}
	}
	contacts := t.enrich(ctx, r)
	t.apply(r, contacts)
	return nil
}

// enrich looks up the callers of ringing legs not seen before, at most
// lookup_timeout in all, so that their first event carries the contact;
// and likewise the callers new in a queue.
func (t *tenant) enrich(ctx context.Context, r reading) map[string]*ctiv1.Contact {
	if !t.cfg.enrich {
		return nil
	}
	t.mu.Lock()
	var numbers []string
	want := func(n string) {
		if lookupable(n) && !slices.Contains(numbers, n) {
			numbers = append(numbers, n)
		}
	}
	for _, l := range r.legs {
		if l.state == "Ringing" && t.meta[l.uniqueid] == nil && t.originates[peerOf(l.channel, t.cfg.tenant)] == nil {
			want(l.connNum)
		}
	}
	for _, cs := range r.callers {
		for _, c := range cs {
			if t.meta[c.uniqueid] == nil {
				want(c.number)
			}
		}
	}
	t.mu.Unlock()
	if len(numbers) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.lookupTimeout)
	defer cancel()
	out := map[string]*ctiv1.Contact{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range numbers {
		wg.Go(func() {
			found, err := t.lookupNumber(ctx, n, 1)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && len(found) > 0 {
				out[n] = found[0]
			}
		})
	}
	wg.Wait()
	return out
}

// lookupable is a number worth looking up: digits, optional leading +.
func lookupable(n string) bool {
	n = strings.TrimPrefix(n, "+")
	if len(n) < 3 || len(n) > 32 {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// apply turns a reading into events.
func (t *tenant) apply(r reading, contacts map[string]*ctiv1.Contact) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	reason := ctiv1.EndReason_END_REASON_UNSPECIFIED
	if !t.polled {
		// The first poll after start or an outage: calls that are gone
		// may have ended any way meanwhile.
		reason = ctiv1.EndReason_END_REASON_LOST
	}
	wasUp := t.up
	t.up, t.polled, t.lastErr = true, true, ""
	if !wasUp {
		t.since = now
	}
	for ext, o := range t.originates {
		if now.After(o.until) {
			delete(t.originates, ext)
		}
	}

	groups := groupByLinkedID(r.legs)
	present := map[string][]*ctiv1.Call{} // by extension number
	legs := map[string]leg{}
	for _, l := range r.legs {
		if l.uniqueid == "" {
			continue
		}
		legs[l.uniqueid] = l
		ext := peerOf(l.channel, t.cfg.tenant)
		if t.exts[ext] == nil {
			continue
		}
		others := othersOf(l, groups)
		meta := t.meta[l.uniqueid]
		if meta == nil {
			o := t.originates[ext]
			meta = &callMeta{direction: firstDirection(l, o)}
			if o != nil {
				meta.remote, meta.tag = o.dest, o.tag
				delete(t.originates, ext)
			} else if c := contacts[l.connNum]; c != nil && meta.direction == ctiv1.CallDirection_CALL_DIRECTION_INBOUND {
				meta.contact = c
			}
			t.meta[l.uniqueid] = meta
		}
		present[ext] = append(present[ext], callOf(l, others, meta))
	}
	for id := range t.meta {
		if _, ok := legs[id]; !ok {
			delete(t.meta, id)
		}
	}
	t.legs = legs
	for _, n := range slices.Sorted(maps.Keys(t.exts)) {
		d := t.exts[n]
		t.emit(d.calls.Reconcile(now, present[n], reason))
		d.blf = r.blf[n]
	}

	// Queues: waiting callers are the queue device's QUEUED calls; the
	// agents are its members and the extensions' memberships.
	memberships := map[string]map[string]*ctiv1.QueueMembership{} // ext -> queue id -> membership
	for _, qid := range slices.Sorted(maps.Keys(t.queues)) {
		q := t.queues[qid]
		var calls []*ctiv1.Call
		for _, c := range r.callers[qid] {
			if c.uniqueid == "" {
				continue
			}
			// A waiting caller is RINGING while the queue rings agents
			// for it, QUEUED while it only waits.
			call := &ctiv1.Call{CallId: c.uniqueid, State: ctiv1.CallState_CALL_STATE_QUEUED, VendorState: "waiting",
				Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND, Queue: &ctiv1.CallQueue{Queue: qid, Name: q.name}}
			if c.number != "" || c.name != "" {
				call.Remote = &ctiv1.Party{Number: c.number, Name: c.name}
			}
			if l, ok := legs[c.uniqueid]; ok {
				call.GlobalCallId = l.linkedid
				for _, o := range othersOf(l, groups) {
					if o.state == "Ringing" {
						call.State, call.VendorState = ctiv1.CallState_CALL_STATE_RINGING, "ringing agents"
					}
				}
			}
			meta := t.meta[c.uniqueid]
			if meta == nil {
				meta = &callMeta{direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND, contact: contacts[c.number]}
				t.meta[c.uniqueid] = meta
			}
			call.Contact = meta.contact
			calls = append(calls, call)
		}
		t.emit(q.calls.Reconcile(now, calls, reason))
		qs := &ctiv1.QueueStatus{WaitingCalls: uint32(len(calls))}
		for _, m := range r.members[qid] {
			status := ctiv1.AgentStatus_AGENT_STATUS_AVAILABLE
			if m.paused {
				status = ctiv1.AgentStatus_AGENT_STATUS_PAUSED
			} else if d := t.exts[m.ext]; d != nil && len(present[m.ext]) > 0 {
				status = ctiv1.AgentStatus_AGENT_STATUS_BUSY
			}
			qm := &ctiv1.QueueMember{Member: m.ext, Name: m.name, Status: status}
			if d := t.exts[m.ext]; d != nil {
				qm.Device = d.id
				if qm.Name == "" {
					qm.Name = d.name
				}
			}
			qs.Members = append(qs.Members, qm)
			if memberships[m.ext] == nil {
				memberships[m.ext] = map[string]*ctiv1.QueueMembership{}
			}
			memberships[m.ext][qid] = &ctiv1.QueueMembership{Queue: qid, Name: q.name, Status: status, PauseReason: m.reason}
		}
		if q.qstatus == nil || !proto.Equal(q.qstatus, qs) {
			q.qstatus = qs
			t.publish(&ctiv1.Event{Device: q.id, Time: timestamppb.New(now), Payload: &ctiv1.Event_QueueStatusChanged{
				QueueStatusChanged: &ctiv1.QueueStatusChanged{Status: proto.Clone(qs).(*ctiv1.QueueStatus)}}})
		}
	}
	for _, n := range slices.Sorted(maps.Keys(t.exts)) {
		d := t.exts[n]
		now := timestamppb.New(now)
		for _, qid := range slices.Sorted(maps.Keys(memberships[n])) {
			m := memberships[n][qid]
			if old := d.memberships[qid]; old == nil || !proto.Equal(old, m) {
				t.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{Membership: m}}})
			}
		}
		for _, qid := range slices.Sorted(maps.Keys(d.memberships)) {
			if memberships[n][qid] == nil {
				left := proto.Clone(d.memberships[qid]).(*ctiv1.QueueMembership)
				left.Status, left.PauseReason = ctiv1.AgentStatus_AGENT_STATUS_LOGGED_OUT, ""
				t.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{Membership: left}}})
			}
		}
		d.memberships = memberships[n]
		if d.memberships == nil {
			d.memberships = map[string]*ctiv1.QueueMembership{}
		}
	}
	t.publishStatuses()
}

// statusOfExt is an extension's status now. t.mu is held.
func (t *tenant) statusOfExt(d *extDev) *ctiv1.DeviceStatus {
	st := &ctiv1.DeviceStatus{Reachable: t.up, Dnd: d.dnd}
	switch {
	case !t.up && t.lastErr == "":
		st.Detail = "not polled yet"
	case !t.up:
		st.Detail = "the PBX does not answer: " + t.lastErr
	case d.blf == "":
		st.Detail = "no BLF state reported for this extension"
	case d.blf == "UNAVAILABLE" || d.blf == "INVALID" || d.blf == "UNKNOWN":
		st.Registration = ctiv1.Registration_REGISTRATION_UNREGISTERED
		st.Detail = "no phone registered (BLF " + d.blf + ")"
	default:
		st.Registration = ctiv1.Registration_REGISTRATION_REGISTERED
	}
	return st
}

func (t *tenant) statusOfQueue(*queueDev) *ctiv1.DeviceStatus {
	st := &ctiv1.DeviceStatus{Reachable: t.up}
	switch {
	case !t.up && t.lastErr == "":
		st.Detail = "not polled yet"
	case !t.up:
		st.Detail = "the PBX does not answer: " + t.lastErr
	}
	return st
}

// publishStatuses publishes every device's status that changed. t.mu is
// held.
func (t *tenant) publishStatuses() {
	now := timestamppb.Now()
	for _, n := range slices.Sorted(maps.Keys(t.exts)) {
		d := t.exts[n]
		if st := t.statusOfExt(d); d.status == nil || !proto.Equal(d.status, st) {
			d.status = st
			t.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: proto.Clone(st).(*ctiv1.DeviceStatus)}}})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(t.queues)) {
		d := t.queues[id]
		if st := t.statusOfQueue(d); d.status == nil || !proto.Equal(d.status, st) {
			d.status = st
			t.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: proto.Clone(st).(*ctiv1.DeviceStatus)}}})
		}
	}
}

// refreshDND reads every extension's DND, one request each (proxyapi has
// no bulk DND read), and publishes the changes.
func (t *tenant) refreshDND(ctx context.Context) {
	t.mu.Lock()
	numbers := slices.Sorted(maps.Keys(t.exts))
	t.mu.Unlock()
	for _, n := range numbers {
		on, err := t.api.dndGet(ctx, n)
		if err != nil {
			t.logger.Debug("DND read failed", "extension", n, "error", apiError(t.cfg.label, err))
			continue
		}
		t.setDND(n, on)
	}
}

// setDND records an extension's DND and publishes its status if it
// changed.
func (t *tenant) setDND(ext string, on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.exts[ext]; d != nil {
		d.dnd = &on
		t.publishStatuses()
	}
}

// snapshot is the events a new stream starts with: each device's status,
// calls, queue memberships and queue status.
func (t *tenant) snapshot() []*ctiv1.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := timestamppb.Now()
	var out []*ctiv1.Event
	for _, n := range slices.Sorted(maps.Keys(t.exts)) {
		d := t.exts[n]
		out = append(out, &ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: t.statusOfExt(d)}}})
		for _, c := range d.calls.Calls() {
			out = append(out, &ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: c}}})
		}
		for _, qid := range slices.Sorted(maps.Keys(d.memberships)) {
			out = append(out, &ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{Membership: proto.Clone(d.memberships[qid]).(*ctiv1.QueueMembership)}}})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(t.queues)) {
		q := t.queues[id]
		out = append(out, &ctiv1.Event{Device: q.id, Time: now, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: t.statusOfQueue(q)}}})
		for _, c := range q.calls.Calls() {
			out = append(out, &ctiv1.Event{Device: q.id, Time: now, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: c}}})
		}
		if q.qstatus != nil {
			out = append(out, &ctiv1.Event{Device: q.id, Time: now, Payload: &ctiv1.Event_QueueStatusChanged{QueueStatusChanged: &ctiv1.QueueStatusChanged{Status: proto.Clone(q.qstatus).(*ctiv1.QueueStatus)}}})
		}
	}
	return out
}

// discovered lists the tenant's devices no device block configures.
func (t *tenant) discovered() []*ctiv1.Device {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*ctiv1.Device
	for _, d := range t.exts {
		if !d.configured {
			out = append(out, t.describeExt(d))
		}
	}
	for _, q := range t.queues {
		if !q.configured {
			out = append(out, t.describeQueue(q))
		}
	}
	return out
}

// announceGone tells apps, after close, that the tenant's discovered
// devices are gone with it, and ends their calls.
func (t *tenant) announceGone() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	var removed []string
	for _, d := range t.exts {
		t.emit(d.calls.EndAll(now, ctiv1.EndReason_END_REASON_LOST))
		if !d.configured {
			removed = append(removed, d.id)
		}
	}
	for _, q := range t.queues {
		t.emit(q.calls.EndAll(now, ctiv1.EndReason_END_REASON_LOST))
		if !q.configured {
			removed = append(removed, q.id)
		}
	}
	t.exts, t.queues = map[string]*extDev{}, map[string]*queueDev{}
	if len(removed) > 0 {
		slices.Sort(removed)
		t.publish(&ctiv1.Event{Time: timestamppb.New(now), Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: &ctiv1.DevicesChanged{Removed: removed}}})
	}
}

// state is the DeviceState of the extension or queue with id, or nil.
func (t *tenant) state(id string) *ctiv1.DeviceState {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.exts {
		if d.id == id {
			st := &ctiv1.DeviceState{Device: id, Model: ModelExtension, Status: t.statusOfExt(d), Calls: d.calls.Calls(), UpdatedAt: timestamppb.Now()}
			for _, qid := range slices.Sorted(maps.Keys(d.memberships)) {
				st.Queues = append(st.Queues, proto.Clone(d.memberships[qid]).(*ctiv1.QueueMembership))
			}
			return st
		}
	}
	for _, q := range t.queues {
		if q.id == id {
			st := &ctiv1.DeviceState{Device: id, Model: ModelQueue, Status: t.statusOfQueue(q), Calls: q.calls.Calls(), UpdatedAt: timestamppb.Now()}
			if q.qstatus != nil {
				st.QueueStatus = proto.Clone(q.qstatus).(*ctiv1.QueueStatus)
			}
			return st
		}
	}
	return nil
}

// ext is the extension with device id, or nil.
func (t *tenant) ext(id string) *extDev {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.exts {
		if d.id == id {
			return d
		}
	}
	return nil
}

// has says whether the tenant serves device id.
func (t *tenant) has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.exts {
		if d.id == id {
			return true
		}
	}
	for _, q := range t.queues {
		if q.id == id {
			return true
		}
	}
	return false
}

// connection is the tenant's ConnectionStatus.
func (t *tenant) connection() *ctiv1.ConnectionStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	cs := &ctiv1.ConnectionStatus{Name: t.cfg.name, Connected: t.up, Address: redactURL(t.cfg.baseURL) + t.cfg.path + " tenant " + t.cfg.tenant,
		Since: timestamppb.New(t.since)}
	if !t.up {
		cs.Detail = t.lastErr
	}
	return cs
}
