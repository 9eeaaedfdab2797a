package grandstream

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// statusEvery is how many line polls pass between two registration polls:
// registration changes rarely and costs a second request.
const statusEvery = 10

// phoneConfig is one configured device.
type phoneConfig struct {
	id, model, host, passcode string
	hs, account               int
}

// phone is one device: its client, its poller and its last known state.
type phone struct {
	phoneConfig
	family  gsapi.Family
	client  *gsapi.Client
	tracker *sdk.CallTracker
	redact  *sdk.Redactor
	logger  hclog.Logger
	publish func(*ctiv1.Event)
	kick    chan struct{} // asks the poller for an early poll

	pollMu sync.Mutex // one poll at a time

	mu        sync.Mutex
	status    *ctiv1.DeviceStatus
	lines     []*ctiv1.Line
	active    int // GXP: the line that has the phone's focus
	updatedAt time.Time
	polls     int
}

func newPhone(cfg phoneConfig, hc *http.Client, timeout time.Duration, logger hclog.Logger, publish func(*ctiv1.Event)) (*phone, error) {
	family, err := gsapi.FamilyOf(cfg.model)
	if err != nil {
		return nil, sdk.InvalidArgument("device %q: %v", cfg.id, err)
	}
	client, err := gsapi.New(gsapi.Config{Host: cfg.host, Passcode: cfg.passcode, HTTPClient: hc, Timeout: timeout})
	if err != nil {
		return nil, sdk.InvalidArgument("device %q: host: %v", cfg.id, err)
	}
	p := &phone{
		phoneConfig: cfg, family: family, client: client,
		tracker: sdk.NewCallTracker(cfg.id, opsFor(family)),
		redact:  sdk.NewRedactor(cfg.passcode),
		logger:  logger.With("device", cfg.id),
		publish: publish,
		kick:    make(chan struct{}, 1),
		status:  &ctiv1.DeviceStatus{Reachable: false, Detail: "not polled yet"},
	}
	if family == gsapi.FamilyDP {
		p.status.Dnd = proto.Bool(false) // the DP reports no DND: the driver tracks what it set
	}
	return p, nil
}

// run polls the phone every interval (± jitter) until ctx ends; sem bounds
// the polls in flight across all phones.
func (p *phone) run(ctx context.Context, interval, jitter time.Duration, sem chan struct{}) {
	// Spread the first polls so thousands of phones do not poll in step.
	wait := time.Duration(rand.Int64N(int64(interval) + 1))
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-p.kick:
			timer.Stop()
			// A command was sent: give the phone a moment to act on it, and
			// let a burst of commands (keys typed one at a time) settle into
			// one poll instead of one poll each.
			settle := time.NewTimer(commandSettle)
			select {
			case <-ctx.Done():
				settle.Stop()
				return
			case <-settle.C:
			}
		}
		select {
		case <-p.kick: // this poll also answers a kick sent since
		default:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		p.poll(ctx)
		<-sem
		wait = interval
		if jitter > 0 {
			wait += time.Duration(rand.Int64N(int64(2*jitter))) - jitter
		}
	}
}

// commandSettle is how long after a command the phone is polled early.
// Modeled: the guide does not say how soon a phone's line status reflects a
// command; the wait also spares the phone's small web server a poll per key
// of a key sequence.
const commandSettle = 100 * time.Millisecond

// requestPoll asks for an early poll, commandSettle after a command.
func (p *phone) requestPoll() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// poll reads the phone's lines (and now and then its registration) and
// publishes what changed.
func (p *phone) poll(ctx context.Context) {
	p.pollMu.Lock()
	defer p.pollMu.Unlock()
	now := time.Now()
	snaps, lines, active, err := p.readLines(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		p.setReachable(now, false, &deviceInfo{detail: p.deviceError("poll", err).Error()})
		for _, ev := range p.tracker.EndAll(now, ctiv1.EndReason_END_REASON_LOST) {
			p.publish(ev)
		}
		return
	}
	for _, ev := range p.tracker.Update(now, snaps) {
		p.publish(ev)
	}
	for _, l := range lines {
		for _, call := range p.tracker.Calls() {
			if int(call.GetLine()) == int(l.GetNumber()) {
				l.CallId = call.GetCallId()
			}
		}
	}
	p.mu.Lock()
	p.lines, p.active, p.updatedAt = lines, active, now
	p.polls++
	checkStatus := p.polls%statusEvery == 1
	p.mu.Unlock()
	var info *deviceInfo
	if checkStatus {
		di := p.readDeviceInfo(ctx)
		info = &di
	}
	p.setReachable(now, true, info)
}

// readLines polls the line status function of the phone's family.
func (p *phone) readLines(ctx context.Context) ([]sdk.LineSnapshot, []*ctiv1.Line, int, error) {
	var (
		snaps  []sdk.LineSnapshot
		lines  []*ctiv1.Line
		active int
	)
	if p.family == gsapi.FamilyDP {
		hsLines, err := p.client.HandsetLineStatus(ctx, p.hs)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, l := range hsLines {
			// The DP line status has no remote party (guide: Status,
			// Account, Registered, Active only).
			snaps = append(snaps, sdk.LineSnapshot{Line: l.Line, State: callState(l.Status), VendorState: l.Status, Account: accountName(l.Account)})
			lines = append(lines, &ctiv1.Line{Number: int32(l.Line), Account: accountName(l.Account), Registration: registration(l.Registered), VendorState: l.Status})
			if l.Active {
				active = l.Line
			}
		}
		return snaps, lines, active, nil
	}
	gxpLines, err := p.client.LineStatus(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, l := range gxpLines {
		var remote *ctiv1.Party
		if l.RemoteNumber != "" || l.RemoteName != "" {
			remote = &ctiv1.Party{Number: l.RemoteNumber, Name: l.RemoteName}
		}
		snaps = append(snaps, sdk.LineSnapshot{Line: l.Line, State: callState(l.State), VendorState: l.State, Remote: remote, Account: l.Account})
		lines = append(lines, &ctiv1.Line{Number: int32(l.Line), Account: l.Account, VendorState: l.State})
		if l.Active {
			active = l.Line
		}
	}
	return snaps, lines, active, nil
}

// deviceInfo is what the slower status poll learns.
type deviceInfo struct {
	registration ctiv1.Registration
	presence     ctiv1.Presence
	detail       string // why the device is degraded, for operators
}

// readDeviceInfo asks api-get_accounts and api-get_phone_status (GXP), or
// api-get_account_status and api-get_hs_status (DP). A failure leaves the
// fields unspecified, which keeps the values known before.
func (p *phone) readDeviceInfo(ctx context.Context) deviceInfo {
	var info deviceInfo
	if p.family == gsapi.FamilyDP {
		if st, err := p.client.AccountStatus(ctx, p.account); err == nil {
			info.registration = registration(st.Registered)
		}
		if hs, err := p.client.HandsetStatus(ctx, p.hs); err == nil && !hs.Subscribed {
			info.detail = "handset " + strconv.Itoa(p.hs) + " is not paired with the base station"
		}
		return info
	}
	if accounts, err := p.client.Accounts(ctx); err == nil && len(accounts) > 0 {
		info.registration = registration(accounts[0].Registered)
	}
	switch st, _ := p.client.PhoneStatus(ctx); st {
	case gsapi.PhoneAvailable:
		info.presence = ctiv1.Presence_PRESENCE_AVAILABLE
	case gsapi.PhoneBusy:
		info.presence = ctiv1.Presence_PRESENCE_BUSY
	}
	return info
}

// setReachable records reachability (and, when info is set, what the
// status poll learned) and publishes a DeviceChanged when the device-level
// status changed. Unreachable devices carry the reason in detail.
func (p *phone) setReachable(now time.Time, up bool, info *deviceInfo) {
	p.mu.Lock()
	next := proto.Clone(p.status).(*ctiv1.DeviceStatus)
	if up && !next.Reachable {
		next.Detail = "" // the reason it was unreachable no longer holds
	}
	next.Reachable = up
	if info != nil {
		next.Detail = info.detail
		if info.registration != ctiv1.Registration_REGISTRATION_UNSPECIFIED {
			next.Registration = info.registration
		}
		if info.presence != ctiv1.Presence_PRESENCE_UNSPECIFIED {
			next.Presence = info.presence
		}
	}
	changed := !proto.Equal(next, p.status)
	p.status = next
	p.updatedAt = now
	p.mu.Unlock()
	if changed {
		p.publishStatus(now, next)
	}
}

// setDND records the DND state the driver set (DP) and announces it.
func (p *phone) setDND(on bool) {
	p.mu.Lock()
	next := proto.Clone(p.status).(*ctiv1.DeviceStatus)
	next.Dnd = proto.Bool(on)
	changed := !proto.Equal(next, p.status)
	p.status = next
	p.mu.Unlock()
	if changed {
		p.publishStatus(time.Now(), next)
	}
}

func (p *phone) publishStatus(now time.Time, st *ctiv1.DeviceStatus) {
	p.publish(&ctiv1.Event{Device: p.id, Time: timestamppb.New(now),
		Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: proto.Clone(st).(*ctiv1.DeviceStatus)}}})
}

// state returns the device's state as of the last poll.
func (p *phone) state() *ctiv1.DeviceState {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &ctiv1.DeviceState{Device: p.id, Model: p.model, Status: proto.Clone(p.status).(*ctiv1.DeviceStatus), Calls: p.tracker.Calls()}
	for _, l := range p.lines {
		st.Lines = append(st.Lines, proto.Clone(l).(*ctiv1.Line))
	}
	if !p.updatedAt.IsZero() {
		st.UpdatedAt = timestamppb.New(p.updatedAt)
	}
	return st
}

// snapshotEvents is what a new WatchEvents stream starts with.
func (p *phone) snapshotEvents() []*ctiv1.Event {
	p.mu.Lock()
	status := proto.Clone(p.status).(*ctiv1.DeviceStatus)
	p.mu.Unlock()
	now := timestamppb.Now()
	events := []*ctiv1.Event{{Device: p.id, Time: now, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: status}}}}
	for _, call := range p.tracker.Calls() {
		events = append(events, &ctiv1.Event{Device: p.id, Time: now, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: call}}})
	}
	return events
}

func (p *phone) activeLine() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active
}

func registration(registered bool) ctiv1.Registration {
	if registered {
		return ctiv1.Registration_REGISTRATION_REGISTERED
	}
	return ctiv1.Registration_REGISTRATION_UNREGISTERED
}

func accountName(n int) string {
	if n <= 0 {
		return ""
	}
	return "account " + strconv.Itoa(n)
}
