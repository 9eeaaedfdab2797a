package ipofficesim

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// The model: users, queues and calls. Everything here is guarded by
// Server.mu. A call is made of legs: one per party end (a user's
// appearance, an external party on a trunk, or a service such as voicemail,
// a MeetMe conference or a conference bridge port). Two legs that talk share
// a conv (the gcid, tag and account code, which follow the call through
// transfers, line 3843). Only user legs are visible on user subscriptions;
// queue subscriptions see queueCall views of their callers, the park server
// sees parkCall views.

// nametype values seen in the document's examples: 5 for a user (line
// 1421), 9 for a trunk (line 1839), 110 for a conference (line 2838).
const (
	nameTypeUser  = 5
	nameTypeTrunk = 9
	nameTypeConf  = 110
)

// Q.850-style CallLost reasons. The document only gives 16 = Normal (line
// 2219); 26 "non-selected user clearing" is modelled for a ringing leg that
// stops because somebody else answered, 1 "unallocated number" for a
// MakeCall that fails at once.
const (
	reasonNormal     = 16
	reasonElsewhere  = 26
	reasonUnassigned = 1
)

type user struct {
	guid                    []byte
	ext, name, full, email  string
	features                mtcti.UserFeatures
	callMask                mtcti.CallFeatures
	dnd                     bool
	dndExceptions           []string
	voicemail               bool
	loggedOff, extnFault    bool
	loginExtn               string
	absence                 *mtcti.Absence
	mailbox                 [3]int32 // new, old, saved
	app                     string
	ec500                   bool
	fwdu, fwdb, fwdna       bool
	fwdhg, fwdToVM          bool
	fwduNumber, fwdbNumber  string
	noAnswerTime            int32
	lastIdle                time.Time
	removed                 bool
	barred, xdir, offswitch bool
}

func (u *user) party() *party { return &party{number: u.ext, name: u.name, nametype: nameTypeUser} }

type member struct {
	ext      string
	disabled bool
}

type queue struct {
	guid             []byte
	ext, name, email string
	ringMode         RingMode
	noAnswer, vmTime int32
	voicemail        bool
	mode             mtcti.NotifyQueue_ServiceMode
	members          []member
	mailbox          [3]int32
	removed          bool
}

func (q *queue) party() *party { return &party{number: q.ext, name: q.name} }

func (q *queue) member(ext string) int {
	return slices.IndexFunc(q.members, func(m member) bool { return m.ext == ext })
}

type party struct {
	number, name string
	nametype     int32
}

func (p *party) info() *mtcti.PartyInfo {
	if p == nil {
		return nil
	}
	return &mtcti.PartyInfo{Number: p.number, Name: p.name, Nametype: p.nametype}
}

type legKind int

const (
	userLeg legKind = iota
	extLeg          // a party outside IP Office, on a trunk
	svcLeg          // voicemail, MeetMe, conference port, park
)

type svcKind int

const (
	svcNone svcKind = iota // not a service
	svcVoicemail
	svcMeetMe
	svcConfPort
)

// conv is what the two legs of one conversation share.
type conv struct {
	gcid                 []byte
	tag, account, auth   string
	sysRecording, paused bool
	recordedByUser       bool
}

type relKind int

const (
	relNone relKind = iota
	relTransfer
	relConf
)

type lostInfo struct {
	reason  int32
	thisEnd bool
	desc    string
}

type leg struct {
	id    int
	kind  legKind
	svc   svcKind
	user  *user  // userLeg
	who   *party // extLeg, svcLeg: this end's identity
	conv  *conv
	state mtcti.CallInfo_State
	dir   mtcti.CallInfo_Direction

	called string // calledparty: what this end dialled (or the DID it came in on)
	caller *party // callingparty as this leg shows it
	orig   *party // originalcalledparty (hunt group, diversion)
	qinfo  *queue // the queue a member leg was offered from (queueinfo)

	peer     *leg   // connected: the other end; alerting: the caller
	alerting []*leg // legs ringing for this one (this is the caller)
	related  *leg
	relKind  relKind

	refID      int32
	failed     mtcti.CallInfo_FailedCause
	activeHeld bool
	recording  bool
	privacy    bool
	mute       bool
	dialInfo   *mtcti.DialInfo
	digits     string // DTMF sent with GenerateDigits

	qc       *queueCall  // a caller leg routed through a queue
	parked   *parkCall   // the leg waits in a park slot
	conf     *conference // svcConfPort: its conference
	confLref int32
	forceAns bool

	ended    bool
	lost     lostInfo
	lostOnly bool // ended before it was ever reported: report the CallLost alone
	created  time.Time
}

// party returns how other parties see this leg's end.
func (l *leg) party() *party {
	if l.kind == userLeg {
		return l.user.party()
	}
	return l.who
}

// connected reports whether l talks to its peer (rather than ringing it).
func (l *leg) connected() bool { return l.peer != nil && l.peer.peer == l }

// queueCall is a call routed through a queue, as the queue's subscribers
// see it. The view follows the caller's leg for the call's whole life (line
// 2560), until Finish (lines 4277-4298).
type queueCall struct {
	id       int
	caller   *leg
	view     *queue // reported on this queue's subscriptions; nil after Finish
	cur      *queue // the queue it waits in now; nil once answered or moved on
	arriving bool   // just arrived, not yet queued (RINGING, no targets)
	queued   bool   // it has waited for an agent: QUEUEING while offered
	scripted bool   // offered by RunQueueScript, not by the queue
	priority int32
	overflow *queue
	arrived  time.Time
	declined map[*user]bool
	refID    int32
	ended    bool
	lost     lostInfo
}

// parkCall is a leg waiting in a park slot, as the park server shows it.
type parkCall struct {
	id    int
	slot  string
	leg   *leg
	by    *party
	refID int32
	lost  lostInfo
}

// conference joins ports (svcConfPort legs); each port's peer is a member.
type conference struct {
	id    int
	who   *party
	ports []*leg
}

// members returns the legs connected to the conference, in joining order.
func (c *conference) members() []*leg {
	var out []*leg
	for _, p := range c.ports {
		if p.peer != nil {
			out = append(out, p.peer)
		}
	}
	return out
}

// newGUID returns the 16-byte GUID of the n-th user (kind 0) or queue (kind
// 1), shaped like the document's examples (lines 1059-1110).
func newGUID(kind byte, n int) []byte {
	g := []byte{0xDC, 0x51, 0xBA, 0x00, 0x08, 0xA3, 0x11, 0xDD, 0, 0, 0x00, 0x50, 0x56, 0x9F, 0x6E, 0xF8}
	if kind == 1 {
		g[0], g[1], g[2] = 0x21, 0x21, 0x8C
	}
	binary.BigEndian.PutUint16(g[8:], uint16(0x8000+n))
	return g
}

// newGCID returns a 9-byte gcid shaped like the document's (line 1415):
// 01, the system's IPv4 address, a 32-bit call number.
func newGCID(n uint32) []byte {
	g := []byte{0x01, 0xC0, 0xA8, 0x2A, 0x0B, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(g[5:], n)
	return g
}
