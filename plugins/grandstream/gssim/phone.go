package gssim

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

// Options configures a simulated phone. Only Model is required.
type Options struct {
	// Model is the phone model, e.g. "GXP2135" or "DP750"; any model
	// gsapi.FamilyOf accepts.
	Model string
	// Passcode is the admin password requests must carry; default "admin".
	Passcode string
	// AutoAnswerAfter makes outbound calls go from "calling" to "connected"
	// after this delay; 0 leaves them calling until RemoteAnswer.
	AutoAnswerAfter time.Duration
	// AnswerAtOnce makes the remote answer an outbound call before the
	// phone answers the dial request, so the first poll after a dial
	// already shows the call "connected", never "calling": a real phone on
	// a fast network can (modeled; the guide names no outbound progress
	// state). It overrides AutoAnswerAfter.
	AnswerAtOnce bool
	// RemoteNumberKey is the key of the remote number in
	// api-get_line_status: "remotenumner" (default, as in the guide's
	// GXP2135 example) or "remotenum" (as in its general format).
	RemoteNumberKey string
	// Account is the SIP user ID of account 1, the only registered account;
	// default "1001".
	Account string
	// AccountName is the name of account 1 in api-get_accounts; default
	// "Sim " + Account.
	AccountName string
	// SIPServer is the SIP server of account 1; default "sip.example.com".
	SIPServer string
	// Lines is the number of lines per handset; default 8 on GXP (the
	// guide's LINE1-8 keys, as on the GXP2135) and 10 on DP (the guide's
	// api-get_hs_line_status example).
	Lines int
	// PairedHandsets is how many DP handsets (1..5) are paired; default 1.
	PairedHandsets int
	// SlowDelay is how long FaultSlow waits; default 5s.
	SlowDelay time.Duration
}

// dpHandsets is how many handsets a DP base takes.
const dpHandsets = 5

// dpAccounts is how many accounts api-get_account_status knows. Modeled.
const dpAccounts = 10

// maxRequests bounds the request log.
const maxRequests = 10000

// maxPolls bounds the poll log: enough for a minute of one-second polls.
const maxPolls = 64

// Phone is a simulated phone. It implements http.Handler and is safe for
// concurrent use. Create it with New and Close it when done to stop pending
// auto-answer timers.
type Phone struct {
	opts     Options
	family   gsapi.Family
	handlers map[string]func(url.Values) string

	mu       sync.Mutex
	dev      device
	fault    Fault
	rebooted int
	resets   int
	requests []string
	polls    []time.Time // arrivals of the line status function, see Polls
	timers   map[*time.Timer]struct{}
	closed   bool
}

// New returns an idle phone with account 1 registered.
func New(opts Options) (*Phone, error) {
	fam, err := gsapi.FamilyOf(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("gssim: %w", err)
	}
	opts.Model = strings.ToUpper(strings.TrimSpace(opts.Model))
	if opts.Passcode == "" {
		opts.Passcode = "admin"
	}
	switch opts.RemoteNumberKey {
	case "":
		opts.RemoteNumberKey = "remotenumner"
	case "remotenumner", "remotenum":
	default:
		return nil, fmt.Errorf("gssim: remote number key %q; want remotenumner or remotenum", opts.RemoteNumberKey)
	}
	if opts.Account == "" {
		opts.Account = "1001"
	}
	if opts.AccountName == "" {
		opts.AccountName = "Sim " + opts.Account
	}
	if opts.SIPServer == "" {
		opts.SIPServer = "sip.example.com"
	}
	if opts.Lines == 0 {
		opts.Lines = map[gsapi.Family]int{gsapi.FamilyGXP: 8, gsapi.FamilyDP: 10}[fam]
	}
	if opts.Lines < 1 || opts.Lines > 32 {
		return nil, fmt.Errorf("gssim: %d lines; want 1..32", opts.Lines)
	}
	if opts.PairedHandsets == 0 {
		opts.PairedHandsets = 1
	}
	if opts.PairedHandsets < 1 || opts.PairedHandsets > dpHandsets {
		return nil, fmt.Errorf("gssim: %d paired handsets; want 1..%d", opts.PairedHandsets, dpHandsets)
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 5 * time.Second
	}
	if opts.AutoAnswerAfter < 0 {
		return nil, fmt.Errorf("gssim: negative auto-answer delay %v", opts.AutoAnswerAfter)
	}
	p := &Phone{opts: opts, family: fam, timers: map[*time.Timer]struct{}{}}
	p.dev = p.newDevice()
	p.handlers = map[string]func(url.Values) string{
		"api-send_key":      p.sendKey,
		"api-sys_operation": p.sysOperation,
	}
	if fam == gsapi.FamilyGXP {
		p.handlers["api-get_line_status"] = p.lineStatus
		p.handlers["api-get_phone_status"] = p.phoneStatus
		p.handlers["api-phone_operation"] = p.phoneOperation
		p.handlers["api-get_accounts"] = p.accounts
	} else {
		p.handlers["api-get_account_status"] = p.accountStatus
		p.handlers["api-get_hs_status"] = p.hsStatus
		p.handlers["api-get_hs_line_status"] = p.hsLineStatus
		p.handlers["api-make_call"] = p.makeCall
		p.handlers["api-device_operation"] = p.deviceOperation
	}
	return p, nil
}

// newDevice returns the idle state: one handset numbered 0 on GXP, handsets
// 1..5 on DP with the first PairedHandsets paired.
func (p *Phone) newDevice() device {
	mk := func(num int, paired bool) handset {
		h := handset{num: num, paired: paired, lines: make([]line, p.opts.Lines)}
		for i := range h.lines {
			h.lines[i].state = StateIdle
		}
		if paired && num > 0 {
			h.idleFocus, h.active = 1, 1
		}
		return h
	}
	if p.family == gsapi.FamilyGXP {
		return device{handsets: []handset{mk(0, true)}}
	}
	var d device
	for n := 1; n <= dpHandsets; n++ {
		d.handsets = append(d.handsets, mk(n, n <= p.opts.PairedHandsets))
	}
	return d
}

// Model returns the normalized model name, e.g. "GXP2135".
func (p *Phone) Model() string { return p.opts.Model }

// Family returns the model's family.
func (p *Phone) Family() gsapi.Family { return p.family }

// Close stops pending auto-answer timers. The phone still answers requests.
func (p *Phone) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for t := range p.timers {
		t.Stop()
	}
	clear(p.timers)
}

// handset returns handset hs of d: the only one on GXP (hs is ignored), DP
// handset hs (1..5) otherwise, or nil.
func (p *Phone) handset(d *device, hs int) *handset {
	if p.family == gsapi.FamilyGXP {
		return &d.handsets[0]
	}
	if hs < 1 || hs > len(d.handsets) {
		return nil
	}
	return &d.handsets[hs-1]
}

// update runs op on a copy of the state and commits it if op returns true.
// p.mu must not be held.
func (p *Phone) update(op func(d *device) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.updateLocked(op)
}

func (p *Phone) updateLocked(op func(d *device) bool) bool {
	next := p.dev.clone()
	if !op(&next) {
		return false
	}
	for _, ref := range next.started {
		if p.opts.AnswerAtOnce {
			p.answerRemote(&next, ref)
			continue
		}
		p.scheduleAnswer(ref)
	}
	next.settle()
	next.started = nil
	p.dev = next
	return true
}

// scheduleAnswer makes the remote answer an outbound call after
// AutoAnswerAfter. p.mu is held.
func (p *Phone) scheduleAnswer(ref callRef) {
	if p.opts.AutoAnswerAfter <= 0 || p.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(p.opts.AutoAnswerAfter, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.timers, t)
		p.updateLocked(func(d *device) bool { return p.answerRemote(d, ref) })
	})
	p.timers[t] = struct{}{}
}

// answerRemote connects ref if it is still calling. Modeled: the answered
// call takes the focus and holds any other established call.
func (p *Phone) answerRemote(d *device, ref callRef) bool {
	h := p.handset(d, ref.hs)
	if h == nil {
		return false
	}
	l := h.line(ref.line)
	if l == nil || l.call != ref.id || l.state != StateCalling {
		return false
	}
	h.connect(ref.line)
	return true
}
