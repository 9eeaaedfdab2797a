package ipofficesim

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// Load drives call traffic at benchmark rates: external calls to users
// that ring, are answered and end, hundreds a second over a thousand users
// (examples/bench, the busy PBX rows).
//
// The far-end controls (farend.go) settle every event by comparing what
// each subscription of each connection would report now with what it last
// reported (notify.go's commit): right for a test's handful of users, but
// with a thousand user subscriptions one event costs milliseconds and the
// simulator, not the driver, would be what a benchmark measures. Load's
// controls change the model exactly as RingUser, AnswerAs and RemoteHangup
// do and send the same Notifies, but compare only the subscriptions that
// can see the change: those of the users on the call, presence
// subscriptions and refresh wrappers. A queue call changes hunt group views
// and may be offered to an agent a hang-up frees: while one is live, Load
// settles every subscription, as the far-end controls do.
//
// Each control also returns when it started to notify: the model has
// changed and its Notifies are about to be built, encoded and queued for
// writing, so a latency measured from it includes the simulator's own
// encoding and write (tens of microseconds) and errs on the long side.
//
// Hold keeps the Notifies the controls make instead of queueing them;
// Release queues them all at once and returns them, so that a benchmark can
// measure how fast a client takes a burst, and then give the same frames to
// another client with SendRawTo.
//
// A Load is safe for concurrent use; several may drive one Server.
type Load struct {
	s *Server

	// guarded by s.mu
	holding bool
	held    []heldFrame
}

type heldFrame struct {
	c *conn
	b []byte
}

// Load returns the load controls of s.
func (s *Server) Load() *Load { return &Load{s: s} }

// Ring rings user ext with an external call from number from, as RingUser
// does, and returns the call's gcid and when it started to notify.
func (ld *Load) Ring(ext, from string) (GCID, time.Time, error) {
	s := ld.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByExt(ext)
	if u == nil {
		return nil, time.Time{}, fmt.Errorf("%w: %s", ErrNoUser, ext)
	}
	if !reachable(target{kind: tUser, user: u}) {
		return nil, time.Time{}, fmt.Errorf("%w: %s", ErrUnreachable, ext)
	}
	queued := len(s.qcalls) > 0
	c := s.caller(from, ext)
	s.ringUser(c, u, ext)
	at := time.Now()
	ld.settle(map[*user]bool{u: true}, queued)
	return GCID(slices.Clone(c.conv.gcid)), at, nil
}

// Answer answers user ext's ringing call g on the handset, as AnswerAs
// does, and returns when it started to notify.
func (ld *Load) Answer(ext string, g GCID) (time.Time, error) {
	s := ld.s
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.userLegOf(ext, g)
	if err != nil {
		return time.Time{}, err
	}
	// The users whose calls may change: everyone the caller rings (they
	// stop), and ext (its other calls go on hold).
	users := s.usersOn(g)
	users[l.user] = true
	queued := len(s.qcalls) > 0
	if err := s.answer(l); err != nil {
		return time.Time{}, err
	}
	at := time.Now()
	ld.settle(users, queued)
	return at, nil
}

// RemoteHangup hangs up the external party of call g, as RemoteHangup
// does, and returns when it started to notify.
func (ld *Load) RemoteHangup(g GCID) (time.Time, error) {
	s := ld.s
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.extLegOf(g, false)
	if l == nil {
		return time.Time{}, fmt.Errorf("%w: no external party on %s", ErrNoCall, g)
	}
	users := s.usersOn(g)
	queued := len(s.qcalls) > 0
	s.release(l, lostInfo{reason: reasonNormal, thisEnd: true, desc: "far end hung up"})
	at := time.Now()
	ld.settle(users, queued)
	return at, nil
}

// Hold makes the controls keep, in order, the Notifies they would queue,
// until Release. Notifies that need a NotifyAck (Options.NotifyAckRequired;
// call control needs none by default), and every Notify while a queue call
// is live, are still sent at once, after those held so far.
func (ld *Load) Hold() {
	ld.s.mu.Lock()
	defer ld.s.mu.Unlock()
	ld.holding = true
}

// Release stops holding, queues the held Notifies on their connections in
// the order they were made, and returns them as the websocket messages
// queued (framing included). The caller must not modify them.
func (ld *Load) Release() [][]byte {
	ld.s.mu.Lock()
	defer ld.s.mu.Unlock()
	ld.holding = false
	return ld.flush()
}

// flush queues the held Notifies. Caller holds s.mu.
func (ld *Load) flush() [][]byte {
	out := make([][]byte, 0, len(ld.held))
	for _, f := range ld.held {
		f.c.sendRaw(f.b)
		out = append(out, f.b)
	}
	ld.held = nil
	return out
}

// SendRawTo queues msgs, each one binary websocket message exactly as
// given, on connection conn (numbered as SubscriptionInfo.Conn), after
// everything already queued there.
func (s *Server) SendRawTo(conn int, msgs [][]byte) error {
	s.mu.Lock()
	c := s.conns[conn]
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("ipofficesim: no connection %d", conn)
	}
	for _, b := range msgs {
		c.sendRaw(b)
	}
	return nil
}

// ConnIDs returns the numbers of the connections up (as
// SubscriptionInfo.Conn), in order of arrival.
func (s *Server) ConnIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, c := range s.connList() {
		out = append(out, c.id)
	}
	return out
}

// usersOn returns the users with a leg on call g. Caller holds s.mu.
func (s *Server) usersOn(g GCID) map[*user]bool {
	out := map[*user]bool{}
	for _, l := range s.legs {
		if l.kind == userLeg && g.Equal(l.conv.gcid) {
			out[l.user] = true
		}
	}
	return out
}

// settle finishes an event that changed the calls of users only; queued
// says whether a queue call was live before it. Caller holds s.mu.
func (ld *Load) settle(users map[*user]bool, queued bool) {
	s := ld.s
	if queued || len(s.qcalls) > 0 {
		ld.flush()
		s.settle()
		return
	}
	// No queue call is waiting, so distribute would offer nothing.
	for _, c := range s.connList() {
		if c.closed {
			continue
		}
		var subs []*subscription
		var wrapper *subscription
		for _, sub := range c.subs {
			switch {
			case sub.stopped:
			case sub.kind == subUser && users[sub.user], sub.kind == subPresence:
				subs = append(subs, sub)
			case sub.kind == subWrapper:
				wrapper = sub
			}
		}
		// The order commit notifies them in.
		slices.SortFunc(subs, func(a, b *subscription) int { return int(a.id) - int(b.id) })
		any := false
		for _, sub := range subs {
			switch sub.kind {
			case subPresence:
				if np := s.presenceDiff(sub); np != nil {
					any = true
					ld.push(sub, NotifyPresence, &mtcti.Notify{Payload: &mtcti.Notify_Presence{Presence: np}})
				}
			case subUser:
				nu := s.userSnapshot(sub)
				if sub.lastUser == nil || !proto.Equal(sub.lastUser, nu) {
					sub.lastUser = nu
					any = true
					ld.push(sub, NotifyUser, &mtcti.Notify{Payload: &mtcti.Notify_User{User: proto.Clone(nu).(*mtcti.NotifyUser)}})
				}
			}
			if !sub.stopped && sub.callControl() {
				if cc := s.callDiff(sub); cc != nil {
					any = true
					ld.push(sub, NotifyCallControl, &mtcti.Notify{Payload: &mtcti.Notify_Callcontrol{Callcontrol: cc}})
				}
			}
		}
		if any && wrapper != nil && !wrapper.stopped {
			ld.push(wrapper, NotifyRefreshWrapper, &mtcti.Notify{Payload: &mtcti.Notify_Refreshwrapper{Refreshwrapper: &mtcti.NotifyRefreshWrapper{}}})
		}
	}
	s.justEnded = nil
}

// push is subscription.push, holding the Notify while the Load holds and
// the Notify can wait. Caller holds s.mu.
func (ld *Load) push(sub *subscription, kind NotifyKinds, n *mtcti.Notify) {
	s := ld.s
	needsAck := s.ackKind&AckNone == 0 && s.ackKind&kind != 0
	if !ld.holding || needsAck || sub.awaiting != 0 || len(sub.held) > 0 {
		ld.flush() // what was held goes first
		sub.push(kind, n)
		return
	}
	n.SubscribeId = sub.id
	b, err := mtcti.Encode(sub.c.framing, &mtcti.Message{Payload: &mtcti.Message_Notify{Notify: n}})
	if err != nil {
		s.log.Error("encode", "conn", sub.c.id, "err", err)
		return
	}
	ld.held = append(ld.held, heldFrame{c: sub.c, b: b})
}
