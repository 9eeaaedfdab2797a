package snomsim

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Options configures a simulated phone. Only Model is required.
type Options struct {
	// Model is a Snom desk phone, D3xx or D7xx, e.g. "D385" or "D735".
	// D345, D385, D715, D735 and D785 have known P-key counts; other
	// D3xx/D7xx models need PKeys.
	Model string
	// Firmware is the firmware version, e.g. "8.4.35", "8.7.3.25" or
	// "10.1.54.13" (the default). It picks the CSTA support, the
	// ConnectionID form and the answer dialect (see Profile).
	Firmware string
	// PKeys overrides the model's number of P keys (P1..PKeys).
	PKeys int
	// ExpansionKeys is how many EK keys (EK0..) a D3xx accepts; default
	// 48 (one module assumed attached). D7xx take none ("expansion module
	// Only for snom3xx"); a positive value on D7xx is an error.
	ExpansionKeys int
	// CSTALegacyControl makes firmware 8.7.3 and later expect the legacy
	// ConnectionID form, as the phone's setting csta_legacy_control does.
	// The document writes that the legacy form is right "when
	// csta_legacy_control is set to 0"; the simulator does not guess the
	// setting's values and only models its effect.
	CSTALegacyControl bool
	// Dialect forces the answer dialect; DialectAuto picks it from the
	// firmware.
	Dialect Dialect

	// Auth is the HTTP authentication scheme; see AuthScheme.
	Auth AuthScheme
	// User and Password are the phone's "HTTP user name" and "HTTP
	// password"; User defaults to "admin" when Password is set.
	User, Password string

	// Identities are identities 1.. (at most 12); default one identity
	// {1001, "Sim 1001", pbx.example.com}.
	Identities []Identity
	// MAC is the setting mac; default "000413" (Snom's OUI, as in the
	// MAC part of Snom user agents) followed by 6 hex digits.
	MAC string
	// Settings are extra initial settings, e.g. action URLs; names must be
	// in SettingNames.
	Settings map[string]string
	// PhoneIP is $phone_ip and $local_ip; default "127.0.0.1".
	PhoneIP string

	// CallJoinOnXfer is the phone's "Call Join on Xfer (2 calls)": with
	// two calls TRANSFER shows the "Calls on Hold" list instead of
	// transferring.
	CallJoinOnXfer bool
	// KeyTiming makes command.htm hold each key for its Time and wait its
	// Pause before answering (at most 10s in all); by default the timings
	// are recorded, not waited.
	KeyTiming bool
	// AutoAnswerAfter makes the remote answer outbound calls after this
	// delay; 0 leaves them calling until RemoteAnswer.
	AutoAnswerAfter time.Duration
	// AnswerAtOnce makes the remote answer an outbound call before the
	// phone answers the request that placed it. It overrides
	// AutoAnswerAfter.
	AnswerAtOnce bool

	// CallbackTimeout bounds each action URL request; default 5s.
	CallbackTimeout time.Duration
	// HTTPClient sends action URLs; default a plain client.
	HTTPClient *http.Client
	// SlowDelay is how long FaultSlow delays answers; default 5s.
	SlowDelay time.Duration
}

// maxRequests bounds the request log.
const maxRequests = 10000

// maxKeyTiming bounds the time one command.htm request waits with
// KeyTiming.
const maxKeyTiming = 10 * time.Second

var macPattern = regexp.MustCompile(`^[0-9A-F]{12}$`)

// Phone is a simulated Snom desk phone. It implements http.Handler and is
// safe for concurrent use. Create it with New and Close it when done: it
// runs one goroutine that sends action URLs.
type Phone struct {
	opts Options
	prof Profile
	auth *authenticator

	mu       sync.Mutex
	dev      device
	settings map[string]string
	fault    Fault
	failNext []string
	pushed   *Display
	requests []Request
	keys     []KeyEvent
	counters counters
	timers   map[*time.Timer]struct{}
	cb       callbackState
}

// counters are the effects of commands without call state, for tests.
type counters struct {
	reboots, resets int
	reregistered    map[int]int
	ringers         []int
}

// New returns an idle phone. Its action URL sender runs until Close.
func New(opts Options) (*Phone, error) {
	model, series, err := normModel(opts.Model)
	if err != nil {
		return nil, err
	}
	opts.Model = model
	if opts.Firmware == "" {
		opts.Firmware = "10.1.54.13"
	}
	fw, err := ParseVersion(opts.Firmware)
	if err != nil {
		return nil, err
	}
	if opts.PKeys == 0 {
		opts.PKeys = knownModels[model].pkeys
	}
	if opts.PKeys <= 0 || opts.PKeys > 200 {
		return nil, fmt.Errorf("snomsim: model %s: set Options.PKeys (1..200) to its number of P keys", model)
	}
	switch {
	case series == '7' && opts.ExpansionKeys > 0:
		return nil, fmt.Errorf("snomsim: model %s: expansion module keys are for D3xx only", model)
	case opts.ExpansionKeys < 0 || opts.ExpansionKeys > 200:
		return nil, fmt.Errorf("snomsim: %d expansion keys; want 0..200", opts.ExpansionKeys)
	case series == '3' && opts.ExpansionKeys == 0:
		opts.ExpansionKeys = defaultExpansionKeys
	}
	if opts.Dialect < DialectAuto || opts.Dialect > DialectSOAPNoHeader {
		return nil, fmt.Errorf("snomsim: unknown dialect %d", int(opts.Dialect))
	}
	if opts.Auth == AuthDefault {
		opts.Auth = AuthNone
		if opts.Password != "" {
			opts.Auth = AuthBasic
		}
	}
	if opts.Auth < AuthNone || opts.Auth > AuthDigest {
		return nil, fmt.Errorf("snomsim: unknown auth scheme %d", int(opts.Auth))
	}
	if opts.Auth != AuthNone && opts.User == "" {
		opts.User = "admin"
	}
	if opts.Identities == nil {
		opts.Identities = []Identity{{User: "1001", RealName: "Sim 1001", Host: "pbx.example.com"}}
	}
	if len(opts.Identities) > MaxIdentities {
		return nil, fmt.Errorf("snomsim: %d identities; a phone has at most %d", len(opts.Identities), MaxIdentities)
	}
	if opts.MAC == "" {
		opts.MAC = "000413A1B2C3"
	}
	opts.MAC = strings.ToUpper(strings.ReplaceAll(opts.MAC, ":", ""))
	if !macPattern.MatchString(opts.MAC) {
		return nil, fmt.Errorf("snomsim: mac %q; want 12 hex digits", opts.MAC)
	}
	for k := range opts.Settings {
		if _, ok := settingIndex[k]; !ok {
			return nil, fmt.Errorf("snomsim: unknown setting %q", k)
		}
		if readOnly(k) {
			return nil, fmt.Errorf("snomsim: setting %s is read-only; use Options.MAC, Model or Firmware", k)
		}
	}
	if opts.PhoneIP == "" {
		opts.PhoneIP = "127.0.0.1"
	}
	if opts.CallbackTimeout <= 0 {
		opts.CallbackTimeout = 5 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 5 * time.Second
	}
	if opts.AutoAnswerAfter < 0 {
		return nil, fmt.Errorf("snomsim: negative auto-answer delay %v", opts.AutoAnswerAfter)
	}
	p := &Phone{opts: opts, timers: map[*time.Timer]struct{}{}}
	p.prof = profileFor(model, fw, opts)
	p.auth = newAuthenticator(opts.Auth, opts.User, opts.Password)
	p.dev = newDevice()
	p.settings = p.defaultSettings()
	p.counters.reregistered = map[int]int{}
	ctx, cancel := context.WithCancel(context.Background())
	p.cb.wake, p.cb.stop, p.cb.done = make(chan struct{}, 1), cancel, make(chan struct{})
	go p.sendCallbacks(ctx)
	return p, nil
}

// Profile returns what the model and firmware make the phone do.
func (p *Phone) Profile() Profile { return p.prof }

// Model returns the normalized model, e.g. "D385".
func (p *Phone) Model() string { return p.prof.Model }

// Close stops the action URL sender (a callback being sent is cancelled,
// queued ones stay "pending") and pending auto-answer timers. The phone
// still answers requests but fires no more action URLs.
func (p *Phone) Close() {
	p.mu.Lock()
	if p.cb.closed {
		p.mu.Unlock()
		return
	}
	p.cb.closed = true
	for t := range p.timers {
		t.Stop()
	}
	clear(p.timers)
	p.mu.Unlock()
	p.cb.stop()
	<-p.cb.done
}

// scheduleAnswer makes the remote answer outbound call c after
// AutoAnswerAfter. p.mu is held.
func (p *Phone) scheduleAnswer(c *call) {
	if p.opts.AutoAnswerAfter <= 0 || p.cb.closed {
		return
	}
	id := c.csta
	var t *time.Timer
	t = time.AfterFunc(p.opts.AutoAnswerAfter, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.timers, t)
		if x := p.dev.find(id); x == c {
			p.remoteAnswer(c)
		}
	})
	p.timers[t] = struct{}{}
}
