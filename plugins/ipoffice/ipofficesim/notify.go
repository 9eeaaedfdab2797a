package ipofficesim

import (
	"encoding/hex"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// The notify engine. Every event (a message from an app, a far-end control,
// a timer) mutates the model under Server.mu and then calls settle, whose
// commit compares, for every subscription, what it would report now with
// what it last reported, and queues one Notify per payload for the
// difference. That gives the document's snapshot semantics by construction:
// each CallInfo is the call's complete state, one Notify carries only the
// calls that changed and at most one CallInfo or CallLost per call (lines
// 1975-1988, 2553-2554), both CallLosts of a completed transfer land in the
// same Notify (1978-1980), and a user Notify is the full user whenever any
// reported field changed (1459).

// tracked is one call view a subscription has reported.
type tracked struct {
	last  *mtcti.CallInfo
	refID int32
	lost  func() lostInfo
}

// view is one call a subscription can see now.
type view struct {
	key   int
	l     *leg       // a user's call
	qc    *queueCall // a queue's call
	pc    *parkCall  // a parked call
	build func(sub *subscription) *mtcti.CallInfo
	lost  func() lostInfo
}

type lineEntry struct {
	queue      bool
	guid       []byte
	extn, name string
}

type presEntry struct {
	presentity string
	lref       int32
	last       *mtcti.NotifyPresentity
}

// commit queues every subscription's Notifies for the event that just
// happened. Caller holds s.mu.
func (s *Server) commit() {
	for _, c := range s.connList() {
		if c.closed {
			continue
		}
		var wrapper *subscription
		any := false
		for _, sub := range c.subList() {
			if sub.stopped {
				continue
			}
			switch sub.kind {
			case subWrapper:
				wrapper = sub
			case subLines:
				for _, nl := range s.linesDiff(sub) {
					any = true
					sub.push(NotifyLines, &mtcti.Notify{Payload: &mtcti.Notify_Lines{Lines: nl}})
				}
			case subPresence:
				if np := s.presenceDiff(sub); np != nil {
					any = true
					sub.push(NotifyPresence, &mtcti.Notify{Payload: &mtcti.Notify_Presence{Presence: np}})
				}
			case subUser:
				nu := s.userSnapshot(sub)
				if sub.lastUser == nil || !proto.Equal(sub.lastUser, nu) {
					sub.lastUser = nu
					any = true
					sub.push(NotifyUser, &mtcti.Notify{Payload: &mtcti.Notify_User{User: proto.Clone(nu).(*mtcti.NotifyUser)}})
				}
			case subQueue:
				nq := s.queueSnapshot(sub)
				if sub.lastQueue == nil || !proto.Equal(sub.lastQueue, nq) {
					sub.lastQueue = nq
					any = true
					sub.push(NotifyQueue, &mtcti.Notify{Payload: &mtcti.Notify_Queue{Queue: proto.Clone(nq).(*mtcti.NotifyQueue)}})
				}
			}
			if !sub.stopped && sub.callControl() {
				if cc := s.callDiff(sub); cc != nil {
					any = true
					sub.push(NotifyCallControl, &mtcti.Notify{Payload: &mtcti.Notify_Callcontrol{Callcontrol: cc}})
				}
			}
		}
		if any && wrapper != nil && !wrapper.stopped {
			// Modelled: the document says the refresh wrapper "groups
			// notifications on different subscriptions into atomic events"
			// (lines 623-629) and no more; the simulator closes each event
			// that notified anything on the connection with one
			// NotifyRefreshWrapper.
			wrapper.push(NotifyRefreshWrapper, &mtcti.Notify{Payload: &mtcti.Notify_Refreshwrapper{Refreshwrapper: &mtcti.NotifyRefreshWrapper{}}})
		}
	}
	s.justEnded = nil
}

// subList returns the connection's subscriptions in subscribe_id order.
func (c *conn) subList() []*subscription {
	out := make([]*subscription, 0, len(c.subs))
	for _, sub := range c.subs {
		out = append(out, sub)
	}
	slices.SortFunc(out, func(a, b *subscription) int { return int(a.id) - int(b.id) })
	return out
}

// push sends n on the subscription, or holds it while a Notify waits for
// its NotifyAck (lines 490-495).
func (sub *subscription) push(kind NotifyKinds, n *mtcti.Notify) {
	s := sub.c.s
	n.SubscribeId = sub.id
	if s.ackKind&AckNone == 0 && s.ackKind&kind != 0 {
		sub.nextNotifyID++
		n.NotifyId = sub.nextNotifyID
	}
	if sub.awaiting != 0 || len(sub.held) > 0 {
		if len(sub.held) >= s.opts.NotifyQueueLimit {
			s.log.Warn("notify queue full; terminating subscription", "conn", sub.c.id, "subscribe_id", sub.id)
			s.terminate(sub, true)
			return
		}
		sub.held = append(sub.held, n)
		return
	}
	sub.deliver(n)
}

func (sub *subscription) deliver(n *mtcti.Notify) {
	sub.c.send(&mtcti.Message{Payload: &mtcti.Message_Notify{Notify: n}})
	if n.NotifyId != 0 {
		sub.awaiting = n.NotifyId
	}
}

// flush sends held Notifies until one needs an ack.
func (sub *subscription) flush() {
	for sub.awaiting == 0 && len(sub.held) > 0 && !sub.stopped {
		n := sub.held[0]
		sub.held = sub.held[1:]
		sub.deliver(n)
	}
}

// callid returns the subscription's callid for a view, assigning the next
// one the first time: callids are unique within a subscription only (lines
// 2100-2102).
func (sub *subscription) callid(key int) int32 {
	if id, ok := sub.callids[key]; ok {
		return id
	}
	sub.nextCall++
	sub.callids[key] = sub.nextCall
	return sub.nextCall
}

// callDiff returns the NotifyCallControl for what changed on the
// subscription's calls, or nil.
func (s *Server) callDiff(sub *subscription) *mtcti.NotifyCallControl {
	nc := &mtcti.NotifyCallControl{}
	seen := map[int]bool{}
	for _, v := range s.visible(sub) {
		seen[v.key] = true
		ci := v.build(sub)
		tr := sub.views[v.key]
		if tr == nil {
			tr = &tracked{}
			sub.views[v.key] = tr
		}
		tr.lost, tr.refID = v.lost, ci.Referencecallid
		if tr.last == nil || !proto.Equal(tr.last, ci) {
			tr.last = ci
			nc.Callinfo = append(nc.Callinfo, proto.Clone(ci).(*mtcti.CallInfo))
		}
	}
	var gone []int
	for k := range sub.views {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	slices.SortFunc(gone, func(a, b int) int { return int(sub.callids[a]) - int(sub.callids[b]) })
	for _, k := range gone {
		tr := sub.views[k]
		li := tr.lost()
		nc.Calllost = append(nc.Calllost, &mtcti.CallLost{
			Callid: sub.callids[k], Referencecallid: tr.refID,
			Reason: li.reason, Thisenddropped: li.thisEnd, Description: li.desc,
		})
		delete(sub.views, k)
		delete(sub.callids, k)
	}
	// A call that ended before it was ever reported (a MakeCall failing at
	// once): the CallLost alone, matched by referencecallid (lines
	// 2214-2217).
	if sub.kind == subUser {
		for _, l := range s.justEnded {
			if l.lostOnly && l.user == sub.user && sub.views[l.id] == nil {
				nc.Calllost = append(nc.Calllost, &mtcti.CallLost{
					Callid: sub.callid(l.id), Referencecallid: l.refID,
					Reason: l.lost.reason, Thisenddropped: l.lost.thisEnd, Description: l.lost.desc,
				})
				delete(sub.callids, l.id)
			}
		}
	}
	if len(nc.Callinfo) == 0 && len(nc.Calllost) == 0 {
		return nil
	}
	sub.refresh++
	nc.Refreshinstance = sub.refresh
	return nc
}

// userSnapshot is the user Notify the subscription reports now (lines
// 1370-1435).
func (s *Server) userSnapshot(sub *subscription) *mtcti.NotifyUser {
	u := sub.user
	n := &mtcti.NotifyUser{
		Extn: u.ext, Name: u.name, Fullname: u.full, Email: u.email,
		Featuresavailable: int32(u.features | mtcti.UserFeatureValid),
		Language:          "eng",
		Dnd:               u.dnd, Barred: u.barred, Xdirectory: u.xdir,
		Voicemail: u.voicemail, Extnfault: u.extnFault, Loggedoff: u.loggedOff,
		Ec500: u.ec500, Fwdu: u.fwdu, Fwdb: u.fwdb, Fwdna: u.fwdna,
		Offswitch: u.offswitch,
	}
	if !u.loggedOff {
		n.Loggedinextn = u.ext
		if u.loginExtn != "" {
			n.Loggedinextn = u.loginExtn
		}
	}
	if sub.flags&0x01 != 0 {
		// Present, even empty, when asked for (the example's `mailbox {}`,
		// line 1349).
		n.Mailbox = &mtcti.Mailbox{Newmessages: u.mailbox[0], Oldmessages: u.mailbox[1], Savedmessages: u.mailbox[2]}
	}
	if sub.flags&0x02 != 0 {
		n.Fwdunumber, n.Fwdbnumber = u.fwduNumber, u.fwdbNumber
		n.Fwdtovm, n.Fwdhg = u.fwdToVM, u.fwdhg
	}
	if sub.flags&0x04 != 0 {
		n.App = u.app
		n.Noapphandler = s.appHandlers(u) == 0
	}
	if sub.flags&0x08 != 0 && u.absence != nil {
		n.Absence = proto.Clone(u.absence).(*mtcti.Absence)
	}
	return n
}

// appHandlers counts the subscriptions that edit u's app presence (flag
// ACTIVAPP or makelive, lines 1312-1318).
func (s *Server) appHandlers(u *user) int {
	n := 0
	for _, c := range s.conns {
		for _, sub := range c.subs {
			if sub.kind == subUser && sub.user == u && sub.activeApp {
				n++
			}
		}
	}
	return n
}

// queueSnapshot is the queue Notify the subscription reports now (lines
// 1713-1805).
func (s *Server) queueSnapshot(sub *subscription) *mtcti.NotifyQueue {
	q := sub.queue
	n := &mtcti.NotifyQueue{
		Extn: q.ext, Name: q.name, Email: q.email, Ringmode: q.ringMode.wire(),
		Noanswertime: q.noAnswer, Voicemail: q.voicemail, Voicemailtime: q.vmTime,
		Servicemode: q.mode,
	}
	if sub.flags&0x02 != 0 {
		n.Queuemembers = &mtcti.QueueMembers{}
		for _, m := range q.members {
			n.Queuemembers.Member = append(n.Queuemembers.Member, &mtcti.QueueMember{Extn: m.ext, Disabled: m.disabled})
		}
	}
	if sub.flags&0x01 != 0 {
		n.Mailbox = &mtcti.Mailbox{Newmessages: q.mailbox[0], Oldmessages: q.mailbox[1], Savedmessages: q.mailbox[2]}
	}
	return n
}

// linesDiff returns the NotifyLines for the subscription: everything as
// adds the first time (line 1040), then adds, deletes and changes, a
// change keeping the GUID (lines 1160-1215).
func (s *Server) linesDiff(sub *subscription) []*mtcti.NotifyLines {
	var cur []lineEntry
	if sub.flags&1 != 0 {
		for _, u := range s.users {
			cur = append(cur, lineEntry{guid: u.guid, extn: u.ext, name: u.name})
		}
	}
	if sub.flags&2 != 0 {
		for _, q := range s.queues {
			cur = append(cur, lineEntry{queue: true, guid: q.guid, extn: q.ext, name: q.name})
		}
	}
	// Notify flags: bit 0 "park server can be subscribed" (line 1152) when
	// park availability was asked for (subscribe flags bit 2, line 1033);
	// bit 1 is "not described", but the example answers subscribe flags 7
	// with notify flags 3 (lines 1118-1125), so it is set when users or
	// queues are listed. Modelled.
	var flags int32
	if sub.flags&4 != 0 {
		flags |= 1
	}
	if sub.flags&3 != 0 {
		flags |= 2
	}
	out := &mtcti.NotifyLines{Flags: flags}
	seen := map[string]bool{}
	for _, e := range cur {
		k := string(e.guid)
		seen[k] = true
		old, ok := sub.lines[k]
		switch {
		case !ok && e.queue:
			out.Addqueue = append(out.Addqueue, e.linesQueue())
		case !ok:
			out.Adduser = append(out.Adduser, e.linesUser())
		case old.extn != e.extn || old.name != e.name:
			if e.queue {
				out.Changequeue = append(out.Changequeue, e.linesQueue())
			} else {
				out.Changeuser = append(out.Changeuser, e.linesUser())
			}
		}
		sub.lines[k] = e
	}
	var gone []lineEntry
	for k, e := range sub.lines {
		if !seen[k] {
			gone = append(gone, e)
			delete(sub.lines, k)
		}
	}
	slices.SortFunc(gone, func(a, b lineEntry) int { return strings.Compare(string(a.guid), string(b.guid)) })
	for _, e := range gone {
		if e.queue {
			out.Deletequeue = append(out.Deletequeue, e.linesQueue())
		} else {
			out.Deleteuser = append(out.Deleteuser, e.linesUser())
		}
	}
	first := !sub.linesSent
	sub.linesSent = true
	n := len(out.Adduser) + len(out.Addqueue) + len(out.Deleteuser) + len(out.Deletequeue) + len(out.Changeuser) + len(out.Changequeue)
	if n == 0 && !first {
		return nil
	}
	if !first || s.opts.LinesChunk <= 0 || n <= s.opts.LinesChunk {
		return []*mtcti.NotifyLines{out}
	}
	// The first list, in chunks of LinesChunk adds.
	var chunks []*mtcti.NotifyLines
	users, queues := out.Adduser, out.Addqueue
	for len(users)+len(queues) > 0 {
		ch := &mtcti.NotifyLines{Flags: flags}
		room := s.opts.LinesChunk
		k := min(room, len(users))
		ch.Adduser, users = users[:k], users[k:]
		room -= k
		k = min(room, len(queues))
		ch.Addqueue, queues = queues[:k], queues[k:]
		chunks = append(chunks, ch)
	}
	return chunks
}

func (e lineEntry) linesUser() *mtcti.LinesUser {
	return &mtcti.LinesUser{Guid: e.guid, Extn: e.extn, Name: e.name}
}

func (e lineEntry) linesQueue() *mtcti.LinesQueue {
	return &mtcti.LinesQueue{Guid: e.guid, Extn: e.extn, Name: e.name}
}

// presenceDiff returns every presentity the first time (full=1), then only
// those that changed (lines 699-703, 727).
func (s *Server) presenceDiff(sub *subscription) *mtcti.NotifyPresence {
	out := &mtcti.NotifyPresence{}
	if !sub.presSent {
		out.Full = 1
	}
	for _, e := range sub.presence {
		np := s.presentity(sub, e)
		if e.last != nil && proto.Equal(e.last, np) {
			continue
		}
		e.last = np
		out.Entry = append(out.Entry, proto.Clone(np).(*mtcti.NotifyPresentity))
	}
	first := !sub.presSent
	sub.presSent = true
	if len(out.Entry) == 0 && !first {
		return nil
	}
	return out
}

// presentity reports one presentity; the lref replaces the presentity
// string when the app gave one (line 748). An unknown presentity reports
// phone state 8 "Unknown" (modelled).
func (s *Server) presentity(sub *subscription, e *presEntry) *mtcti.NotifyPresentity {
	np := &mtcti.NotifyPresentity{Lref: e.lref}
	if e.lref == 0 {
		np.Presentity = e.presentity
	}
	u := s.findPresentity(e.presentity)
	if u == nil {
		np.Phonestate = 8
		return np
	}
	if u.dnd {
		np.Sac = 1
	}
	np.Phonestate = s.phoneState(u)
	if u.absence != nil {
		np.Absence = proto.Clone(u.absence).(*mtcti.Absence)
	}
	np.App = u.app
	if s.appHandlers(u) == 0 {
		if sub.flags&0x02 != 0 {
			np.Noapphandler = true
		} else {
			np.App = "Offline" // lines 760-763
		}
	}
	np.Fwdu = u.fwdu
	if sub.flags&0x01 != 0 {
		np.VmunreadMessages = u.mailbox[0]
	}
	return np
}

// findPresentity matches a phone number, email address, name, GUID (hex)
// or a SIP URI whose user part is one of those.
func (s *Server) findPresentity(p string) *user {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "sip:"), "tel:")
	for _, u := range s.users {
		if p == u.ext || (u.email != "" && strings.EqualFold(p, u.email)) || p == u.name ||
			strings.EqualFold(p, hex.EncodeToString(u.guid)) {
			return u
		}
	}
	if at := strings.IndexByte(p, '@'); at > 0 {
		return s.findPresentity(p[:at])
	}
	return nil
}

// phoneState maps a user's calls to the presence phone states (lines
// 778-789).
func (s *Server) phoneState(u *user) int32 {
	if u.loggedOff {
		return 5
	}
	if u.extnFault {
		return 6
	}
	st := int32(0)
	for _, l := range s.legs {
		if l.user != u {
			continue
		}
		switch l.state {
		case mtcti.CallInfo_CONNECTED, mtcti.CallInfo_ONHOLD, mtcti.CallInfo_ONHOLDPENDTRANSFER, mtcti.CallInfo_ONHOLDPENDCONF:
			return 4
		case mtcti.CallInfo_RINGING:
			st = 2
		case mtcti.CallInfo_DIALTONE, mtcti.CallInfo_DIALLING, mtcti.CallInfo_DIALLED, mtcti.CallInfo_RINGBACK:
			if st == 0 {
				st = 1
			}
		}
	}
	return st
}

// updatePresence adds and removes presentities; new ones are reported at
// once (lines 790-875).
func (s *Server) updatePresence(sub *subscription, up *mtcti.UpdatePresence) {
	for _, r := range up.Remove {
		sub.presence = slices.DeleteFunc(sub.presence, func(e *presEntry) bool {
			return (r.Lref != 0 && e.lref == r.Lref) || (r.Lref == 0 && r.Presentity != "" && e.presentity == r.Presentity)
		})
	}
	for _, a := range up.Add {
		sub.presence = append(sub.presence, &presEntry{presentity: a.Presentity, lref: a.Lref})
	}
}
