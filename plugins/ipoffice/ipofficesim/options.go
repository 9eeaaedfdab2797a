package ipofficesim

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// Options configures a Server. The zero value is usable: it serves no users
// and no queues, with the document's example credentials.
type Options struct {
	// Username and Password are the service user's credentials, checked
	// against the upgrade request's Authorization: Basic header (vendor
	// document lines 151-155, 207-215). Empty means the document's example
	// "TestApplication" / "password" (line 4615).
	Username, Password string

	// Version is the GeneralData.versioninfo answered to getversioninfo
	// (lines 4700-4727). Empty means DefaultVersion.
	Version string

	// Users and Queues are the initial configuration. Users and queues get
	// GUIDs in order, so two servers built from the same Options hand out the
	// same GUIDs.
	Users  []UserSpec
	Queues []QueueSpec

	// ParkSlots, when not empty, are the only park slots Park accepts
	// (another slot answers MTCTISESS_CALLCONTROL_PARKFAILED). Empty means any
	// slot of 1-9 characters (lines 3455-3457). Modelled: the document does
	// not say which slots exist.
	ParkSlots []string

	// AccountCodes, when not empty, are the valid account codes: SetAccountCode
	// with another code answers MTCTISESS_CALLCONTROL_BADACCT (lines
	// 3884-3908), and GetFile "nasystem/AccountCode" lists them. Empty means
	// any code is accepted (as a wild-card account code would).
	AccountCodes []string
	// AuthCodes, when not empty, are the valid authorization codes
	// (SetAuthCode, lines 4096-4130); empty means any.
	AuthCodes []string

	// NotifyAckRequired selects the Notify payloads that carry a notify_id,
	// after which IP Office sends nothing more on that subscription until the
	// NotifyAck (lines 484-495). Zero means DefaultAckKinds; AckNone means no
	// Notify carries one.
	NotifyAckRequired NotifyKinds

	// NotifyQueueLimit bounds the Notifies held back on one subscription
	// while it waits for a NotifyAck; past it the subscription is ended with
	// SubscribeTerminated. Zero means 1000. Modelled: the document does not
	// say what IP Office does with an app that never acks.
	NotifyQueueLimit int

	// LinesChunk, when positive, splits the first NotifyLines into Notifies
	// of at most this many adds each (the document's example continues the
	// adds in a second Notify, lines 1128-1140 and 1160-1200). Zero sends
	// them all in one Notify, as line 1040 says.
	LinesChunk int

	// MaxConnections is the number of simultaneous MTCTI3 connections; the
	// next upgrade is refused with HTTP 503. Zero means 10 (line 4326).
	// Modelled: the document gives the limit, not how it is enforced.
	MaxConnections int

	// AllowNoSubprotocol accepts an upgrade that does not offer the
	// "openapi" subprotocol (the 101 then carries none). By default such an
	// upgrade is refused with HTTP 400. Modelled: the document always sends
	// it (line 218) and does not say what happens without it.
	AllowNoSubprotocol bool

	// QueueHoldShowsOnHold makes a queue call whose agent holds it show
	// state ONHOLD at the queue. By default it stays CONNECTED with
	// activeheld set, since the queue's view is the caller's side and
	// activeheld is "the person you were talking to has put you on hold"
	// (lines 2118-2119). Modelled: the document only says "CALLINFO Agent
	// has put call on hold" (line 2593).
	QueueHoldShowsOnHold bool

	// RejectUnavailable answers MTCTISESS_CALLCONTROL_INVALIDCALLSTATE to a
	// CallFunction whose featuresavailable bit is not set. By default the
	// action is ignored: the RequestResponse says success and nothing
	// happens, as lines 2623-2624 say.
	RejectUnavailable bool

	// NoGeneralCmdResponse answers a GeneralCmd with its GeneralData only.
	// By default a GeneralCmd with a requestid also gets a RequestResponse,
	// sent before the GeneralData, since a requestid always asks for one
	// (lines 365-366, 429); the getversioninfo example shows the GeneralData
	// only (lines 4700-4727).
	NoGeneralCmdResponse bool

	// SilentExpiry ends a subscription whose timeout passes without telling
	// the app. By default IP Office's SubscribeTerminated is sent. Modelled:
	// the document says a subscription times out unless refreshed (lines
	// 248-252, 374-410) but not whether it says so.
	SilentExpiry bool

	// MakeCallFailLostOnly makes a MakeCall to an unallocated number end at
	// once with a CallLost only (matched by referencecallid, lines
	// 2214-2217). By default the call stays in state FAILED with failedcause
	// UNALLOCATEDNUMBER until the app drops it (the stable FAILED state of
	// lines 2204-2206, 3515-3516).
	MakeCallFailLostOnly bool

	// ExternalPrefixes are the first digits of the numbers the simulated
	// dial plan routes to the public network (modelled; a real IP Office's
	// short codes decide). Empty means "09+": the document's external
	// numbers all start with 0.
	ExternalPrefixes string

	// CallAppearances is the number of calls one user can have at a time;
	// MakeCall, SetupTransfer and UnPark past it answer
	// MTCTISESS_CALLCONTROL_MAXCALLS. Zero means 3.
	CallAppearances int

	// Certificate is the TLS certificate served. Nil means a self-signed
	// ECDSA certificate generated by New for "localhost", 127.0.0.1, ::1 and
	// Hosts.
	Certificate *tls.Certificate
	// Hosts are extra DNS names or IP addresses for the self-signed
	// certificate.
	Hosts []string

	// ScriptStep is the pause between the steps of RunQueueScript. Zero
	// runs the steps back to back (each is still its own event).
	ScriptStep time.Duration

	// Clock drives subscription timeouts and delayed answers. Nil means the
	// real clock.
	Clock Clock
	// Logger receives the simulator's debug log. Nil discards it.
	Logger *slog.Logger
}

// DefaultVersion is the versioninfo answered when Options.Version is empty,
// in the form of the document's example (line 4725).
const DefaultVersion = "IP Office 12.1.0.0 build 191"

// Default credentials, from the document's trace (line 4615).
const (
	DefaultUsername = "TestApplication"
	DefaultPassword = "password"
)

// UserSpec describes one IP Office user.
type UserSpec struct {
	// Extension is the user's number in the dial plan (required, unique).
	Extension string
	// Name is the user's name; empty means "Extn<Extension>".
	Name string
	// FullName and Email are reported as they are.
	FullName, Email string
	// Features is NotifyUser.featuresavailable; zero means
	// DefaultUserFeatures. UserFeatureValid is always added.
	Features mtcti.UserFeatures
	// CallFeatureMask, when not zero, limits the featuresavailable of the
	// user's calls (for example without CallFeatureAnswerCall, like a POTS
	// phone that CTI cannot take off hook, lines 3231-3233).
	CallFeatureMask mtcti.CallFeatures
	// NoVoicemail disables the user's voicemail: a ringing call dropped by
	// the user then has no coverage (MTCTISESS_CALLCONTROL_NOCOVERAGE).
	NoVoicemail bool
	// LoggedOff: the user is not logged in anywhere (MakeCall answers
	// MTCTISESS_CALLCONTROL_NOPHONE).
	LoggedOff bool
	// ExtnFault: the user's phone is not working (MakeCall answers
	// MTCTISESS_CALLCONTROL_EXTNFAULT).
	ExtnFault bool
	// DND: Do Not Disturb is on at start.
	DND bool
}

// DefaultUserFeatures is every user feature the document defines except
// the reserved DFOI.
const DefaultUserFeatures = mtcti.UserFeatureValid | mtcti.UserFeatureSAC | mtcti.UserFeatureAbsence |
	mtcti.UserFeatureEC500 | mtcti.UserFeatureLogin | mtcti.UserFeatureShortCode |
	mtcti.UserFeatureMakeCall | mtcti.UserFeatureFwdU | mtcti.UserFeatureApp

// RingMode is how a queue offers a call to its members. The zero value is
// RingGroup.
type RingMode int

const (
	// RingGroup ("group", ringmode 2, "collective"): every free enabled
	// member rings at once; the first to answer takes the call.
	RingGroup RingMode = iota
	// RingSequential (ringmode 1): the first free enabled member in list
	// order rings.
	RingSequential
	// RingIdle (ringmode 0): the free enabled member idle longest rings.
	RingIdle
)

// wire returns NotifyQueue.ringmode for m (lines 1759-1762).
func (m RingMode) wire() int32 {
	switch m {
	case RingSequential:
		return 1
	case RingIdle:
		return 0
	}
	return 2
}

// QueueSpec describes one queue (hunt group).
type QueueSpec struct {
	// Name is the queue's name (required, unique); SubscribeQueue can use it.
	Name string
	// Number is the queue's number in the dial plan (required, unique).
	Number string
	// Email is reported as it is.
	Email string
	// Members are the agents' extensions, in ring order, all enabled.
	Members []string
	// RingMode is how calls are offered; zero means RingGroup.
	RingMode RingMode
	// NoAnswerTime is reported as noanswertime; zero means 15 seconds. The
	// simulator does not move a call on by itself.
	NoAnswerTime int32
	// Voicemail and VoicemailTime are reported as they are (zero time means
	// 45 seconds).
	Voicemail     bool
	VoicemailTime int32
	// ServiceMode is the service mode at start; Unset means Active.
	ServiceMode mtcti.NotifyQueue_ServiceMode
}

// NotifyKinds is a set of Notify payload kinds.
type NotifyKinds uint32

// Notify payload kinds, for Options.NotifyAckRequired.
const (
	NotifyPresence NotifyKinds = 1 << iota
	NotifyLines
	NotifyUser
	NotifyQueue
	NotifyCallControl
	NotifyRefreshWrapper

	// AckNone: no Notify carries a notify_id.
	AckNone NotifyKinds = 1 << 31
)

// DefaultAckKinds are the kinds that carry a notify_id by default: the
// document's lines and user examples carry one (lines 1122, 1133, 1338,
// 1563) while every call-control example carries none (lines 1405-1430,
// 1820-1850, 2505-2530, 2700-2800). Queue and presence notifies are
// modelled like the user's: the document shows none of them.
const DefaultAckKinds = NotifyPresence | NotifyLines | NotifyUser | NotifyQueue

// Clock is the time source of a Server; tests may supply a manual one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not run yet and reports whether it
	// did so.
	Stop() bool
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(d, f)
}
