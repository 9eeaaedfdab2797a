package supervisor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Swap tuning. A swap is bounded: readiness, then draining the old process.
const (
	swapReadyTimeout = 10 * time.Second
	swapDrainTimeout = 5 * time.Second
	probationWindow  = 10 * time.Second
)

// probation remembers the binary a swap replaced, so that a new process that
// crashes soon after is rolled back to it.
type probation struct {
	proc       *process
	until      time.Time
	oldPath    string
	oldSum     string
	oldVersion string
}

// Swap replaces the running process with one of the binary at path (the
// configured path if empty), pinned to sum if set, without a stop: the new
// process starts beside the old one and takes over only once it is
// configured and sees every device and call the old one sees; calls keep
// their ids; the old process finishes its in-flight commands and stops. On
// failure the old process keeps serving and the error says why. It returns
// how long the swap took.
//
// When the plugin block pins a sha256, every binary must match it: a swap
// naming another sum is refused before anything starts, and one naming
// none is held to the pin. Changing a pinned binary is a config change
// (Repin through a reload).
func (i *Instance) Swap(ctx context.Context, path, sum string) (time.Duration, error) {
	began := time.Now()
	i.mu.Lock()
	if i.pin != "" {
		if sum != "" && !strings.EqualFold(sum, i.pin) {
			i.mu.Unlock()
			return 0, status.Errorf(codes.FailedPrecondition, "%s is pinned to sha256 %s in config.hcl; a binary with sha256 %s is refused: change the pin in the plugin block and reload", i.Describe(), i.pin, cut(sum, 64))
		}
		sum = i.pin
	}
	if i.state != ctiv1.DriverState_DRIVER_STATE_RUNNING || i.proc == nil || i.swapping {
		state := i.state
		i.mu.Unlock()
		return 0, status.Errorf(codes.FailedPrecondition, "%s is %s, not running: restart it instead of swapping", i.Describe(), stateWord(state))
	}
	i.swapping = true
	old, oldPath, oldSum, oldVersion := i.proc, i.spec.Path, i.spec.SHA256, i.info.GetVersion()
	i.mu.Unlock()
	defer func() { i.mu.Lock(); i.swapping = false; i.mu.Unlock() }()
	if path == "" {
		path = oldPath
	}
	i.logger.Info("swap: starting the new binary beside the old one", "binary", path)

	next, ids, err := i.prepare(ctx, old, path, sum)
	if err != nil {
		i.mu.Lock()
		i.rollbacks++
		i.mu.Unlock()
		reason := i.reason(fmt.Sprintf("swap to %s refused, still serving version %s: %v", path, oldVersion, err))
		i.logger.Error("swap: rolled back", "reason", reason, "took", time.Since(began))
		i.announce(ctiv1.DriverState_DRIVER_STATE_RUNNING, reason)
		return time.Since(began), status.Error(codes.Aborted, reason)
	}
	i.mu.Lock()
	if i.idPrefix != "" {
		i.generation++
		ids.prefix = fmt.Sprintf("%s%d.", i.idPrefix, i.generation)
	}
	i.mu.Unlock()
	next.ids = ids

	i.mu.Lock()
	if i.proc != old || i.stopped {
		i.mu.Unlock()
		next.kill()
		return time.Since(began), status.Errorf(codes.Aborted, "%s changed state during the swap; nothing was swapped", i.Describe())
	}
	i.proc, i.info, i.startedAt = next, next.info, time.Now()
	i.spec.Path, i.spec.SHA256 = path, sum
	i.swaps++
	i.trial = &probation{proc: next, until: time.Now().Add(probationWindow), oldPath: oldPath, oldSum: oldSum, oldVersion: oldVersion}
	i.mu.Unlock()

	// New events come from the new process from now on; the overlap with
	// the old one's last events is deduplicated in forward.
	go i.pump(next)
	go i.probe(next)
	old.cancel() // the old pump and probe stop; in-flight commands go on
	drained := old.drain(swapDrainTimeout)
	old.client.Kill()
	took := time.Since(began)
	reason := fmt.Sprintf("version %s -> %s, binary %s", oldVersion, next.info.GetVersion(), path)
	i.logger.Info("swap: done", "detail", reason, "took", took, "drained", drained)
	i.announce(ctiv1.DriverState_DRIVER_STATE_SWAPPED, reason)
	return took, nil
}

// Repin sets the pin a reload read from the plugin block; the caller then
// swaps to the binary it pins.
func (i *Instance) Repin(pin string) {
	i.mu.Lock()
	i.pin = pin
	i.mu.Unlock()
}

// SetBinary makes every later start use path and pin, as the plugin block
// now says, whether or not a swap to them could run (a down or
// crash-looping instance cannot be swapped): no restart then runs a binary
// the new pin refuses.
func (i *Instance) SetBinary(path, pin string) {
	i.mu.Lock()
	i.spec.Path, i.spec.SHA256, i.pin = path, pin, pin
	i.mu.Unlock()
}

// prepare starts, configures and waits for the new process until it is
// ready, and matches its calls to the old process's ids.
func (i *Instance) prepare(ctx context.Context, old *process, path, sum string) (*process, *idMap, error) {
	i.mu.Lock()
	req := i.spec.Configure
	i.mu.Unlock()
	next, err := launch(ctx, path, sum, i.spec.Name, i.logger, i.policy, i.Redact)
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, i.policy.CommandTimeout)
	_, err = next.driver.Configure(cctx, req)
	cancel()
	if err != nil {
		next.kill()
		return nil, nil, fmt.Errorf("configure: %s", i.Redact(status.Convert(err).Message()))
	}
	ids, err := i.awaitReady(ctx, old, next)
	if err != nil {
		next.kill()
		return nil, nil, err
	}
	return next, ids, nil
}

// awaitReady polls both processes until the new one reaches every device
// the old one reaches and reports as many calls on the same lines, then
// maps the new call ids to the old ones.
func (i *Instance) awaitReady(ctx context.Context, old, next *process) (*idMap, error) {
	deadline := time.Now().Add(swapReadyTimeout)
	var why string
	for time.Now().Before(deadline) {
		ids, notReady, err := i.compare(ctx, old, next)
		if err != nil {
			return nil, err
		}
		if notReady == "" {
			return ids, nil
		}
		why = notReady
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("the new process did not become ready within %s: %s", swapReadyTimeout, why)
}

// compare reads every device from both processes once. notReady says what
// the new one still lacks; err is a failure of the new process.
func (i *Instance) compare(ctx context.Context, old, next *process) (ids *idMap, notReady string, err error) {
	ids = newIDMap()
	for _, d := range i.ConfiguredDevices() {
		dev := d.GetDevice()
		cctx, cancel := context.WithTimeout(ctx, i.policy.CommandTimeout)
		was, errOld := old.driver.GetDeviceState(cctx, &ctiv1.GetDeviceStateRequest{Device: dev})
		now, errNew := next.driver.GetDeviceState(cctx, &ctiv1.GetDeviceStateRequest{Device: dev})
		cancel()
		if errNew != nil {
			return nil, "", fmt.Errorf("device %q: %s", dev, i.Redact(status.Convert(errNew).Message()))
		}
		if errOld != nil {
			continue // nothing to match against
		}
		// The old process may itself be a swapped-in one (or a cluster
		// host's, whose ids are prefixed): pair the new calls with the
		// ids apps know, not with the old process's own.
		i.mu.Lock()
		old.ids.state(was, dev)
		i.mu.Unlock()
		if was.GetStatus().GetReachable() && !now.GetStatus().GetReachable() {
			return nil, fmt.Sprintf("device %q is reachable for the old process but not yet for the new one", dev), nil
		}
		if !ids.match(dev, was.GetCalls(), now.GetCalls()) {
			return nil, fmt.Sprintf("device %q: the new process does not report the same calls yet", dev), nil
		}
	}
	return ids, "", nil
}

// idMap translates the call ids of a swapped-in process to the ids apps
// already know, per device. Only calls that existed at the swap are mapped;
// new calls keep the new process's ids. Guarded by the owning Instance's mu.
type idMap struct {
	toOld map[string]map[string]*ctiv1.Call // device -> new id -> old call
	toNew map[string]map[string]string      // device -> old id -> new id
	// prefix goes before every call id of the process that no old call
	// maps: a host of a cluster sets it per lease it takes, so the ids of
	// one site's drivers on different hosts (each numbering its calls
	// from 1) never collide at the apps.
	prefix string
}

func newIDMap() *idMap {
	return &idMap{toOld: map[string]map[string]*ctiv1.Call{}, toNew: map[string]map[string]string{}}
}

// match pairs each old call with a new one: by global call id when both
// have one, else by line and remote number. It reports whether every old
// call found its pair.
func (m *idMap) match(dev string, was, now []*ctiv1.Call) bool {
	used := map[string]bool{}
	for _, o := range was {
		found := false
		for _, n := range now {
			if used[n.GetCallId()] || !sameCall(o, n) {
				continue
			}
			used[n.GetCallId()], found = true, true
			if m.toOld[dev] == nil {
				m.toOld[dev], m.toNew[dev] = map[string]*ctiv1.Call{}, map[string]string{}
			}
			m.toOld[dev][n.GetCallId()] = o
			m.toNew[dev][o.GetCallId()] = n.GetCallId()
			break
		}
		if !found {
			return false
		}
	}
	return true
}

func sameCall(o, n *ctiv1.Call) bool {
	if o.GetGlobalCallId() != "" && n.GetGlobalCallId() != "" {
		return o.GetGlobalCallId() == n.GetGlobalCallId()
	}
	return o.GetLine() == n.GetLine() && o.GetRemote().GetNumber() == n.GetRemote().GetNumber()
}

// call rewrites a call of the new process to the ids and times apps know.
// ended forgets the mapping.
func (m *idMap) call(dev string, c *ctiv1.Call, ended bool) {
	if m == nil || c == nil {
		return
	}
	if m.prefix != "" {
		if _, mapped := m.toOld[dev][c.GetCallId()]; !mapped && !strings.HasPrefix(c.GetCallId(), m.prefix) {
			c.CallId = m.prefix + c.GetCallId()
		}
		if _, mapped := m.toOld[dev][c.GetRelatedCallId()]; !mapped && c.GetRelatedCallId() != "" && !strings.HasPrefix(c.GetRelatedCallId(), m.prefix) {
			c.RelatedCallId = m.prefix + c.GetRelatedCallId()
		}
	}
	if o, ok := m.toOld[dev][c.GetCallId()]; ok {
		newID := c.GetCallId()
		c.CallId, c.StartedAt = o.GetCallId(), o.GetStartedAt()
		if o.GetConnectedAt() != nil {
			c.ConnectedAt = o.GetConnectedAt()
		}
		if ended {
			delete(m.toOld[dev], newID)
			delete(m.toNew[dev], o.GetCallId())
		}
	}
	if o, ok := m.toOld[dev][c.GetRelatedCallId()]; ok {
		c.RelatedCallId = o.GetCallId()
	}
}

// request rewrites the call ids of a command from the ids apps know to the
// new process's ids.
func (m *idMap) request(msg proto.Message) {
	if m == nil {
		return
	}
	r := msg.ProtoReflect()
	fields := r.Descriptor().Fields()
	devField := fields.ByName("device")
	if devField == nil {
		return
	}
	dev := r.Get(devField).String()
	for _, name := range []protoreflect.Name{"call_id", "other_call_id"} {
		if f := fields.ByName(name); f != nil {
			if n, ok := m.toNew[dev][r.Get(f).String()]; ok {
				r.Set(f, protoreflect.ValueOfString(n))
			} else if id := r.Get(f).String(); m.prefix != "" && strings.HasPrefix(id, m.prefix) {
				r.Set(f, protoreflect.ValueOfString(strings.TrimPrefix(id, m.prefix)))
			}
		}
	}
}

// response rewrites the id of a call a command created (DialResponse,
// ConsultTransferResponse, UnparkResponse) to the one apps will see in its
// events.
func (m *idMap) response(msg proto.Message) {
	if m == nil || m.prefix == "" {
		return
	}
	r := msg.ProtoReflect()
	fields := r.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"call_id", "consult_call_id"} {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind {
			if id := r.Get(f).String(); id != "" && !strings.HasPrefix(id, m.prefix) {
				r.Set(f, protoreflect.ValueOfString(m.prefix+id))
			}
		}
	}
}

// state rewrites a device state's call ids to the ids apps know.
func (m *idMap) state(st *ctiv1.DeviceState, dev string) {
	if m == nil {
		return
	}
	for _, c := range st.GetCalls() {
		m.call(dev, c, false)
	}
	for _, l := range st.GetLines() {
		if o, ok := m.toOld[dev][l.GetCallId()]; ok {
			l.CallId = o.GetCallId()
		} else if m.prefix != "" && l.GetCallId() != "" && !strings.HasPrefix(l.GetCallId(), m.prefix) {
			l.CallId = m.prefix + l.GetCallId()
		}
	}
}
