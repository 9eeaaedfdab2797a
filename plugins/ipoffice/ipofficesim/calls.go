package ipofficesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// Call primitives shared by the CallFunction handlers, the far-end controls
// and the queue script. All of them run under Server.mu and leave notifying
// to settle.

func (s *Server) newLeg(kind legKind, c *conv) *leg {
	l := &leg{id: s.id(), kind: kind, conv: c, created: s.clock.Now()}
	s.legs = append(s.legs, l)
	return l
}

func (s *Server) newConv() *conv {
	s.gcidSeq++
	return &conv{gcid: newGCID(s.gcidSeq)}
}

func (s *Server) newUserLeg(u *user, dir mtcti.CallInfo_Direction, st mtcti.CallInfo_State, c *conv) *leg {
	l := s.newLeg(userLeg, c)
	l.user, l.dir, l.state = u, dir, st
	return l
}

// appearances counts a user's live calls.
func (s *Server) appearances(u *user) int {
	n := 0
	for _, l := range s.legs {
		if l.kind == userLeg && l.user == u {
			n++
		}
	}
	return n
}

// endLeg takes l out of the model with its CallLost information, and
// undoes the relations that pointed at it. It does not clear the far end:
// release does.
func (s *Server) endLeg(l *leg, li lostInfo) {
	if l.ended {
		return
	}
	l.ended, l.lost = true, li
	s.legs = slices.DeleteFunc(s.legs, func(o *leg) bool { return o == l })
	if r := l.related; r != nil {
		r.related, r.relKind = nil, relNone
		if r.state == mtcti.CallInfo_ONHOLDPENDTRANSFER || r.state == mtcti.CallInfo_ONHOLDPENDCONF {
			r.state = mtcti.CallInfo_ONHOLD
		}
		l.related = nil
	}
	if p := l.peer; p != nil {
		if p.peer == l {
			p.peer = nil
		}
		p.alerting = slices.DeleteFunc(p.alerting, func(o *leg) bool { return o == l })
	}
	if pc := l.parked; pc != nil {
		pc.lost = li
		delete(s.parks, pc.slot)
		l.parked = nil
	}
	if qc := l.qc; qc != nil && !qc.ended {
		qc.ended, qc.lost = true, li
		s.qcalls = slices.DeleteFunc(s.qcalls, func(o *queueCall) bool { return o == qc })
	}
	if l.kind == userLeg && s.appearances(l.user) == 0 {
		l.user.lastIdle = s.clock.Now()
	}
	s.justEnded = append(s.justEnded, l)
	if l.svc == svcConfPort {
		cf := l.conf
		cf.ports = slices.DeleteFunc(cf.ports, func(o *leg) bool { return o == l })
		s.confShrink(cf)
	}
}

// release ends l's end of the call with li, and clears what depended on
// it: legs ringing for it stop, a connected far end is cleared, a caller
// left with nobody ringing goes to coverage.
func (s *Server) release(l *leg, li lostInfo) {
	if l.ended {
		return
	}
	alerting := slices.Clone(l.alerting)
	l.alerting = nil
	peer := l.peer
	wasConnected := l.connected()
	s.endLeg(l, li)
	for _, a := range alerting {
		a.peer = nil
		s.release(a, lostInfo{reason: reasonNormal, desc: "caller cleared"})
	}
	if peer == nil || peer.ended {
		return
	}
	if wasConnected {
		if peer.svc == svcConfPort {
			s.endLeg(peer, lostInfo{reason: reasonNormal, desc: "member left"})
			return
		}
		s.release(peer, lostInfo{reason: reasonNormal, desc: "far end cleared"})
		return
	}
	// l was ringing for peer.
	if len(peer.alerting) == 0 && !peer.connected() {
		s.coverage(peer, l)
	}
}

// coverage handles a caller whose last ringing target stopped ringing
// without answering. Modelled: a queue call goes back to its queue (and is
// not offered to that agent again), a conference invitation is withdrawn,
// any other call goes to the target's voicemail if it has one, else the
// caller hears busy (an internal caller) or is cleared (an external one).
func (s *Server) coverage(caller *leg, gone *leg) {
	if qc := caller.qc; qc != nil && qc.cur != nil {
		qc.queued = true
		if gone.kind == userLeg {
			if qc.declined == nil {
				qc.declined = map[*user]bool{}
			}
			qc.declined[gone.user] = true
		}
		return
	}
	if caller.svc == svcConfPort {
		s.endLeg(caller, lostInfo{reason: reasonNormal, desc: "not answered"})
		return
	}
	if gone.kind == userLeg && gone.user.voicemail && !gone.user.removed {
		s.connectService(caller, svcVoicemail, &party{number: gone.user.ext, name: "Voicemail"})
		return
	}
	if caller.kind == userLeg {
		caller.state = mtcti.CallInfo_BUSY
		return
	}
	s.release(caller, lostInfo{reason: reasonNormal, desc: "no answer"})
}

// connect joins two legs in conversation.
func connect(a, b *leg) {
	a.peer, b.peer = b, a
	a.alerting, b.alerting = nil, nil
	for _, l := range []*leg{a, b} {
		if l.kind != svcLeg {
			l.state = mtcti.CallInfo_CONNECTED
		}
		l.activeHeld = false
	}
}

// connectService answers p by a service (voicemail, MeetMe).
func (s *Server) connectService(p *leg, k svcKind, who *party) {
	v := s.newLeg(svcLeg, p.conv)
	v.svc, v.who, v.state = k, who, mtcti.CallInfo_CONNECTED
	connect(p, v)
	if p.qc != nil {
		p.qc.cur = nil
	}
}

// ring makes callee (a new leg) ring for caller.
func ring(caller, callee *leg) {
	callee.peer = caller
	caller.alerting = append(caller.alerting, callee)
	if caller.kind != svcLeg {
		caller.state = mtcti.CallInfo_RINGBACK
	}
}

// ringUser creates u's ringing leg for caller.
func (s *Server) ringUser(caller *leg, u *user, called string) *leg {
	l := s.newUserLeg(u, mtcti.CallInfo_INBOUND, mtcti.CallInfo_RINGING, caller.conv)
	l.caller, l.called = caller.party(), called
	ring(caller, l)
	return l
}

// answer connects a ringing leg with its caller; the caller's other ringing
// targets stop (lines 2587-2590: "Answered by agent").
func (s *Server) answer(callee *leg) error {
	caller := callee.peer
	if caller == nil || callee.connected() || !slices.Contains(caller.alerting, callee) {
		return fmt.Errorf("ipofficesim: call is not ringing")
	}
	for _, o := range slices.Clone(caller.alerting) {
		if o != callee {
			o.peer = nil
			s.endLeg(o, lostInfo{reason: reasonElsewhere, desc: "answered elsewhere"})
		}
	}
	if callee.kind == userLeg {
		// Modelled: of the two outcomes lines 3235-3238 allow, the
		// previously connected call is demoted to hold.
		s.holdOthers(callee)
	}
	connect(caller, callee)
	if caller.dialInfo != nil {
		caller.dialInfo.Complete = true
	}
	if qc := caller.qc; qc != nil {
		qc.cur, qc.arriving = nil, false
	}
	return nil
}

// holdOthers puts l's user's other connected calls on hold.
func (s *Server) holdOthers(l *leg) {
	for _, o := range s.legs {
		if o != l && o.kind == userLeg && o.user == l.user && o.state == mtcti.CallInfo_CONNECTED && o.connected() &&
			o.peer.svc != svcConfPort {
			s.hold(o)
		}
	}
}

func (s *Server) hold(l *leg) {
	l.state = mtcti.CallInfo_ONHOLD
	if l.connected() {
		l.peer.activeHeld = true
	}
}

func (s *Server) unhold(l *leg) {
	s.holdOthers(l)
	l.state = mtcti.CallInfo_CONNECTED
	if l.related != nil {
		r := l.related
		r.related, r.relKind, l.related, l.relKind = nil, relNone, nil, relNone
	}
	if l.connected() {
		l.peer.activeHeld = false
	}
}

// far returns the party a user's call talks to, or the one it rings.
func far(l *leg) *leg {
	if l.connected() {
		return l.peer
	}
	if len(l.alerting) == 1 {
		return l.alerting[0]
	}
	return nil
}

// detach separates l from p (its peer or the one it rings).
func detach(l, p *leg) {
	if l.peer == p {
		l.peer = nil
	}
	if p.peer == l {
		p.peer = nil
	}
	l.alerting = slices.DeleteFunc(l.alerting, func(o *leg) bool { return o == p })
	p.alerting = slices.DeleteFunc(p.alerting, func(o *leg) bool { return o == l })
}

// takeOver ends a user's call l, which is connected or ringing, and
// returns the party on the other end detached from it, ready to be routed
// elsewhere (BlindTransfer, Redirect, Park).
func (s *Server) takeOver(l *leg, desc string) *leg {
	p := l.peer
	if p == nil && len(l.alerting) == 1 {
		p = l.alerting[0]
	}
	if p == nil {
		return nil
	}
	detach(l, p)
	s.freeParty(p, "transferred")
	s.endLeg(l, lostInfo{reason: reasonNormal, thisEnd: true, desc: desc})
	return p
}

// freeParty detaches p from whatever it talks to or rings, so that it can
// be routed elsewhere; the legs it leaves end.
func (s *Server) freeParty(p *leg, desc string) {
	for _, o := range slices.Clone(p.alerting) {
		o.peer = nil
		s.endLeg(o, lostInfo{reason: reasonNormal, desc: desc})
	}
	p.alerting = nil
	if p.connected() {
		o := p.peer
		detach(p, o)
		s.endLeg(o, lostInfo{reason: reasonNormal, desc: desc})
	}
	if pc := p.parked; pc != nil {
		pc.lost = lostInfo{reason: reasonNormal, desc: "unparked"}
		delete(s.parks, pc.slot)
		p.parked = nil
	}
	p.activeHeld = false
	if p.qc != nil {
		p.qc.cur, p.qc.arriving = nil, false
	}
}

// target is a resolved destination.
type target struct {
	kind   int
	user   *user
	queue  *queue
	number string
	typ    int
}

const (
	tUser = iota + 1
	tQueue
	tExt
	tVoicemail
	tMeetMe
)

// Types of the "/$type/destination" form of BlindTransfer (lines 2716-2726).
var transferTypes = map[int]bool{102: true, 104: true, 105: true, 106: true, 107: true, 109: true, 111: true, 112: true, 116: true, 120: true}

// resolve finds a destination. Modelled dial plan (the document has
// none): a user's extension, a queue's number, or an external number: dial
// characters only, starting with 0, 9 or +, at least 2 long (the
// document's external numbers all start with 0). "/102/x" is voicemail
// (a VMPro call flow or mailbox x), "/116/n[;...]" MeetMe conference n, the
// other types of lines 2716-2726 reach their destination as a plain call
// (105, force answer, answers at once).
func (s *Server) resolve(dest string) (target, bool) {
	typ := 0
	if strings.HasPrefix(dest, "/") {
		rest := dest[1:]
		i := strings.IndexByte(rest, '/')
		if i <= 0 {
			return target{}, false
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || !transferTypes[n] {
			return target{}, false
		}
		typ, dest = n, rest[i+1:]
		switch typ {
		case 102:
			if dest == "" {
				return target{}, false
			}
			return target{kind: tVoicemail, number: dest, typ: typ}, true
		case 116:
			if j := strings.IndexByte(dest, ';'); j >= 0 {
				dest = dest[:j]
			}
			if dest == "" {
				return target{}, false
			}
			return target{kind: tMeetMe, number: dest, typ: typ}, true
		}
	}
	for _, u := range s.users {
		if u.ext == dest {
			return target{kind: tUser, user: u, number: dest, typ: typ}, true
		}
	}
	for _, q := range s.queues {
		if q.ext == dest {
			return target{kind: tQueue, queue: q, number: dest, typ: typ}, true
		}
	}
	if isExternal(dest, s.opts.ExternalPrefixes) {
		return target{kind: tExt, number: dest, typ: typ}, true
	}
	return target{}, false
}

func isExternal(n, prefixes string) bool {
	if prefixes == "" {
		prefixes = "09+"
	}
	if len(n) < 2 || !strings.ContainsRune(prefixes, rune(n[0])) {
		return false
	}
	for _, r := range n[1:] {
		if !strings.ContainsRune("0123456789*#", r) {
			return false
		}
	}
	return true
}

// reachable reports whether a blind transfer or redirect to t can ring:
// a user in DND or logged off refuses it, a queue out of service too
// (MTCTISESS_CALLCONTROL_TRANSFERFAILED, line 3118). Modelled.
func reachable(t target) bool {
	switch t.kind {
	case tUser:
		return !t.user.dnd && !t.user.loggedOff && !t.user.extnFault
	case tQueue:
		return t.queue.mode == mtcti.NotifyQueue_Active
	}
	return true
}

// route sends a detached party p to t.
func (s *Server) route(p *leg, t target) {
	p.activeHeld = false
	switch t.kind {
	case tUser:
		l := s.ringUser(p, t.user, t.number)
		if t.typ == 105 {
			s.answer(l)
		}
	case tQueue:
		s.enterQueue(p, t.queue, true)
	case tExt:
		e := s.newLeg(extLeg, p.conv)
		e.who, e.dir, e.state, e.called = &party{number: t.number, nametype: nameTypeTrunk}, mtcti.CallInfo_INBOUND, mtcti.CallInfo_RINGING, t.number
		ring(p, e)
	case tVoicemail:
		s.connectService(p, svcVoicemail, &party{number: t.number})
	case tMeetMe:
		s.connectService(p, svcMeetMe, &party{number: t.number, name: "Conf " + t.number, nametype: nameTypeConf})
	}
}

// enterQueue puts p in queue q. A call keeps being reported on the queue
// it first reached until Finish (lines 2556-2565); a later queue shows as
// the overflow in queueinfo (the example of lines 2980-3000).
func (s *Server) enterQueue(p *leg, q *queue, transferred bool) *queueCall {
	qc := p.qc
	if qc == nil {
		qc = &queueCall{id: s.id(), caller: p, view: q, priority: 1, arrived: s.clock.Now()}
		p.qc = qc
		s.qcalls = append(s.qcalls, qc)
	} else if qc.view == nil {
		qc.view, qc.overflow = q, nil
	} else if qc.view != q {
		qc.overflow = q
	} else {
		qc.overflow = nil
	}
	qc.cur, qc.arriving, qc.declined = q, false, nil
	// Modelled: a call that arrives and finds a free agent RINGs (the
	// example of lines 1820-1850); one transferred in, or that waits, is
	// QUEUEING (lines 2980-3000).
	qc.queued = transferred
	if p.kind != svcLeg {
		p.state = mtcti.CallInfo_RINGBACK
	}
	return qc
}

// free reports whether u can be offered a queue call: logged in, working,
// not in DND and on no other call. Modelled.
func (s *Server) free(u *user) bool {
	return !u.loggedOff && !u.extnFault && !u.dnd && !u.removed && s.appearances(u) == 0
}

// distribute offers waiting queue calls to free enabled members, highest
// priority first, then longest waiting.
func (s *Server) distribute() {
	for _, q := range s.queues {
		if q.mode != mtcti.NotifyQueue_Active {
			continue
		}
		var waiting []*queueCall
		for _, qc := range s.qcalls {
			c := qc.caller
			if qc.cur == q && !qc.scripted && !qc.arriving && c.peer == nil && len(c.alerting) == 0 && c.parked == nil {
				waiting = append(waiting, qc)
			}
		}
		slices.SortStableFunc(waiting, func(a, b *queueCall) int {
			if a.priority != b.priority {
				return int(b.priority - a.priority)
			}
			return a.arrived.Compare(b.arrived)
		})
		for _, qc := range waiting {
			agents := s.pick(q, qc)
			if len(agents) == 0 {
				qc.queued = true
				continue
			}
			for _, u := range agents {
				l := s.ringUser(qc.caller, u, q.ext)
				l.orig, l.qinfo = q.party(), q
			}
		}
	}
}

// pick chooses the members to ring for qc by the queue's ring mode.
func (s *Server) pick(q *queue, qc *queueCall) []*user {
	var cands []*user
	for _, m := range q.members {
		u := s.userByExt(m.ext)
		if u == nil || m.disabled || !s.free(u) || qc.declined[u] {
			continue
		}
		cands = append(cands, u)
	}
	if len(cands) == 0 {
		return nil
	}
	switch q.ringMode {
	case RingSequential:
		return cands[:1]
	case RingIdle:
		best := cands[0]
		for _, u := range cands[1:] {
			if u.lastIdle.Before(best.lastIdle) {
				best = u
			}
		}
		return []*user{best}
	}
	return cands
}

// park puts p in a park slot.
func (s *Server) park(p *leg, slot string, by *party) {
	pc := &parkCall{id: s.id(), slot: slot, leg: p, by: by}
	p.parked = pc
	p.activeHeld = true
	s.parks[slot] = pc
}

// dial sends a user's new call to target: a MakeCall, the target of
// SetupTransfer/SetupConf, or overlap digits once complete.
func (s *Server) dial(l *leg, dest string, lostOnly bool) {
	l.called = dest
	if l.dialInfo == nil {
		l.dialInfo = &mtcti.DialInfo{}
	}
	l.dialInfo.Number, l.dialInfo.Complete = dest, true
	t, ok := s.resolve(dest)
	if !ok {
		if lostOnly {
			l.lostOnly = true
			s.endLeg(l, lostInfo{reason: reasonUnassigned, desc: "unallocated number"})
			return
		}
		l.state, l.failed = mtcti.CallInfo_FAILED, mtcti.CallInfo_UNALLOCATEDNUMBER
		return
	}
	switch t.kind {
	case tUser:
		if t.user == l.user || !reachable(t) {
			l.state = mtcti.CallInfo_BUSY
			return
		}
		s.route(l, t)
	case tQueue:
		if !reachable(t) {
			l.state = mtcti.CallInfo_BUSY
			return
		}
		s.enterQueue(l, t.queue, false)
	default:
		s.route(l, t)
	}
}

// newConference starts a conference bridge.
func (s *Server) newConference() *conference {
	id := s.id()
	return &conference{id: id, who: &party{number: "Conf" + strconv.Itoa(id), name: "Conf " + strconv.Itoa(id), nametype: nameTypeConf}}
}

// join connects m to a new port of cf.
func (s *Server) join(cf *conference, m *leg) {
	port := s.newLeg(svcLeg, m.conv)
	port.svc, port.who, port.conf, port.state = svcConfPort, cf.who, cf, mtcti.CallInfo_CONNECTED
	port.confLref = int32(port.id)
	cf.ports = append(cf.ports, port)
	connect(m, port)
	if m.qc != nil {
		m.qc.cur = nil
	}
}

// confShrink ends a conference left with one member or none. Modelled:
// the document says dropping out "does not necessarily clear the
// conference" (line 3182); here it lives while two members remain.
func (s *Server) confShrink(cf *conference) {
	if len(cf.members()) > 1 || slices.ContainsFunc(cf.ports, func(p *leg) bool { return len(p.alerting) > 0 }) {
		return
	}
	for _, p := range slices.Clone(cf.ports) {
		if m := p.peer; m != nil {
			detach(p, m)
			s.release(m, lostInfo{reason: reasonNormal, desc: "conference ended"})
		}
		s.endLeg(p, lostInfo{reason: reasonNormal})
	}
}
