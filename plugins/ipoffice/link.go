package ipoffice

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipoapi"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
	"github.com/ctihost/ctihost/sdk/wsconn"
)

// Subscription flags (document, lines 1029-1033, 1308-1362, 1707-1709,
// 1894-1918).
const (
	linesFlags = 0x3 // every user and every hunt group
	// userFlags: mailbox counters and forwarding details.
	userFlags = 0x1 | 0x2
	// userCCFlags: the document's recommended 0x99 (primary call data,
	// conference membership, dial info, language and privacy) plus trunk
	// detail (0x20: the DID) and queue information (0x40).
	userCCFlags = 0x99 | 0x20 | 0x40
	// queueFlags: the members list.
	queueFlags = 0x2
	// queueCCFlags: the document's example 0x40039 plus queue information.
	queueCCFlags = 0x40039 | 0x40
)

// link is one MTCTI3 connection to an IP Office, shared by every
// connection block that names the same system and service user. It
// reconnects with backoff (primary, then secondary), resubscribes and
// resynchronises; every event it makes goes through publish from its
// session's read loop, or from run while no session reads, so the events
// of one device stay in order.
type link struct {
	cfg     linkConfig
	logger  hclog.Logger
	publish func(*ctiv1.Event)
	now     func() time.Time

	mu       sync.Mutex
	views    []view
	sess     *ipoapi.Session
	subs     *sdk.Subscriptions
	up       bool
	detail   string // why the link is down, for device status
	version  string
	addr     string             // the address of the current or last session
	since    time.Time          // when the link last went up or down
	lines    map[string]*entity // by GUID hex: every user and queue of the system
	users    map[string]*entity // the users of lines, by extension
	calls    map[string]*int    // call numbering per device id (see device.next)
	bySub    map[int32]*entity  // the current session's subscriptions
	linesSub int32
	stop     context.CancelFunc
	done     chan struct{}
}

// entity is a user or a queue of the IP Office.
type entity struct {
	queue     bool
	guid      []byte
	extn      string
	name      string
	subID     int32              // its subscription in the current session, 0 when none
	user      *mtcti.NotifyUser  // the last notify.user
	queueInfo *mtcti.NotifyQueue // the last notify.queue
	devices   map[string]*device // by device id: one per view whose scope holds it
}

// device is an entity as one view (site) sees it.
type device struct {
	id     string
	ent    *entity
	calls  *sdk.CallSet
	status *ctiv1.DeviceStatus // the last one published

	// Call ids: IP Office's callid is unique only within one subscription
	// (document, lines 2100-2102) and a reconnect makes new subscriptions,
	// so apps get ids of the driver's own, kept for a call across a
	// reconnect by its gcid.
	ids    map[[2]int32]string // (subscribe_id, callid) -> call id
	vendor map[string][2]int32 // call id -> (subscribe_id, callid) now
	gcids  map[string]string   // gcid hex -> call id, for current calls
	gcidOf map[string]string   // call id -> its key in gcids
	// next numbers the device id's calls; it is the link's (callSeq), so
	// that a device id that passes to another user (a renumbering) never
	// reuses a call id apps saw end.
	next  *int
	dials map[int32]chan string // referencecallid -> the call id, for Dial
	seen  map[string]bool       // calls reported since the last resubscription
	// handedOn are the calls the driver transferred, redirected or
	// parked: their CallLost means TRANSFERRED, not a hang-up.
	handedOn map[string]bool
	// features are each call's last featuresavailable, for the commands
	// whose bit depends on the request (SetCallData, SetRecording).
	features map[string]mtcti.CallFeatures
	// queueStatus (a hunt group) and memberships (a user, by hunt group
	// number) are the last published.
	queueStatus *ctiv1.QueueStatus
	memberships map[string]*ctiv1.QueueMembership
}

func newLink(cfg linkConfig, logger hclog.Logger, publish func(*ctiv1.Event)) *link {
	return &link{cfg: cfg, logger: logger, publish: publish, now: time.Now, lines: map[string]*entity{}, bySub: map[int32]*entity{},
		users: map[string]*entity{}, calls: map[string]*int{},
		detail: "connecting to IP Office"}
}

// start runs the link until stop.
func (l *link) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.stop, l.done = cancel, make(chan struct{})
	if l.cfg.tls.InsecureSkipVerify {
		l.logger.Warn("INSECURE: insecure_skip_verify trusts any certificate; anyone on the path can read the service user's password and every call", "address", l.cfg.primary)
	}
	go func() {
		defer close(l.done)
		l.run(ctx)
	}()
}

// close stops the link and waits for it.
func (l *link) close() {
	l.stop()
	<-l.done
}

// run connects, serves the session until it ends, and reconnects.
func (l *link) run(ctx context.Context) {
	backoff := wsconn.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second, Factor: 2, Jitter: 0.2}
	for ctx.Err() == nil {
		sess, addr, err := l.dial(ctx)
		if err != nil {
			detail := fmt.Sprintf("cannot reach IP Office: %v", err)
			l.mu.Lock()
			changed := detail != l.detail
			l.mu.Unlock()
			if changed && ctx.Err() == nil { // once per reason, not at every retry
				l.logger.Warn("cannot connect to IP Office; retrying with backoff", "error", err)
			}
			l.setDown(detail)
			select {
			case <-ctx.Done():
			case <-time.After(backoff.Next()):
			}
			continue
		}
		backoff.Reset()
		l.serve(ctx, sess, addr)
	}
}

// dial tries the primary address, then the secondary.
func (l *link) dial(ctx context.Context) (*ipoapi.Session, string, error) {
	var errs []error
	for _, addr := range []string{l.cfg.primary, l.cfg.secondary} {
		if addr == "" {
			continue
		}
		opts := ipoapi.Options{Address: addr, Username: l.cfg.username, Password: l.cfg.password, TLS: l.cfg.tls, Framing: l.cfg.framing, Logger: l.logger}
		sess, err := ipoapi.Dial(ctx, opts, (*handler)(l))
		if err == nil {
			return sess, addr, nil
		}
		if errors.Is(err, wsconn.ErrUnauthorized) {
			err = fmt.Errorf("%w (IP Office: a rights group with Enhanced TSPI Access)", err)
		}
		errs = append(errs, err)
	}
	return nil, "", errors.Join(errs...)
}

// serve runs one session: version, lines, then every user and queue in
// scope as the lines list names them; it returns when the session ends.
func (l *link) serve(ctx context.Context, sess *ipoapi.Session, addr string) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subs := &sdk.Subscriptions{OnError: func(key string, err error) {
		l.logger.Warn("subscription failed; retrying", "subscription", key, "error", err)
	}}
	l.mu.Lock()
	l.sess, l.subs, l.bySub, l.linesSub = sess, subs, map[int32]*entity{}, 0
	for _, e := range l.lines {
		e.subID = 0
	}
	l.mu.Unlock()

	vctx, vcancel := context.WithTimeout(sctx, 10*time.Second)
	version, err := sess.Version(vctx)
	vcancel()
	if err != nil {
		l.logger.Info("IP Office does not report its version (getversioninfo needs 11.1 or later)", "error", err)
	}
	l.logger.Info("connected to IP Office", "address", addr, "version", version)
	l.mu.Lock()
	l.version, l.addr = version, addr
	l.mu.Unlock()

	subs.Add("lines", l.cfg.subTimeout, l.subscribeLines)
	subs.Start(sctx)
	select {
	case <-ctx.Done():
		_ = sess.Close()
	case <-sess.Done():
	}
	subs.Stop()
	l.setDown(fmt.Sprintf("the link to IP Office %s broke: %v; reconnecting", addr, sess.Err()))
}

// subscribeLines subscribes (or refreshes) the lines list.
func (l *link) subscribeLines(ctx context.Context) error {
	l.mu.Lock()
	sess, id := l.sess, l.linesSub
	fresh := id == 0
	if fresh {
		id = sess.NewSubscribeID()
		l.linesSub = id
	}
	l.mu.Unlock()
	sub := &mtcti.Subscribe{SubscribeId: id, Timeout: seconds(l.cfg.subTimeout)}
	if fresh {
		sub.Payload = &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: linesFlags}}
	}
	err := sess.Subscribe(ctx, sub)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil && fresh:
		l.linesSub = 0
	case err == nil && !l.up && l.sess == sess:
		l.up, l.detail, l.since = true, "", l.now()
		for _, e := range l.lines {
			for _, d := range e.devices {
				l.publishStatus(d)
			}
		}
	}
	return err
}

// subscribeEntity subscribes (or refreshes) one user or queue.
func (l *link) subscribeEntity(e *entity) func(context.Context) error {
	return func(ctx context.Context) error {
		l.mu.Lock()
		sess, id := l.sess, e.subID
		fresh := id == 0
		if fresh {
			id = sess.NewSubscribeID()
			e.subID = id
			l.bySub[id] = e
		}
		l.mu.Unlock()
		sub := &mtcti.Subscribe{SubscribeId: id, Timeout: seconds(l.cfg.subTimeout)}
		if fresh && e.queue {
			sub.Payload = &mtcti.Subscribe_Queue{Queue: &mtcti.SubscribeQueue{Guid: e.guid, Flags: queueFlags, Ccflags: queueCCFlags}}
		} else if fresh {
			sub.Payload = &mtcti.Subscribe_User{User: &mtcti.SubscribeUser{Guid: e.guid, Flags: userFlags, Ccflags: userCCFlags}}
		}
		if fresh {
			l.mu.Lock()
			for _, d := range e.devices {
				d.seen = map[string]bool{}
			}
			l.mu.Unlock()
		}
		err := sess.Subscribe(ctx, sub)
		if err != nil {
			if fresh {
				l.mu.Lock()
				delete(l.bySub, id)
				if e.subID == id {
					e.subID = 0
				}
				l.mu.Unlock()
			}
			return err
		}
		if fresh {
			// IP Office reports a user's calls in progress after a new
			// subscription (modelled: the document does not say when);
			// those it has not reported within the grace ended while the
			// link was down.
			time.AfterFunc(l.cfg.grace, func() { l.resync(e, id) })
		}
		return nil
	}
}

// resync ends, as lost, the calls of e that its subscription id did not
// report since it was made.
func (l *link) resync(e *entity, id int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.subID != id {
		return // resubscribed or gone meanwhile
	}
	now := l.now()
	for _, d := range e.devices {
		var present []*ctiv1.Call
		for _, c := range d.calls.Calls() {
			if d.seen[c.GetCallId()] {
				present = append(present, c)
			}
		}
		l.emit(d.calls.Reconcile(now, present, ctiv1.EndReason_END_REASON_LOST))
		d.forgetEnded()
	}
}

// setDown marks every device unreachable, once per outage.
func (l *link) setDown(detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.up || l.since.IsZero() {
		l.since = l.now()
	}
	l.sess, l.up, l.detail = nil, false, detail
	for _, e := range l.lines {
		e.subID = 0
		for _, d := range e.devices {
			l.publishStatus(d)
		}
	}
}

// handler is the link as the session's Handler.
type handler link

// Notify handles an event of a subscription.
func (h *handler) Notify(n *mtcti.Notify) {
	l := (*link)(h)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.linesSub != 0 && n.GetSubscribeId() == l.linesSub {
		if lines := n.GetLines(); lines != nil {
			l.applyLines(lines)
		}
		return
	}
	e := l.bySub[n.GetSubscribeId()]
	if e == nil {
		return // unknown subscribe_id: ignored (document, line 486)
	}
	switch p := n.GetPayload().(type) {
	case *mtcti.Notify_User:
		e.user = p.User
		for _, d := range e.devices {
			l.publishStatus(d)
		}
	case *mtcti.Notify_Queue:
		e.queueInfo = p.Queue
		for _, d := range e.devices {
			l.publishStatus(d)
		}
	case *mtcti.Notify_Callcontrol:
		for _, d := range e.devices {
			l.applyCalls(d, n.GetSubscribeId(), p.Callcontrol)
		}
	default:
		return
	}
	l.publishQueuesFor(e)
}

// Terminated resubscribes what IP Office ended.
func (h *handler) Terminated(id int32) {
	l := (*link)(h)
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == l.linesSub {
		l.linesSub = 0
		l.subs.Terminated("lines")
		return
	}
	if e := l.bySub[id]; e != nil {
		delete(l.bySub, id)
		e.subID = 0
		l.subs.Terminated(entityKey(e))
	}
}

func entityKey(e *entity) string { return hex.EncodeToString(e.guid) }

// applyLines applies a lines notify: the first lists everything as adds,
// later ones what changed (document, lines 1040, 1160-1215). Callers hold mu.
func (l *link) applyLines(n *mtcti.NotifyLines) {
	var added []*ctiv1.Device
	var removed []string
	var fresh []*device // their status goes out after the announcement
	add := func(queue bool, guid []byte, extn, name string) {
		key := hex.EncodeToString(guid)
		e := l.lines[key]
		if e != nil && (e.extn != extn || e.queue != queue) {
			// A renumbered user is another device for apps.
			removed = append(removed, l.dropEntity(e)...)
			e = nil
		}
		for _, other := range l.lines {
			if other != e && other.extn == extn && extn != "" {
				// The number now belongs to this user or hunt group: the
				// one that had it was renumbered or deleted, whatever
				// order IP Office reports it in.
				removed = append(removed, l.dropEntity(other)...)
			}
		}
		if e == nil {
			e = &entity{queue: queue, guid: slices.Clone(guid), devices: map[string]*device{}}
			l.lines[key] = e
		}
		e.extn, e.name = extn, name
		if !queue && extn != "" {
			l.users[extn] = e
		}
		for _, v := range l.views {
			if extn == "" || !v.has(extn, queue) {
				continue
			}
			id, configured := v.idOf(extn)
			if e.devices[id] == nil {
				e.devices[id] = l.newDevice(id, e)
			}
			if !configured {
				added = append(added, l.describe(e, id))
			}
			fresh = append(fresh, e.devices[id])
		}
		if len(e.devices) > 0 && l.subs != nil {
			l.subs.Add(key, l.cfg.subTimeout, l.subscribeEntity(e))
		}
	}
	// Deletes first, then changes and adds: a number freed in this notify
	// may be given to another user in it.
	for _, u := range n.GetDeleteuser() {
		if e := l.lines[hex.EncodeToString(u.GetGuid())]; e != nil {
			removed = append(removed, l.dropEntity(e)...)
		}
	}
	for _, q := range n.GetDeletequeue() {
		if e := l.lines[hex.EncodeToString(q.GetGuid())]; e != nil {
			removed = append(removed, l.dropEntity(e)...)
		}
	}
	for _, u := range n.GetChangeuser() {
		add(false, u.GetGuid(), u.GetExtn(), u.GetName())
	}
	for _, q := range n.GetChangequeue() {
		add(true, q.GetGuid(), q.GetExtn(), q.GetName())
	}
	for _, u := range n.GetAdduser() {
		add(false, u.GetGuid(), u.GetExtn(), u.GetName())
	}
	for _, q := range n.GetAddqueue() {
		add(true, q.GetGuid(), q.GetExtn(), q.GetName())
	}
	// A device removed and added again in one notify (a renumbering
	// chain) is announced as added only.
	removed = slices.DeleteFunc(removed, func(id string) bool {
		return slices.ContainsFunc(added, func(d *ctiv1.Device) bool { return d.GetDevice() == id })
	})
	fresh = slices.DeleteFunc(fresh, func(d *device) bool { return d.ent.devices[d.id] != d })
	if len(added) > 0 || len(removed) > 0 {
		l.publish(&ctiv1.Event{Time: timestamppb.New(l.now()), Payload: &ctiv1.Event_DevicesChanged{
			DevicesChanged: &ctiv1.DevicesChanged{Added: added, Removed: removed}}})
	}
	for _, d := range fresh {
		l.publishStatus(d)
	}
}

// dropEntity forgets a user or queue deleted from the system: its calls
// end, its subscription ends, its devices go. Callers hold mu.
func (l *link) dropEntity(e *entity) []string {
	key := entityKey(e)
	delete(l.lines, key)
	if l.users[e.extn] == e {
		delete(l.users, e.extn)
	}
	if l.subs != nil {
		l.subs.Remove(key)
	}
	if e.subID != 0 {
		delete(l.bySub, e.subID)
		if sess, id := l.sess, e.subID; sess != nil {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = sess.End(ctx, id) // the user is gone; IP Office may have ended it already
			}()
		}
		e.subID = 0
	}
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(e.devices)) {
		l.emit(e.devices[id].calls.EndAll(l.now(), ctiv1.EndReason_END_REASON_LOST))
		if !l.isConfigured(id) {
			ids = append(ids, id)
		}
	}
	e.devices = map[string]*device{}
	if e.queue {
		l.publishQueuesFor(e) // its members leave it
	}
	return ids
}

// callSeq is the call numbering of device id. Callers hold mu.
func (l *link) callSeq(id string) *int {
	if l.calls[id] == nil {
		l.calls[id] = new(int)
	}
	return l.calls[id]
}

// isConfigured reports whether a device block configures id. Callers hold
// mu.
func (l *link) isConfigured(id string) bool {
	for _, v := range l.views {
		for _, cid := range v.configured {
			if cid == id {
				return true
			}
		}
	}
	return false
}

// viewsNow returns the link's views.
func (l *link) viewsNow() []view {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.views)
}

// device returns the device id of this link, or nil.
func (l *link) device(id string) *device {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.lines {
		if d := e.devices[id]; d != nil {
			return d
		}
	}
	return nil
}

// connections reports the link as each of its views' connection.
func (l *link) connections() []*ctiv1.ConnectionStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*ctiv1.ConnectionStatus
	for _, v := range l.views {
		c := &ctiv1.ConnectionStatus{Name: v.name, Connected: l.up, Address: l.addr, PeerVersion: l.version, Detail: l.detail}
		if !l.since.IsZero() {
			c.Since = timestamppb.New(l.since)
		}
		out = append(out, c)
	}
	return out
}

// nameOf is d's name on the IP Office.
func (l *link) nameOf(d *device) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return d.ent.name
}

// discovered lists the link's devices that no device block configures.
func (l *link) discovered() []*ctiv1.Device {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*ctiv1.Device
	for _, e := range l.lines {
		for id := range e.devices {
			if !l.isConfigured(id) {
				out = append(out, l.describe(e, id))
			}
		}
	}
	return out
}

// announceGone tells apps, after close, that a link's discovered devices
// are gone with it (a reload removed or changed its connection).
func (l *link) announceGone() {
	l.mu.Lock()
	defer l.mu.Unlock()
	var removed []string
	for _, e := range l.lines {
		removed = append(removed, l.dropEntity(e)...)
	}
	if len(removed) > 0 {
		slices.Sort(removed)
		l.publish(&ctiv1.Event{Time: timestamppb.New(l.now()), Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: &ctiv1.DevicesChanged{Removed: removed}}})
	}
}

// state is d's DeviceState now.
func (l *link) state(d *device) *ctiv1.DeviceState {
	l.mu.Lock()
	defer l.mu.Unlock()
	desc := l.describe(d.ent, d.id)
	st := &ctiv1.DeviceState{Device: d.id, Model: desc.GetModel(), Status: l.statusOf(d), Calls: d.calls.Calls(), UpdatedAt: timestamppb.New(l.now())}
	if d.ent.queue {
		st.QueueStatus = l.queueStatusOf(d)
	} else {
		st.Queues = l.memberships(d)
	}
	return st
}

// snapshot is every device's status and calls, for a new stream.
func (l *link) snapshot() []*ctiv1.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := timestamppb.New(l.now())
	var out []*ctiv1.Event
	for _, e := range l.lines {
		for _, id := range slices.Sorted(maps.Keys(e.devices)) {
			d := e.devices[id]
			out = append(out, &ctiv1.Event{Device: id, Time: now, Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: l.statusOf(d)}}})
			if e.queue && e.queueInfo != nil {
				out = append(out, &ctiv1.Event{Device: id, Time: now, Payload: &ctiv1.Event_QueueStatusChanged{QueueStatusChanged: &ctiv1.QueueStatusChanged{Status: l.queueStatusOf(d)}}})
			}
			for _, m := range l.memberships(d) {
				out = append(out, &ctiv1.Event{Device: id, Time: now, Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{Membership: m}}})
			}
			for _, c := range d.calls.Calls() {
				out = append(out, &ctiv1.Event{Device: id, Time: now, Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: c}}})
			}
		}
	}
	return out
}

func (l *link) newDevice(id string, e *entity) *device {
	return &device{id: id, ent: e, calls: sdk.NewCallSet(id, nil), ids: map[[2]int32]string{}, vendor: map[string][2]int32{},
		gcids: map[string]string{}, gcidOf: map[string]string{}, features: map[string]mtcti.CallFeatures{}, dials: map[int32]chan string{}, seen: map[string]bool{}, handedOn: map[string]bool{},
		next: l.callSeq(id)}
}

// describe is the Device of e as device id. Callers hold mu.
func (l *link) describe(e *entity, id string) *ctiv1.Device {
	d := &ctiv1.Device{Device: id, Name: e.name, Model: ModelUser, Kind: ctiv1.DeviceKind_DEVICE_KIND_EXTENSION, Capabilities: slices.Clone(userCaps)}
	if e.queue {
		d.Model, d.Kind, d.Capabilities = ModelQueue, ctiv1.DeviceKind_DEVICE_KIND_QUEUE, slices.Clone(queueCaps)
	}
	return d
}

// statusOf is d's device status now. Callers hold mu.
func (l *link) statusOf(d *device) *ctiv1.DeviceStatus {
	st := &ctiv1.DeviceStatus{Reachable: l.up, Detail: l.detail}
	if u := d.ent.user; u != nil {
		dnd := u.GetDnd()
		st.Dnd = &dnd
		st.Registration = ctiv1.Registration_REGISTRATION_REGISTERED
		if u.GetLoggedoff() || u.GetExtnfault() {
			// Logged off every phone, or its phone is not connected: the
			// user cannot make or take calls (document, lines 1370-1435).
			st.Registration = ctiv1.Registration_REGISTRATION_UNREGISTERED
		}
		if u.GetFwdu() && u.GetFwdunumber() != "" {
			st.Forwards = append(st.Forwards, &ctiv1.Forward{Mode: ctiv1.ForwardMode_FORWARD_MODE_ALWAYS, Destination: u.GetFwdunumber()})
		}
		if u.GetFwdb() {
			dest := u.GetFwdbnumber()
			if dest == "" {
				dest = u.GetFwdunumber() // "if different from fwdunumber" (document, line 1432)
			}
			if dest != "" {
				st.Forwards = append(st.Forwards, &ctiv1.Forward{Mode: ctiv1.ForwardMode_FORWARD_MODE_BUSY, Destination: dest})
			}
		}
		switch {
		case st.Registration == ctiv1.Registration_REGISTRATION_UNREGISTERED || u.GetDnd():
			st.Presence = ctiv1.Presence_PRESENCE_AWAY
		case len(d.calls.Calls()) > 0:
			st.Presence = ctiv1.Presence_PRESENCE_BUSY
		default:
			st.Presence = ctiv1.Presence_PRESENCE_AVAILABLE
		}
		st.UnavailableOperations = unavailable(u.Features())
		if a := u.GetAbsence(); a.GetMsg() != 0 || a.GetStr() != "" {
			st.Absence = &ctiv1.Absence{Preset: a.GetMsg(), Text: a.GetStr()}
		}
		st.PresenceNote, st.Station = u.GetApp(), u.GetLoggedinextn()
		if m := u.GetMailbox(); m != nil {
			st.Voicemail = &ctiv1.Voicemail{NewMessages: nonNegative(m.GetNewmessages()), OldMessages: nonNegative(m.GetOldmessages()), SavedMessages: nonNegative(m.GetSavedmessages())}
		}
		twinning := u.GetEc500()
		st.Twinning = &twinning
	}
	return st
}

// nonNegative is a counter IP Office sends as an int32.
func nonNegative(n int32) uint32 { return uint32(max(n, 0)) }

// publishStatus publishes d's status when it changed. Callers hold mu.
func (l *link) publishStatus(d *device) {
	st := l.statusOf(d)
	if d.status != nil && proto.Equal(d.status, st) {
		return
	}
	d.status = st
	l.publish(&ctiv1.Event{Device: d.id, Time: timestamppb.New(l.now()), Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: st}}})
}

// emit publishes events made under mu.
func (l *link) emit(evs []*ctiv1.Event) {
	for _, ev := range evs {
		l.publish(ev)
	}
}

// applyCalls applies one callcontrol notify to a device: a full snapshot
// of each call that changed, and the calls that are gone. Callers hold mu.
func (l *link) applyCalls(d *device, sub int32, n *mtcti.NotifyCallControl) {
	now := l.now()
	for _, ci := range n.GetCallinfo() {
		d.callID(sub, ci.GetCallid(), ci.GetGcid()) // first, so that relatedcallid finds calls new in this Notify
	}
	for _, ci := range n.GetCallinfo() {
		id := d.callID(sub, ci.GetCallid(), ci.GetGcid())
		d.seen[id] = true
		d.features[id] = ci.Features()
		call := toCall(d, id, ci)
		if ch := d.dials[ci.GetReferencecallid()]; ch != nil && ci.GetReferencecallid() != 0 {
			select {
			case ch <- id:
			default:
			}
			delete(d.dials, ci.GetReferencecallid())
		}
		l.emit(d.calls.Upsert(now, call))
	}
	// A completed transfer ends the held call and the consultation call in
	// one Notify (document, lines 1978-1980): both were handed on.
	lostNow := map[string]bool{}
	for _, lost := range n.GetCalllost() {
		if id, ok := d.ids[[2]int32{sub, lost.GetCallid()}]; ok {
			lostNow[id] = true
		}
	}
	for _, lost := range n.GetCalllost() {
		id, ok := d.ids[[2]int32{sub, lost.GetCallid()}]
		if !ok {
			if ch := d.dials[lost.GetReferencecallid()]; ch != nil && lost.GetReferencecallid() != 0 {
				// A MakeCall that failed at once shows only a CallLost
				// with its referencecallid (document, lines 2214-2217).
				close(ch)
				delete(d.dials, lost.GetReferencecallid())
			}
			continue
		}
		last := d.calls.Call(id)
		reason, by := endOf(lost, last)
		if d.handedOn[id] && lost.GetThisenddropped() || last.GetVendorState() == mtcti.CallInfo_ONHOLDPENDTRANSFER.String() && lostNow[last.GetRelatedCallId()] ||
			last.GetRelatedCallId() != "" && lostNow[last.GetRelatedCallId()] && d.calls.Call(last.GetRelatedCallId()).GetVendorState() == mtcti.CallInfo_ONHOLDPENDTRANSFER.String() {
			reason = ctiv1.EndReason_END_REASON_TRANSFERRED
		}
		l.emit(d.calls.End(now, id, reason, by, lostText(lost)))
		d.forget(id)
	}
	l.publishStatus(d) // presence follows the calls
}

// callID returns the app's id of IP Office call (sub, callid).
func (d *device) callID(sub, callid int32, gcid []byte) string {
	key := [2]int32{sub, callid}
	if id, ok := d.ids[key]; ok {
		return id
	}
	g := hex.EncodeToString(gcid)
	id, ok := d.gcids[g]
	if !ok || g == "" || d.calls.Call(id) == nil {
		*d.next++
		id = strconv.Itoa(*d.next)
	}
	if old, ok := d.vendor[id]; ok {
		delete(d.ids, old) // the same call under its new subscription
	}
	d.ids[key], d.vendor[id] = id, key
	if g != "" {
		d.gcids[g] = id
		d.gcidOf[id] = g
	}
	return id
}

// forget drops an ended call's ids.
func (d *device) forget(id string) {
	delete(d.ids, d.vendor[id])
	delete(d.vendor, id)
	delete(d.handedOn, id)
	delete(d.seen, id)
	delete(d.features, id)
	if g, ok := d.gcidOf[id]; ok && d.gcids[g] == id {
		delete(d.gcids, g)
	}
	delete(d.gcidOf, id)
}

// forgetEnded drops the ids of calls the set no longer has.
func (d *device) forgetEnded() {
	for id := range d.vendor {
		if d.calls.Call(id) == nil {
			d.forget(id)
		}
	}
}

// vendorCall returns IP Office's (subscribe_id, callid) of call id.
func (d *device) vendorCall(id string) ([2]int32, bool) {
	v, ok := d.vendor[id]
	return v, ok
}

// seconds is d in whole seconds, as MTCTI3 timeouts are.
func seconds(d time.Duration) int32 { return int32(d / time.Second) }
