package supervisor

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// crashed handles a process that died, hung or failed to start: it counts
// the crash, and either schedules a restart with backoff or, after too many
// crashes in the window, gives up (CRASH_LOOP). p may be nil (the process
// never started). A process that is no longer the current one (replaced by
// an operator's restart) is ignored.
func (i *Instance) crashed(p *process, reason string) {
	now := time.Now()
	i.mu.Lock()
	if i.stopped || (p != nil && (p.crashHandled || i.proc != p)) {
		// Stopped, already handled (the pump, the probe and a command can
		// all notice one death), or an expected exit: Stop or Restart had
		// already taken the process away.
		if p != nil && i.proc == p {
			i.proc = nil
		}
		i.mu.Unlock()
		return
	}
	if p != nil {
		p.crashHandled = true
		// Its probe and pump stop, and go-plugin's client for it (its gRPC
		// connection and log readers) is released: the process is gone.
		go p.kill()
	}
	if t := i.trial; t != nil && p != nil && t.proc == p && now.Before(t.until) {
		// The swapped-in binary crashed on probation: back to the old one.
		i.spec.Path, i.spec.SHA256 = t.oldPath, t.oldSum
		i.rollbacks++
		reason = fmt.Sprintf("the swapped-in binary crashed within %s, rolling back to %s (version %s): %s", probationWindow, t.oldPath, t.oldVersion, reason)
	}
	i.trial = nil
	i.proc = nil
	i.crashes = append(i.recentCrashesLocked(now), now)
	n := len(i.crashes)
	if n >= i.policy.CrashLoopRestarts {
		i.leaveRunningLocked(ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP, reason)
		i.wakeLocked() // waiting commands fail at once now
		i.mu.Unlock()
		i.logger.Error("driver crash-looping; not restarting", "crashes", n, "window", i.policy.CrashLoopWindow, "reason", reason)
		i.announce(ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP, fmt.Sprintf("%d crashes within %s, last: %s", n, i.policy.CrashLoopWindow, reason))
		return
	}
	delay := i.policy.backoff(n)
	i.leaveRunningLocked(ctiv1.DriverState_DRIVER_STATE_DOWN, reason)
	i.retry = time.AfterFunc(delay, i.restart)
	i.mu.Unlock()
	i.logger.Error("driver down; restarting", "reason", reason, "in", delay, "crashes", n)
	i.announce(ctiv1.DriverState_DRIVER_STATE_DOWN, reason)
}

// restart is the scheduled restart after a crash.
func (i *Instance) restart() {
	i.mu.Lock()
	if i.stopped || i.state != ctiv1.DriverState_DRIVER_STATE_DOWN {
		i.mu.Unlock()
		return
	}
	i.state = ctiv1.DriverState_DRIVER_STATE_STARTING
	i.mu.Unlock()
	if err := i.run(context.Background(), true); err != nil {
		i.logger.Warn("restart failed", "error", err)
	}
}

// recentCrashesLocked returns the crash times still inside the window.
func (i *Instance) recentCrashesLocked(now time.Time) []time.Time {
	var kept []time.Time
	for _, t := range i.crashes {
		if now.Sub(t) < i.policy.CrashLoopWindow {
			kept = append(kept, t)
		}
	}
	return kept
}

// pump forwards the process's events to the bus until the process dies. A
// stream that breaks while the process lives (it fell behind) is reopened;
// drivers resend their calls on every new stream.
func (i *Instance) pump(p *process) {
	for {
		stream, err := p.driver.WatchEvents(p.ctx, &ctiv1.WatchEventsRequest{})
		for err == nil {
			var ev *ctiv1.Event
			if ev, err = stream.Recv(); err == nil {
				i.forward(p, ev)
			}
		}
		if p.ctx.Err() != nil {
			return // killed by us; whoever killed it handles the state
		}
		if p.exitedWithin(time.Second) {
			i.crashed(p, p.describeExit())
			return
		}
		i.logger.Warn("event stream broke; reopening", "error", status.Convert(err).Message())
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// probe asks a running process for GetInfo every ProbeInterval; after two
// failures in a row the process is considered hung and killed, which the
// pump then reports as a crash.
func (i *Instance) probe(p *process) {
	tick := time.NewTicker(i.policy.ProbeInterval)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(p.ctx, i.policy.ProbeTimeout)
		_, err := p.driver.GetInfo(ctx, &ctiv1.GetInfoRequest{})
		cancel()
		if err == nil {
			failures = 0
			continue
		}
		if p.ctx.Err() != nil {
			return
		}
		if failures++; failures < 2 {
			continue
		}
		reason := fmt.Sprintf("driver stopped answering: 2 liveness probes failed (%s)", status.Convert(err).Message())
		i.logger.Error("driver hung; killing it", "reason", reason)
		p.setKilledFor(reason)
		go p.kill()
		i.crashed(p, reason)
		return
	}
}

// forward checks, translates, records and publishes one event of process
// p. Events a driver must not send (host-only payloads, no payload, unknown
// devices) are dropped and counted rather than passed to apps; events that
// repeat what apps already know (a new stream's snapshot, the overlap of a
// swap) are not sent twice. p is nil for an event the host made itself.
func (i *Instance) forward(p *process, ev *ctiv1.Event) {
	i.mu.Lock()
	known := i.knownLocked(ev.GetDevice())
	i.mu.Unlock()
	if ev.GetPayload() == nil || ev.GetGap() != nil || ev.GetDriverChanged() != nil || ev.GetCallScreened() != nil || !known ||
		(ev.GetDevicesChanged() != nil && ev.GetDevice() != "") {
		i.dropped(ev)
		return
	}
	if ev.GetDevicesChanged() != nil {
		i.discover(ev)
		return
	}
	if !i.track(p, ev) {
		return
	}
	ev.Sequence = 0
	if ev.Time == nil {
		ev.Time = timestamppb.Now()
	}
	if ev.Device == "" {
		// About the whole instance: it concerns every site served.
		sites := i.Sites()
		for n, site := range sites {
			out := ev
			if n < len(sites)-1 {
				out = proto.Clone(ev).(*ctiv1.Event) // events share nothing: the bus keeps each as it is
			}
			out.Site = site
			i.publish(out)
		}
		return
	}
	// A per-site instance's device ids are names within its site; a shared
	// instance's are already "site/device" references.
	ev.Site, ev.Device = i.Ref(ev.Device)
	i.publish(ev)
}

// dropped logs malformed events, sparingly: a flood of them must not flood
// the log.
func (i *Instance) dropped(ev *ctiv1.Event) {
	i.mu.Lock()
	i.droppedEvents++
	n := i.droppedEvents
	i.mu.Unlock()
	if n == 1 || n%1000 == 0 {
		i.logger.Warn("dropped malformed driver events", "count", n, "device", ev.GetDevice(), "has_payload", ev.GetPayload() != nil)
	}
}

// RejectedEvents returns how many malformed driver events were dropped.
func (i *Instance) RejectedEvents() uint64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.droppedEvents
}

// track translates the call ids of a swapped-in process, keeps the last
// snapshot of every call and device status (so that calls that vanish while
// the driver is down can be ended for apps after a restart), and reports
// whether the event tells apps anything new. p is nil for an event the
// host made itself, whose ids are already the ones apps know.
func (i *Instance) track(p *process, ev *ctiv1.Event) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	var ids *idMap
	if p != nil {
		ids = p.ids
	}
	dev := ev.GetDevice()
	if c := ev.GetCallChanged().GetCall(); c != nil {
		ids.call(dev, c, false)
		if known := i.calls[dev][c.GetCallId()]; known != nil && proto.Equal(known, c) {
			return false
		}
		if i.calls[dev] == nil {
			i.calls[dev] = callSet{}
		}
		i.calls[dev][c.GetCallId()] = c
	}
	if c := ev.GetCallEnded().GetCall(); c != nil {
		ids.call(dev, c, true)
		if _, known := i.calls[dev][c.GetCallId()]; !known && p != nil {
			return false // already ended, e.g. by both processes of a swap
		}
		delete(i.calls[dev], c.GetCallId())
	}
	if st := ev.GetDeviceChanged().GetStatus(); st != nil {
		if known := i.statuses[dev]; known != nil && proto.Equal(known, st) {
			return false
		}
		i.statuses[dev] = st
	}
	return true
}

// converge runs after a restart: every call apps knew before the crash that
// the restarted driver no longer reports is ended (reason LOST), so the
// apps' view matches the devices without a restart of their own. The new
// driver's own calls arrive through its event stream.
func (i *Instance) converge(p *process, before map[string]callSet) {
	ctx, cancel := context.WithTimeout(p.ctx, i.policy.CommandTimeout)
	defer cancel()
	for dev, calls := range before {
		st, err := p.driver.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: dev})
		if err != nil {
			i.logger.Warn("cannot reconcile calls after restart", "device", dev, "error", status.Convert(err).Message())
			continue
		}
		i.mu.Lock()
		p.ids.state(st, dev) // the ids apps know (a cluster's host prefixes them)
		i.mu.Unlock()
		now := map[string]bool{}
		for _, c := range st.GetCalls() {
			now[c.GetCallId()] = true
		}
		for id, c := range calls {
			if now[id] {
				continue
			}
			last := proto.Clone(c).(*ctiv1.Call)
			last.State = ctiv1.CallState_CALL_STATE_ENDED
			last.AvailableOperations = nil
			// nil: the call's id is already the one apps know (a cluster's
			// new process must not prefix it again).
			i.forward(nil, &ctiv1.Event{Device: dev, Time: timestamppb.Now(), Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
				Call: last, Reason: ctiv1.EndReason_END_REASON_LOST,
				VendorReason: "the driver restarted and no longer reports this call",
			}}})
		}
	}
}
