package ipofficesim

import (
	"bytes"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

type subKind int

const (
	subPresence subKind = iota
	subLines
	subUser
	subQueue
	subPark
	subWrapper
)

var subKindNames = [...]string{"presence", "lines", "user", "queue", "parkserver", "refreshwrapper"}

func (k subKind) String() string { return subKindNames[k] }

// Presence timeout bounds (lines 374-375).
const (
	presenceMinTimeout = 60
	presenceMaxTimeout = 86400
)

// Queue ccflags bit 30: report calls only while they queue (line 1916).
const ccEphemeral = 0x40000000

// subscription is one subscribe_id of one connection.
type subscription struct {
	c         *conn
	id        int32
	kind      subKind
	label     string
	flags     int32
	ccflags   int32
	user      *user
	queue     *queue
	activeApp bool // counts as an app that edits the user's app presence

	timeout time.Duration
	expires time.Time
	timer   Timer
	gen     int
	stopped bool

	// Notify flow (notify.go)
	nextNotifyID int32
	awaiting     int32
	held         []*mtcti.Notify
	refresh      int32

	lastUser  *mtcti.NotifyUser
	lastQueue *mtcti.NotifyQueue
	lines     map[string]lineEntry
	linesSent bool
	presence  []*presEntry
	presSent  bool
	views     map[int]*tracked
	nextCall  int32
	callids   map[int]int32
}

// callControl reports whether the subscription carries call control
// (lines 1459-1461 for users: any ccflags bit; line 2548 for queues: bit 0;
// the park server like a user).
func (sub *subscription) callControl() bool {
	switch sub.kind {
	case subUser, subPark:
		return sub.ccflags != 0
	case subQueue:
		return sub.ccflags&1 != 0
	}
	return false
}

func (sub *subscription) stop() {
	sub.stopped = true
	if sub.timer != nil {
		sub.timer.Stop()
		sub.timer = nil
	}
	sub.held = nil
}

// setTimeout (re)arms the expiry: 0 means never (line 373).
func (s *Server) setTimeout(sub *subscription, secs int32) {
	if sub.timer != nil {
		sub.timer.Stop()
		sub.timer = nil
	}
	sub.gen++
	sub.timeout = time.Duration(secs) * time.Second
	sub.expires = time.Time{}
	if secs <= 0 {
		return
	}
	sub.expires = s.clock.Now().Add(sub.timeout)
	gen := sub.gen
	sub.timer = s.clock.AfterFunc(sub.timeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if sub.stopped || sub.gen != gen {
			return
		}
		s.log.Debug("subscription expired", "conn", sub.c.id, "subscribe_id", sub.id)
		s.terminate(sub, !s.opts.SilentExpiry)
		s.settle()
	})
}

// terminate ends a subscription on IP Office's side, telling the app with
// SubscribeTerminated (lines 549-565) unless tell is false. The reason is
// "not currently populated" (line 562). Caller holds s.mu.
func (s *Server) terminate(sub *subscription, tell bool) {
	if sub.stopped {
		return
	}
	sub.stop()
	delete(sub.c.subs, sub.id)
	if tell {
		sub.c.send(&mtcti.Message{Payload: &mtcti.Message_Subscribeterminated{
			Subscribeterminated: &mtcti.SubscribeTerminated{SubscribeId: sub.id}}})
	}
}

// presenceTimeout checks a presence subscription's timeout (lines 374-375).
// Modelled: above 86400 is cut to 86400, since the only error code is
// TIMEOUT_TOO_SMALL (102).
func presenceTimeout(t int32) (int32, int32) {
	if t < presenceMinTimeout {
		return 0, mtcti.ResultSubscriptionTimeoutTooSmall
	}
	return min(t, presenceMaxTimeout), mtcti.ResultSuccess
}

func (s *Server) onSubscribe(c *conn, m *mtcti.Subscribe) {
	if m.Timeout < 0 {
		c.respond(m.Requestid, mtcti.ResultRequestInvalidPayload)
		return
	}
	if sub := c.subs[m.SubscribeId]; sub != nil {
		if m.Payload != nil {
			// Modelled: subscribe_ids must be unique on the connection
			// (lines 357-360); a second Subscribe with a payload is refused.
			c.respond(m.Requestid, mtcti.ResultSubscriptionInvalidID)
			return
		}
		// Refresh: same subscribe_id, new timeout, no payload (lines 378-410).
		t := m.Timeout
		if sub.kind == subPresence {
			var res int32
			if t, res = presenceTimeout(t); res != 0 {
				c.respond(m.Requestid, res)
				return
			}
		}
		s.setTimeout(sub, t)
		c.respond(m.Requestid, mtcti.ResultSuccess)
		return
	}
	if m.Payload == nil {
		// A refresh of a subscription that does not exist.
		c.respond(m.Requestid, mtcti.ResultSubscriptionInvalidID)
		return
	}
	if m.SubscribeId == 0 {
		// Modelled: 0 is "not set" in proto3 and would be ambiguous in every
		// later Notify.
		c.respond(m.Requestid, mtcti.ResultRequestInvalidPayload)
		return
	}
	sub := &subscription{c: c, id: m.SubscribeId, label: m.Label, views: map[int]*tracked{}, callids: map[int]int32{}}
	t := m.Timeout
	switch p := m.Payload.(type) {
	case *mtcti.Subscribe_Presence:
		var res int32
		if t, res = presenceTimeout(t); res != 0 {
			c.respond(m.Requestid, res)
			return
		}
		sub.kind = subPresence
		sub.flags = p.Presence.Flags
		for _, e := range p.Presence.Entry {
			sub.presence = append(sub.presence, &presEntry{presentity: e.Presentity, lref: e.Lref})
		}
	case *mtcti.Subscribe_Lines:
		if c.hasKind(subLines) {
			// Only one (line 596). Modelled: the code is TOOMANY.
			c.respond(m.Requestid, mtcti.ResultTooMany)
			return
		}
		sub.kind = subLines
		sub.flags = p.Lines.Flags
		sub.lines = map[string]lineEntry{}
	case *mtcti.Subscribe_User:
		u := s.userByGUID(p.User.Guid)
		if u == nil {
			c.respond(m.Requestid, mtcti.ResultUserNotFound)
			return
		}
		sub.kind, sub.user = subUser, u
		sub.flags, sub.ccflags = p.User.Flags, p.User.Ccflags
		sub.activeApp = sub.flags&0x800 != 0
	case *mtcti.Subscribe_Queue:
		var q *queue
		if len(p.Queue.Guid) > 0 {
			q = s.queueByGUID(p.Queue.Guid)
		} else if p.Queue.Name != "" {
			q = s.queueByName(p.Queue.Name)
		}
		if q == nil {
			c.respond(m.Requestid, mtcti.ResultNotFound)
			return
		}
		sub.kind, sub.queue = subQueue, q
		sub.flags, sub.ccflags = p.Queue.Flags, p.Queue.Ccflags
	case *mtcti.Subscribe_Parkserver:
		if c.hasKind(subPark) {
			c.respond(m.Requestid, mtcti.ResultTooMany)
			return
		}
		sub.kind = subPark
		sub.flags, sub.ccflags = p.Parkserver.Flags, p.Parkserver.Ccflags
	case *mtcti.Subscribe_Refreshwrapper:
		if c.hasKind(subWrapper) {
			c.respond(m.Requestid, mtcti.ResultTooMany)
			return
		}
		sub.kind = subWrapper
	default:
		c.respond(m.Requestid, mtcti.ResultSubscriptionInvalid)
		return
	}
	c.subs[sub.id] = sub
	s.setTimeout(sub, t)
	// The answer goes first; the first Notify follows when the event
	// settles (lines 985-1010).
	c.respond(m.Requestid, mtcti.ResultSuccess)
}

func (c *conn) hasKind(k subKind) bool {
	for _, sub := range c.subs {
		if sub.kind == k {
			return true
		}
	}
	return false
}

func (s *Server) onSubscribeEnd(c *conn, m *mtcti.SubscribeEnd) {
	sub := c.subs[m.SubscribeId]
	if sub == nil {
		c.respond(m.Requestid, mtcti.ResultSubscriptionInvalidID)
		return
	}
	sub.stop()
	delete(c.subs, sub.id)
	c.respond(m.Requestid, mtcti.ResultSuccess)
}

func (s *Server) onSubscribeCmd(c *conn, m *mtcti.SubscribeCmd) {
	sub := c.subs[m.SubscribeId]
	if sub == nil {
		c.respond(m.Requestid, mtcti.ResultSubscriptionInvalidID)
		return
	}
	switch p := m.Payload.(type) {
	case *mtcti.SubscribeCmd_Timeout:
		t := p.Timeout
		if sub.kind == subPresence {
			var res int32
			if t, res = presenceTimeout(t); res != 0 {
				c.respond(m.Requestid, res)
				return
			}
		} else if t < 0 {
			c.respond(m.Requestid, mtcti.ResultRequestInvalidPayload)
			return
		}
		s.setTimeout(sub, t)
		c.respond(m.Requestid, mtcti.ResultSuccess)
	case *mtcti.SubscribeCmd_Presence:
		if sub.kind != subPresence {
			c.respond(m.Requestid, mtcti.ResultRequestInvalidContext)
			return
		}
		s.updatePresence(sub, p.Presence)
		c.respond(m.Requestid, mtcti.ResultSuccess)
	case *mtcti.SubscribeCmd_Callcontrol:
		c.respond(m.Requestid, s.callControl(sub, p.Callcontrol))
	case *mtcti.SubscribeCmd_User:
		if sub.kind != subUser {
			c.respond(m.Requestid, mtcti.ResultRequestInvalidContext)
			return
		}
		c.respond(m.Requestid, s.updateUser(sub, p.User))
	case *mtcti.SubscribeCmd_Queue:
		if sub.kind != subQueue {
			c.respond(m.Requestid, mtcti.ResultRequestInvalidContext)
			return
		}
		c.respond(m.Requestid, s.updateQueue(sub.queue, p.Queue))
	default:
		c.respond(m.Requestid, mtcti.ResultRequestInvalidPayload)
	}
}

// onNotifyAck releases the subscription's next Notify (lines 490-495). An
// ack for another notify_id or an unknown subscription is ignored
// (modelled).
func (s *Server) onNotifyAck(c *conn, m *mtcti.NotifyAck) {
	sub := c.subs[m.SubscribeId]
	if sub == nil || sub.awaiting == 0 || sub.awaiting != m.NotifyId {
		s.log.Debug("stray NotifyAck", "conn", c.id, "subscribe_id", m.SubscribeId, "notify_id", m.NotifyId)
		return
	}
	sub.awaiting = 0
	sub.flush()
}

func (s *Server) userByGUID(g []byte) *user {
	for _, u := range s.users {
		if bytes.Equal(u.guid, g) {
			return u
		}
	}
	return nil
}

func (s *Server) queueByGUID(g []byte) *queue {
	for _, q := range s.queues {
		if bytes.Equal(q.guid, g) {
			return q
		}
	}
	return nil
}

func (s *Server) queueByName(name string) *queue {
	for _, q := range s.queues {
		if q.name == name {
			return q
		}
	}
	return nil
}
