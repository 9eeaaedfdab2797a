package acme

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"

	"github.com/ctihost/ctihost/examples/driver-template/acmeapi"
)

const notPolled = "not polled yet"

// device is one configured phone: its client, its last known state and the
// poll loop that turns /state answers into events.
type device struct {
	id      string
	cfg     deviceConfig
	client  *acmeapi.Client
	redact  *sdk.Redactor
	tracker *sdk.CallTracker
	logger  hclog.Logger
	publish func([]*ctiv1.Event)

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// mu makes each refresh (read, diff, publish) atomic, so that events
	// of one device are published in the order they happened whether the
	// poll loop or a command refreshes.
	mu      sync.Mutex
	status  *ctiv1.DeviceStatus
	lines   []acmeapi.Line
	updated time.Time
}

func newDevice(id string, cfg deviceConfig, client *acmeapi.Client, logger hclog.Logger, publish func([]*ctiv1.Event)) *device {
	ctx, cancel := context.WithCancel(context.Background())
	return &device{
		id:      id,
		cfg:     cfg,
		client:  client,
		redact:  sdk.NewRedactor(cfg.token),
		tracker: sdk.NewCallTracker(id, operations),
		logger:  logger,
		publish: publish,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		status:  &ctiv1.DeviceStatus{Reachable: false, Detail: notPolled},
		updated: time.Now(),
	}
}

// run polls until stop.
func (dev *device) run(interval func() time.Duration) {
	defer close(dev.done)
	for {
		dev.refresh(dev.ctx)
		select {
		case <-dev.ctx.Done():
			return
		case <-time.After(interval()):
		}
	}
}

// stop ends the poll loop and waits for it.
func (dev *device) stop() {
	dev.cancel()
	<-dev.done
}

// refresh reads the phone's state and publishes what changed. Commands
// call it after they succeed so that their effect shows at once.
func (dev *device) refresh(ctx context.Context) {
	dev.mu.Lock()
	defer dev.mu.Unlock()
	st, err := dev.client.State(ctx)
	now := time.Now()
	if ctx.Err() != nil {
		return // stopping, or the command's caller went away: not the phone's fault
	}
	var events []*ctiv1.Event
	status := proto.Clone(dev.status).(*ctiv1.DeviceStatus)
	if err != nil {
		if status.GetReachable() || status.GetDetail() == notPolled {
			// Keep the first reason: each failed poll words it a little
			// differently, and a new detail would be a new DeviceChanged.
			status.Detail = dev.redact.Redact(err.Error())
		}
		status.Reachable = false
		// Calls may go on, but we cannot see them any more (END_REASON_LOST).
		events = append(events, dev.tracker.EndAll(now, ctiv1.EndReason_END_REASON_LOST)...)
		dev.lines = nil
	} else {
		dnd := st.DND
		status.Reachable, status.Detail, status.Dnd = true, "", &dnd
		events = append(events, dev.tracker.Update(now, snapshots(st.Lines))...)
		dev.lines = st.Lines
	}
	dev.updated = now
	if !proto.Equal(status, dev.status) {
		if status.GetReachable() != dev.status.GetReachable() {
			dev.logger.Info("reachability changed", "reachable", status.GetReachable(), "detail", status.GetDetail())
		}
		dev.status = status
		events = append(events, &ctiv1.Event{Device: dev.id, Time: timestamppb.New(now),
			Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: proto.Clone(status).(*ctiv1.DeviceStatus)}}})
	}
	dev.publish(events)
}

// state is the device's state as of the last poll.
func (dev *device) state() *ctiv1.DeviceState {
	dev.mu.Lock()
	defer dev.mu.Unlock()
	calls := dev.tracker.Calls()
	byLine := map[int32]string{}
	for _, c := range calls {
		byLine[c.GetLine()] = c.GetCallId()
	}
	st := &ctiv1.DeviceState{
		Device:    dev.id,
		Model:     dev.cfg.model,
		Status:    proto.Clone(dev.status).(*ctiv1.DeviceStatus),
		Calls:     calls,
		UpdatedAt: timestamppb.New(dev.updated),
	}
	for _, l := range dev.lines {
		st.Lines = append(st.Lines, &ctiv1.Line{Number: int32(l.Line), CallId: byLine[int32(l.Line)], VendorState: string(l.State)})
	}
	return st
}

// snapshots maps ACME line states (ACME API §2) onto the unified model.
func snapshots(lines []acmeapi.Line) []sdk.LineSnapshot {
	out := make([]sdk.LineSnapshot, 0, len(lines))
	for _, l := range lines {
		s := sdk.LineSnapshot{Line: l.Line, VendorState: string(l.State), State: callStates[l.State]}
		if l.Remote != "" {
			s.Remote = &ctiv1.Party{Number: l.Remote}
		}
		out = append(out, s)
	}
	return out
}

var callStates = map[acmeapi.LineState]ctiv1.CallState{
	acmeapi.Idle:      ctiv1.CallState_CALL_STATE_IDLE,
	acmeapi.Ringing:   ctiv1.CallState_CALL_STATE_RINGING,
	acmeapi.Dialing:   ctiv1.CallState_CALL_STATE_DIALING,
	acmeapi.Ringback:  ctiv1.CallState_CALL_STATE_RINGBACK,
	acmeapi.Connected: ctiv1.CallState_CALL_STATE_CONNECTED,
	acmeapi.Held:      ctiv1.CallState_CALL_STATE_HELD,
}

// operations says what can be done to an ACME call in each state.
func operations(s ctiv1.CallState) []ctiv1.Capability {
	switch s {
	case ctiv1.CallState_CALL_STATE_RINGING:
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_ANSWER, ctiv1.Capability_CAPABILITY_REJECT}
	case ctiv1.CallState_CALL_STATE_CONNECTED:
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_HOLD}
	case ctiv1.CallState_CALL_STATE_HELD:
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_RESUME}
	case ctiv1.CallState_CALL_STATE_DIALING, ctiv1.CallState_CALL_STATE_RINGBACK:
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP}
	}
	return nil
}
