package mirtasim

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults for Options.
const (
	DefaultPath        = "/pbx/proxyapi.php"
	DefaultDialTimeout = 30 * time.Second
	DefaultSlowDelay   = 2 * time.Second

	// MaxBody is the largest request body accepted; a bigger one is
	// refused with HTTP 413 (modelled: PHP's post_max_size refuses larger
	// posts, the simulator keeps tests cheap).
	MaxBody = 1 << 20
)

// Limits that keep a misbehaving client from growing the model without
// bound. Past them, control methods fail with ErrLimit and API writes answer
// an error.
const (
	MaxTenants          = 256
	MaxExtensions       = 10000 // per tenant
	MaxQueues           = 1000  // per tenant
	MaxChannels         = 20000 // whole PBX
	MaxContacts         = 10000 // per phonebook
	MaxPhonebooks       = 100   // per tenant
	MaxFlows            = 1000  // per tenant
	MaxCDRFields        = 100000
	maxRequests         = 4096
	maxOriginates       = 4096
	maxValueLen         = 4096
	maxPhonebookResults = 1000
)

// Errors returned by the control methods.
var (
	// ErrNotFound: no such tenant, extension, queue, phonebook or call.
	ErrNotFound = errors.New("mirtasim: not found")
	// ErrNotApplicable: the object is not in a state the control applies
	// to (nothing ringing, extension not registered...).
	ErrNotApplicable = errors.New("mirtasim: not applicable")
	// ErrLimit: one of the Max* limits would be passed.
	ErrLimit = errors.New("mirtasim: limit reached")
	// ErrInvalid: a malformed argument (empty code, duplicate number...).
	ErrInvalid = errors.New("mirtasim: invalid argument")
)

// Options configure a PBX. The zero value serves the API at DefaultPath
// with no tenant and no admin key.
type Options struct {
	// Path is where the API is served; default DefaultPath.
	Path string
	// AdminKey is the PBX-wide admin API key; "" means none (only tenant
	// keys work).
	AdminKey string
	// ControlToken guards the /sim/ test controls: requests must carry
	// "Authorization: Bearer TOKEN". "" disables /sim/ (every control
	// answers 403), so a simulator is never steerable by accident.
	ControlToken string
	// Tenants are created at start, in order.
	Tenants []TenantSpec
	// FarAnswerAfter is how long an external number dialled by DIAL (or
	// reached by a transfer) rings before it answers; 0 answers at once,
	// a negative value never (only RemoteAnswer answers then).
	FarAnswerAfter time.Duration
	// TransferMovesPeer makes TRANSFER move the party talking to the
	// channel named instead of that channel itself. The default is AMI
	// Redirect's semantics, which proxyapi's TRANSFER most plausibly wraps
	// (its extrachannel is AMI's ExtraChannel): the channel named moves
	// and its peer is hung up. Modelled: see apiTransfer.
	TransferMovesPeer bool
	// ReadOnlyError answers a write with a read-only key
	// "Error|Read only API key|" instead of TooBad, so a client's
	// read-only classification can be tested. Modelled: never seen on a
	// real PBX (facts §0).
	ReadOnlyError bool
	// DialTimeout is how long the source of a DIAL rings when the request
	// has no dialtimeout; default DefaultDialTimeout.
	DialTimeout time.Duration
	// SlowDelay is the delay FaultSlow adds; default DefaultSlowDelay.
	SlowDelay time.Duration
	// Now is the model's clock: ring timeouts, far-end answers, call
	// limits and uniqueids follow it. Timers are evaluated lazily, on each
	// request and control call, so a test can move a manual clock and the
	// next request sees the result. Default time.Now.
	Now func() time.Time
	// Logger receives one debug line per request (reqtype, tenant,
	// outcome; never a key). Default: discard.
	Logger *slog.Logger
}

// TenantSpec describes a tenant.
type TenantSpec struct {
	// Code is the tenant code, e.g. "DEVEL" (letters, digits, '_' and '-';
	// stored upper-case, matched without regard to case).
	Code string `json:"code"`
	// Key is the tenant's read/write API key; ReadOnlyKey its read-only
	// one. Either may be "" (none). Keys must be unique over the PBX.
	Key         string          `json:"key"`
	ReadOnlyKey string          `json:"read_only_key"`
	Extensions  []ExtensionSpec `json:"extensions"`
	Queues      []QueueSpec     `json:"queues"`
	Flows       []FlowSpec      `json:"flows"`
	Phonebooks  []PhonebookSpec `json:"phonebooks"`
}

// ExtensionSpec describes an extension.
type ExtensionSpec struct {
	Number string `json:"number"` // e.g. "101"
	Name   string `json:"name"`   // e.g. "Ada Lovelace"
	// Username and Secret are the SIP credentials; defaults
	// NUMBER-TENANT (MiRTA's peer name, e.g. "101-DEVEL") and a secret
	// derived from the number.
	Username string `json:"username"`
	Secret   string `json:"secret"`
	// Unregistered starts the extension's phone unregistered (phones are
	// registered by default).
	Unregistered bool `json:"unregistered"`
	DND          bool `json:"dnd"`
}

// QueueSpec describes a queue and its agents.
type QueueSpec struct {
	ID     string      `json:"id"`     // numeric id; default: the next free PBX-wide id
	Number string      `json:"number"` // e.g. "600"
	Name   string      `json:"name"`
	Agents []AgentSpec `json:"agents"`
}

// AgentSpec is a static queue member.
type AgentSpec struct {
	Extension   string `json:"extension"`
	Paused      bool   `json:"paused"`
	PauseReason string `json:"pause_reason"`
	Penalty     int    `json:"penalty"`
}

// FlowSpec is a flow (a day/night style switch).
type FlowSpec struct {
	Number string `json:"number"`
	Name   string `json:"name"`
	State  string `json:"state"` // INUSE, NOT_INUSE, UNAVAILABLE, RINGING; default NOT_INUSE
	Value  string `json:"value"`
}

// PhonebookSpec is a phone book and its contacts.
type PhonebookSpec struct {
	Name     string    `json:"name"`
	Contacts []Contact `json:"contacts"`
}

func (o *Options) defaults() error {
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if !strings.HasPrefix(o.Path, "/") || strings.HasPrefix(o.Path, "/sim/") {
		return fmt.Errorf("%w: path %q must start with / and not be under /sim/", ErrInvalid, o.Path)
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.SlowDelay <= 0 {
		o.SlowDelay = DefaultSlowDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
