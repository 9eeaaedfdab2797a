package ipofficesim

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// Far-end controls: what happens on handsets and trunks, for tests to drive
// the simulated IP Office. Each control is one event: its Notifies go out
// before it returns (subject to NotifyAck gating).

// GCID is a call's global call identity, CallInfo.gcid (lines 2121-2122):
// the same on every leg of one call, across users and queues.
type GCID []byte

// String returns the gcid in hex.
func (g GCID) String() string { return hex.EncodeToString(g) }

// Equal reports whether b is this gcid (for example a CallInfo's Gcid).
func (g GCID) Equal(b []byte) bool { return bytes.Equal(g, b) }

// Errors of the far-end controls.
var (
	ErrNoUser      = errors.New("ipofficesim: no such user")
	ErrNoQueue     = errors.New("ipofficesim: no such queue")
	ErrNoCall      = errors.New("ipofficesim: no such call")
	ErrUnreachable = errors.New("ipofficesim: destination cannot take the call")
)

// RingUser rings user ext with an external call from number from, on a
// trunk, and returns the call's gcid. A user in DND, logged off or with a
// faulty phone cannot be rung (ErrUnreachable).
func (s *Server) RingUser(ext, from string) (GCID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByExt(ext)
	if u == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoUser, ext)
	}
	if !reachable(target{kind: tUser, user: u}) {
		return nil, fmt.Errorf("%w: %s", ErrUnreachable, ext)
	}
	c := s.caller(from, ext)
	s.ringUser(c, u, ext)
	s.settle()
	return GCID(slices.Clone(c.conv.gcid)), nil
}

// caller makes an external caller's leg that dialled called.
func (s *Server) caller(from, called string) *leg {
	c := s.newLeg(extLeg, s.newConv())
	c.who, c.dir, c.called = &party{number: from, nametype: nameTypeTrunk}, mtcti.CallInfo_OUTBOUND, called
	c.state = mtcti.CallInfo_RINGBACK
	return c
}

// RingQueue sends an external call from number from into the queue named
// (or numbered) queue and returns its gcid. The queue offers it at once to
// its free enabled members by its ring mode (RingGroup: all of them ring);
// with none free it is QUEUEING until one is. A queue not in service
// refuses it (ErrUnreachable).
func (s *Server) RingQueue(queue, from string) (GCID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.findQueue(queue)
	if q == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoQueue, queue)
	}
	if q.mode != mtcti.NotifyQueue_Active {
		return nil, fmt.Errorf("%w: queue %s is not in service", ErrUnreachable, queue)
	}
	c := s.caller(from, q.ext)
	s.enterQueue(c, q, false)
	s.settle()
	return GCID(slices.Clone(c.conv.gcid)), nil
}

func (s *Server) findQueue(nameOrNumber string) *queue {
	for _, q := range s.queues {
		if q.name == nameOrNumber || q.ext == nameOrNumber {
			return q
		}
	}
	return nil
}

// userLegOf finds ext's call with gcid g.
func (s *Server) userLegOf(ext string, g GCID) (*leg, error) {
	u := s.userByExt(ext)
	if u == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoUser, ext)
	}
	for _, l := range s.legs {
		if l.kind == userLeg && l.user == u && g.Equal(l.conv.gcid) {
			return l, nil
		}
	}
	return nil, fmt.Errorf("%w: %s has no call %s", ErrNoCall, ext, g)
}

// AnswerAs answers user ext's ringing call g on the handset, as if the
// user picked it up.
func (s *Server) AnswerAs(ext string, g GCID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.userLegOf(ext, g)
	if err != nil {
		return err
	}
	if err := s.answer(l); err != nil {
		return err
	}
	s.settle()
	return nil
}

// HangupAs hangs up user ext's call g on the handset.
func (s *Server) HangupAs(ext string, g GCID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.userLegOf(ext, g)
	if err != nil {
		return err
	}
	s.release(l, lostInfo{reason: reasonNormal, thisEnd: true, desc: "hung up"})
	s.settle()
	return nil
}

// extLegOf finds the external party of call g.
func (s *Server) extLegOf(g GCID, ringing bool) *leg {
	for _, l := range s.legs {
		if l.kind == extLeg && g.Equal(l.conv.gcid) && (!ringing || l.state == mtcti.CallInfo_RINGING) {
			return l
		}
	}
	return nil
}

// RemoteHangup hangs up the external party of call g: the caller of an
// inbound call (queue calls included, wherever they are) or the called
// party of an outbound one.
func (s *Server) RemoteHangup(g GCID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.extLegOf(g, false)
	if l == nil {
		return fmt.Errorf("%w: no external party on %s", ErrNoCall, g)
	}
	s.release(l, lostInfo{reason: reasonNormal, thisEnd: true, desc: "far end hung up"})
	s.settle()
	return nil
}

// RemoteAnswer answers, at the far end, an outbound call g to an external
// number that is ringing there.
func (s *Server) RemoteAnswer(g GCID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.extLegOf(g, true)
	if l == nil {
		return fmt.Errorf("%w: no external party ringing on %s", ErrNoCall, g)
	}
	if err := s.answer(l); err != nil {
		return err
	}
	s.settle()
	return nil
}

// AddUser adds a user, as an administrator would: Lines subscriptions get
// an adduser (lines 1160-1200).
func (s *Server) AddUser(spec UserSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addUser(spec); err != nil {
		return err
	}
	s.settle()
	return nil
}

// RemoveUser deletes user ext: its calls are cleared, it leaves every
// queue, its subscriptions end with SubscribeTerminated (modelled: the
// document does not say) and Lines subscriptions get a deleteuser.
func (s *Server) RemoveUser(ext string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByExt(ext)
	if u == nil {
		return fmt.Errorf("%w: %s", ErrNoUser, ext)
	}
	u.removed = true // no coverage to its voicemail
	for _, l := range slices.Clone(s.legs) {
		if l.kind == userLeg && l.user == u {
			s.release(l, lostInfo{reason: reasonNormal, desc: "user removed"})
		}
	}
	for _, q := range s.queues {
		if i := q.member(ext); i >= 0 {
			q.members = slices.Delete(q.members, i, i+1)
		}
	}
	s.users = slices.DeleteFunc(s.users, func(o *user) bool { return o == u })
	for _, c := range s.connList() {
		for _, sub := range c.subList() {
			if sub.kind == subUser && sub.user == u {
				s.terminate(sub, true)
			}
		}
	}
	s.settle()
	return nil
}

// RenameUser changes user ext's number and name (an empty value keeps
// it): Lines subscriptions get a changeuser with the same GUID (lines
// 1200-1215) and the user's subscriptions a new Notify.
func (s *Server) RenameUser(ext, newExt, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByExt(ext)
	if u == nil {
		return fmt.Errorf("%w: %s", ErrNoUser, ext)
	}
	if newExt != "" && newExt != ext {
		if s.numberTaken(newExt) {
			return fmt.Errorf("ipofficesim: number %s already in use", newExt)
		}
		for _, q := range s.queues {
			if i := q.member(ext); i >= 0 {
				q.members[i].ext = newExt
			}
		}
		u.ext = newExt
	}
	if newName != "" {
		u.name = newName
	}
	s.settle()
	return nil
}

// withUser runs f on user ext as one event.
func (s *Server) withUser(ext string, f func(u *user)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByExt(ext)
	if u == nil {
		return fmt.Errorf("%w: %s", ErrNoUser, ext)
	}
	f(u)
	s.settle()
	return nil
}

// SetUserFeatures sets user ext's featuresavailable (UserFeatureValid is
// always added); user subscriptions get a new Notify.
func (s *Server) SetUserFeatures(ext string, f mtcti.UserFeatures) error {
	return s.withUser(ext, func(u *user) { u.features = f | mtcti.UserFeatureValid })
}

// SetDND sets user ext's Do Not Disturb, as from the handset.
func (s *Server) SetDND(ext string, on bool) error {
	return s.withUser(ext, func(u *user) { u.dnd = on })
}

// SetLoggedOff logs user ext off (or back on to its own extension).
func (s *Server) SetLoggedOff(ext string, off bool) error {
	return s.withUser(ext, func(u *user) { u.loggedOff, u.loginExtn = off, "" })
}

// SetMailbox sets user ext's voicemail counters, as a voicemail server
// would (line 1565).
func (s *Server) SetMailbox(ext string, newMsgs, oldMsgs, savedMsgs int32) error {
	return s.withUser(ext, func(u *user) { u.mailbox = [3]int32{newMsgs, oldMsgs, savedMsgs} })
}

// CallState describes one end of a live call, for tests to inspect.
type CallState struct {
	GCID GCID
	// Kind is "user", "external", "voicemail", "meetme" or "conference".
	Kind string
	// Number is the user's extension, or the external or service number.
	Number    string
	State     mtcti.CallInfo_State
	Direction mtcti.CallInfo_Direction
	// Peer is the number of the party this end talks to ("" if none).
	Peer string
	// Ringing lists the numbers ringing for this end.
	Ringing []string
	// Queue is the name of the queue reporting this caller ("" if none).
	Queue            string
	Tag, AccountCode string
	// Digits are the DTMF digits sent with GenerateDigits.
	Digits string
	// ParkSlot is the slot this end waits in ("" if not parked).
	ParkSlot   string
	RefID      int32
	ActiveHeld bool
	Recording  bool
	Privacy    bool
	Mute       bool
}

// Calls returns every live call end, oldest first.
func (s *Server) Calls() []CallState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CallState
	for _, l := range s.legs {
		cs := CallState{
			GCID: slices.Clone(l.conv.gcid), Number: l.party().number, State: l.state, Direction: l.dir,
			Tag: l.conv.tag, AccountCode: l.conv.account, Digits: l.digits, RefID: l.refID,
			ActiveHeld: l.activeHeld, Recording: l.recording || l.conv.sysRecording, Privacy: l.privacy, Mute: l.mute,
		}
		switch {
		case l.kind == userLeg:
			cs.Kind = "user"
		case l.kind == extLeg:
			cs.Kind = "external"
		case l.svc == svcVoicemail:
			cs.Kind = "voicemail"
		case l.svc == svcMeetMe:
			cs.Kind = "meetme"
		default:
			cs.Kind = "conference"
		}
		if l.connected() {
			cs.Peer = l.peer.party().number
		}
		for _, a := range l.alerting {
			cs.Ringing = append(cs.Ringing, a.party().number)
		}
		if l.qc != nil && l.qc.view != nil {
			cs.Queue = l.qc.view.name
		}
		if l.parked != nil {
			cs.ParkSlot = l.parked.slot
		}
		out = append(out, cs)
	}
	return out
}

// UserState describes one user, for tests to inspect.
type UserState struct {
	GUID                                               []byte
	Extension, Name                                    string
	Features                                           mtcti.UserFeatures
	DND                                                bool
	Absence                                            *mtcti.Absence
	App                                                string
	EC500                                              bool
	ForwardUnconditional, ForwardBusy, ForwardNoAnswer bool
	ForwardNumber, ForwardBusyNumber                   string
	Voicemail                                          bool
	// Mailbox is new, old and saved messages.
	Mailbox   [3]int32
	LoggedOff bool
	// Calls is the number of live calls.
	Calls int
}

// Users returns every user, in configuration order.
func (s *Server) Users() []UserState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []UserState
	for _, u := range s.users {
		us := UserState{
			GUID: slices.Clone(u.guid), Extension: u.ext, Name: u.name, Features: u.features, DND: u.dnd,
			App: u.app, EC500: u.ec500, ForwardUnconditional: u.fwdu, ForwardBusy: u.fwdb, ForwardNoAnswer: u.fwdna,
			ForwardNumber: u.fwduNumber, ForwardBusyNumber: u.fwdbNumber, Voicemail: u.voicemail,
			Mailbox: u.mailbox, LoggedOff: u.loggedOff, Calls: s.appearances(u),
		}
		if u.absence != nil {
			us.Absence = &mtcti.Absence{Msg: u.absence.Msg, Str: u.absence.Str}
		}
		out = append(out, us)
	}
	return out
}

// QueueState describes one queue, for tests to inspect.
type QueueState struct {
	GUID         []byte
	Name, Number string
	ServiceMode  mtcti.NotifyQueue_ServiceMode
	Members      []QueueMemberState
	// Waiting is the number of calls waiting in the queue (ringing agents
	// or queueing).
	Waiting int
}

// QueueMemberState is one member of a queue.
type QueueMemberState struct {
	Extension string
	Disabled  bool
}

// Queues returns every queue, in configuration order.
func (s *Server) Queues() []QueueState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []QueueState
	for _, q := range s.queues {
		qs := QueueState{GUID: slices.Clone(q.guid), Name: q.name, Number: q.ext, ServiceMode: q.mode}
		for _, m := range q.members {
			qs.Members = append(qs.Members, QueueMemberState{Extension: m.ext, Disabled: m.disabled})
		}
		for _, qc := range s.qcalls {
			if qc.cur == q {
				qs.Waiting++
			}
		}
		out = append(out, qs)
	}
	return out
}
