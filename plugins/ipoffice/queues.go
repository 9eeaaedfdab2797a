package ipoffice

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Hunt groups: IP Office's queues. A hunt group device's status is its
// notify.queue (service mode, members) plus its calls; a user's device
// lists its memberships. Members are added, removed, enabled (unpaused) and
// disabled (paused) with UpdateQueue on the hunt group's subscription
// (document, lines 1855-1872).

// ringModes are NotifyQueue.ringmode's words (document, lines 1759-1762).
var ringModes = map[int32]string{0: "ring idle", 1: "sequential", 2: "group"}

var serviceModes = map[mtcti.NotifyQueue_ServiceMode]ctiv1.QueueServiceMode{
	mtcti.NotifyQueue_Active: ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_IN_SERVICE,
	mtcti.NotifyQueue_NS:     ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_NIGHT_SERVICE,
	mtcti.NotifyQueue_OOS:    ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_OUT_OF_SERVICE,
}

// queueStatusOf is a hunt group device's status now. Callers hold mu.
func (l *link) queueStatusOf(d *device) *ctiv1.QueueStatus {
	q := d.ent.queueInfo
	st := &ctiv1.QueueStatus{ServiceMode: serviceModes[q.GetServicemode()], RingMode: ringModes[q.GetRingmode()]}
	for _, c := range d.calls.Calls() {
		if c.GetState() == ctiv1.CallState_CALL_STATE_QUEUED {
			st.WaitingCalls++
		}
	}
	for _, m := range q.GetQueuemembers().GetMember() {
		member := &ctiv1.QueueMember{Member: m.GetExtn(), Status: ctiv1.AgentStatus_AGENT_STATUS_AVAILABLE}
		if u := l.userByExtn(m.GetExtn()); u != nil {
			member.Name = u.name
			member.Status = agentStatus(u)
			if agent := l.sameView(d, u); agent != nil {
				member.Device = agent.id
			}
		}
		if m.GetDisabled() {
			member.Status = ctiv1.AgentStatus_AGENT_STATUS_PAUSED
		}
		st.Members = append(st.Members, member)
	}
	return st
}

// agentStatus is what a user does: in after-call work, on a call, free.
func agentStatus(u *entity) ctiv1.AgentStatus {
	status := ctiv1.AgentStatus_AGENT_STATUS_AVAILABLE
	for _, d := range u.devices {
		for _, c := range d.calls.Calls() {
			if c.GetVendorState() == mtcti.CallInfo_AFTERCALLWORK.String() {
				return ctiv1.AgentStatus_AGENT_STATUS_WRAP_UP
			}
			status = ctiv1.AgentStatus_AGENT_STATUS_BUSY
		}
		break // every view of a user sees the same calls
	}
	return status
}

// userByExtn finds a user of the lines list. Callers hold mu.
func (l *link) userByExtn(extn string) *entity { return l.users[extn] }

// sameView returns u's device in the view (site) of queue device q.
// Callers hold mu.
func (l *link) sameView(q *device, u *entity) *device {
	for _, v := range l.views {
		if id, _ := v.idOf(q.ent.extn); id == q.id {
			if uid, _ := v.idOf(u.extn); u.devices[uid] != nil {
				return u.devices[uid]
			}
		}
	}
	return nil
}

// memberships lists the hunt groups a user device belongs to, as seen in
// its view. Callers hold mu.
func (l *link) memberships(d *device) []*ctiv1.QueueMembership {
	var out []*ctiv1.QueueMembership
	for _, e := range l.lines {
		if !e.queue || e.queueInfo == nil {
			continue
		}
		for _, m := range e.queueInfo.GetQueuemembers().GetMember() {
			if m.GetExtn() != d.ent.extn {
				continue
			}
			status := agentStatus(d.ent)
			if m.GetDisabled() {
				status = ctiv1.AgentStatus_AGENT_STATUS_PAUSED
			}
			out = append(out, &ctiv1.QueueMembership{Queue: e.extn, Name: e.name, Status: status})
		}
	}
	slices.SortFunc(out, func(a, b *ctiv1.QueueMembership) int {
		switch {
		case a.GetQueue() < b.GetQueue():
			return -1
		case a.GetQueue() > b.GetQueue():
			return 1
		}
		return 0
	})
	return out
}

// publishQueuesFor publishes what a change of e (a user's calls or
// settings, a hunt group's notify or calls) changed in hunt groups'
// statuses and users' memberships: e's own devices, the hunt groups a user
// e belongs to, the members of a hunt group e. Callers hold mu.
func (l *link) publishQueuesFor(e *entity) {
	affected := []*entity{e}
	for _, other := range l.lines {
		switch {
		case other == e:
		case e.queue && !other.queue && (isMember(e, other.extn) || wasMember(other, e.extn)):
			affected = append(affected, other)
		case !e.queue && other.queue && isMember(other, e.extn):
			affected = append(affected, other)
		}
	}
	l.publishQueues(affected)
}

// wasMember reports whether user u's devices last listed hunt group extn.
func wasMember(u *entity, extn string) bool {
	for _, d := range u.devices {
		if d.memberships[extn] != nil {
			return true
		}
	}
	return false
}

func isMember(queue *entity, extn string) bool {
	return slices.ContainsFunc(queue.queueInfo.GetQueuemembers().GetMember(), func(m *mtcti.QueueMember) bool { return m.GetExtn() == extn })
}

// publishQueues publishes the changes of the entities' queue statuses and
// memberships. Callers hold mu.
func (l *link) publishQueues(entities []*entity) {
	now := timestamppb.New(l.now())
	for _, e := range entities {
		for _, d := range e.devices {
			if e.queue {
				if e.queueInfo == nil {
					continue
				}
				st := l.queueStatusOf(d)
				if d.queueStatus == nil || !proto.Equal(d.queueStatus, st) {
					d.queueStatus = st
					l.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_QueueStatusChanged{QueueStatusChanged: &ctiv1.QueueStatusChanged{Status: st}}})
				}
				continue
			}
			was := d.memberships
			d.memberships = map[string]*ctiv1.QueueMembership{}
			for _, m := range l.memberships(d) {
				d.memberships[m.GetQueue()] = m
				if old := was[m.GetQueue()]; old == nil || !proto.Equal(old, m) {
					l.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{Membership: m}}})
				}
			}
			for q, old := range was {
				if d.memberships[q] == nil {
					left := proto.Clone(old).(*ctiv1.QueueMembership)
					left.Status = ctiv1.AgentStatus_AGENT_STATUS_LOGGED_OUT
					l.publish(&ctiv1.Event{Device: d.id, Time: now, Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{Membership: left}}})
				}
			}
		}
	}
}

// SetQueueServiceMode puts a hunt group in or out of service.
func (d *Driver) SetQueueServiceMode(ctx context.Context, req *ctiv1.SetQueueServiceModeRequest) (*ctiv1.CommandResponse, error) {
	t, err := d.queue(req.GetDevice())
	if err != nil {
		return nil, err
	}
	mode := map[ctiv1.QueueServiceMode]mtcti.SetServiceMode_ServiceMode{
		ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_IN_SERVICE:     mtcti.SetServiceMode_Active,
		ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_NIGHT_SERVICE:  mtcti.SetServiceMode_NS,
		ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_OUT_OF_SERVICE: mtcti.SetServiceMode_OOS,
	}[req.GetMode()]
	return d.updateQueue(ctx, t, req.GetDevice(), &mtcti.UpdateQueue{Setservicemode: &mtcti.SetServiceMode{Servicemode: mode}})
}

// JoinQueue adds the user to a hunt group.
func (d *Driver) JoinQueue(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.member(ctx, req, func(extn string) *mtcti.UpdateQueue {
		return &mtcti.UpdateQueue{Addmember: []*mtcti.QueueMember{{Extn: extn}}}
	})
}

// LeaveQueue removes the user from a hunt group.
func (d *Driver) LeaveQueue(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.member(ctx, req, func(extn string) *mtcti.UpdateQueue {
		return &mtcti.UpdateQueue{Deletemember: []*mtcti.QueueMember{{Extn: extn}}}
	})
}

// PauseAgent disables the user in a hunt group, or in every one it is a
// member of: addmember with disabled set (document, line 1869).
func (d *Driver) PauseAgent(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.eachMembership(ctx, req, true)
}

// UnpauseAgent enables the user again.
func (d *Driver) UnpauseAgent(ctx context.Context, req *ctiv1.QueueRequest) (*ctiv1.CommandResponse, error) {
	return d.eachMembership(ctx, req, false)
}

func (d *Driver) eachMembership(ctx context.Context, req *ctiv1.QueueRequest, disabled bool) (*ctiv1.CommandResponse, error) {
	queues := []string{req.GetQueue()}
	if req.GetQueue() == "" {
		l, dev, err := d.find(req.GetDevice())
		if err != nil {
			return nil, err
		}
		if dev == nil {
			return nil, sdk.Unavailable("device %q: IP Office has not reported this user", req.GetDevice())
		}
		l.mu.Lock()
		queues = nil
		for _, m := range l.memberships(dev) {
			queues = append(queues, m.GetQueue())
		}
		l.mu.Unlock()
	}
	for _, q := range queues {
		one := &ctiv1.QueueRequest{Device: req.GetDevice(), Queue: q}
		if _, err := d.member(ctx, one, func(extn string) *mtcti.UpdateQueue {
			return &mtcti.UpdateQueue{Addmember: []*mtcti.QueueMember{{Extn: extn, Disabled: disabled}}}
		}); err != nil {
			return nil, err
		}
	}
	return received(), nil
}

// member sends an UpdateQueue about the request's user to its hunt group,
// named by number or by device id.
func (d *Driver) member(ctx context.Context, req *ctiv1.QueueRequest, update func(extn string) *mtcti.UpdateQueue) (*ctiv1.CommandResponse, error) {
	l, dev, err := d.find(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if dev == nil || dev.ent.queue {
		return nil, sdk.FailedPrecondition("device %q is not an IP Office user reported by the PBX: only users join hunt groups", req.GetDevice())
	}
	t, err := d.queueOf(l, dev, req.GetQueue())
	if err != nil {
		return nil, err
	}
	return d.updateQueue(ctx, t, req.GetDevice(), update(dev.ent.extn))
}

// queueOf finds the hunt group name (its number, or its device id) in
// dev's view.
func (d *Driver) queueOf(l *link, dev *device, name string) (target, error) {
	l.mu.Lock()
	var found *device
	for _, e := range l.lines {
		if !e.queue {
			continue
		}
		for id, qd := range e.devices {
			if e.extn == name || id == name {
				found = qd
			}
		}
	}
	l.mu.Unlock()
	if found == nil {
		return target{}, sdk.NotFound("device %q: no hunt group %q in the connection's scope; name one by its number", dev.id, name)
	}
	return d.queue(found.id)
}

// queue resolves a hunt group device to its subscription.
func (d *Driver) queue(id string) (target, error) {
	l, dev, err := d.find(id)
	if err != nil {
		return target{}, err
	}
	if dev == nil {
		return target{}, sdk.Unavailable("device %q: IP Office has not reported this hunt group; check its extension and the connection's scope", id)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !dev.ent.queue {
		return target{}, sdk.FailedPrecondition("device %q is a user, not a hunt group", id)
	}
	if l.sess == nil || dev.ent.subID == 0 {
		return target{}, sdk.Unavailable("device %q: the link to IP Office is down (%s); retry in a moment", id, l.detail)
	}
	return target{l: l, dev: dev, sess: l.sess, subID: dev.ent.subID}, nil
}

func (d *Driver) updateQueue(ctx context.Context, t target, device string, u *mtcti.UpdateQueue) (*ctiv1.CommandResponse, error) {
	err := t.sess.Command(ctx, &mtcti.SubscribeCmd{SubscribeId: t.subID, Payload: &mtcti.SubscribeCmd_Queue{Queue: u}})
	if err := commandError(device, err, true); err != nil {
		return nil, err
	}
	return received(), nil
}
