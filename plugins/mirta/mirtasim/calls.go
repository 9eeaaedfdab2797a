package mirtasim

import (
	"fmt"
	"slices"
	"time"
)

// Asterisk channel states, as Asterisk names them (ast_state2str).
const (
	StateDown    = "Down"
	StateRing    = "Ring"    // an inbound channel waiting while what it dials rings
	StateRinging = "Ringing" // an outbound channel whose phone rings
	StateUp      = "Up"
)

// channel is one Asterisk channel (one leg). Guarded by PBX.mu.
type channel struct {
	seq                 int
	name, uid, linkedid string
	t                   *tenant
	ext                 string // extension number; "" for an external (trunk) leg
	number              string // the external number of a trunk leg
	dir                 string // "IN" or "OUT", as GETCURRENTCALLS reports it
	state               string
	cidNum, cidName     string // CallerIDNum/Name
	connNum, connName   string // ConnectedLineNum/Name
	context, exten      string
	app, appData        string
	created, answered   time.Time

	peer     *channel   // bridged to
	caller   *channel   // for a ringing leg: who it bridges with on answer
	targets  []*channel // legs this channel rings
	queue    *queue     // waiting in this queue
	orig     *originate // DIAL source leg not yet answered
	xferHeld *channel   // ATXTRANSFER: the transferer's held party
	heldBy   *channel   // ATXTRANSFER: held by this transferer

	ringUntil   time.Time // DIAL source leg: dialtimeout
	farAnswerAt time.Time // external leg: when the far end answers
	endAt       time.Time // DIAL timeout: max duration
	ended       bool
}

// originate is one DIAL request.
type originate struct {
	id, source, dest   string
	sourceCID, destCID string
	timeout            time.Duration
	status             string // "ringing source", "dialling dest", "failed", "done"
	src                *channel
	t                  *tenant
}

func (c *channel) external() bool { return c.ext == "" }

// party returns the number and name of what c is (its own side).
func (p *PBX) party(c *channel) (string, string) {
	if c.external() {
		return c.number, ""
	}
	if e := c.t.ext(c.ext); e != nil {
		return e.number, e.name
	}
	return c.ext, ""
}

// newChannel creates a leg. Caller holds p.mu and has checked the limit.
func (p *PBX) newChannel(t *tenant, ext, number, state string) *channel {
	now := p.opts.Now()
	p.chanSeq++
	p.uidSeq++
	c := &channel{seq: p.chanSeq, t: t, ext: ext, number: number, state: state, created: now,
		uid: fmt.Sprintf("%d.%d", now.Unix(), p.uidSeq), context: t.code}
	c.linkedid = c.uid
	if ext != "" {
		user := ext + "-" + t.code
		if e := t.ext(ext); e != nil {
			user = e.username
		}
		c.name = fmt.Sprintf("SIP/%s-%08x", user, c.seq)
	} else {
		c.name = fmt.Sprintf("SIP/trunk-%08x", c.seq)
	}
	p.chans[c.name] = c
	t.addCDR(c.uid)
	return c
}

func (p *PBX) room(n int) error {
	if len(p.chans)+n > MaxChannels {
		return fmt.Errorf("%w: %d channels", ErrLimit, MaxChannels)
	}
	return nil
}

// sortedChans returns t's channels (all tenants' when t is nil) oldest
// first.
func (p *PBX) sortedChans(t *tenant) []*channel {
	out := make([]*channel, 0, len(p.chans))
	for _, c := range p.chans {
		if t == nil || c.t == t {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *channel) int { return a.seq - b.seq })
	return out
}

// extChans returns the channels of extension ext of t, oldest first.
func (p *PBX) extChans(t *tenant, ext string) []*channel {
	var out []*channel
	for _, c := range p.sortedChans(t) {
		if c.ext == ext {
			out = append(out, c)
		}
	}
	return out
}

// reachable says why extension e cannot take a call now ("" if it can).
func (p *PBX) unreachable(t *tenant, e *extension) string {
	switch {
	case !e.registered:
		return "not registered"
	case e.dnd:
		return "do not disturb"
	case p.busy(t, e.number):
		return "busy"
	}
	return ""
}

// ring makes leg target ring for caller. Caller holds p.mu.
func (p *PBX) ring(caller, target *channel) {
	target.caller = caller
	target.linkedid = caller.linkedid
	target.dir = "IN"
	if target.external() {
		target.dir = "OUT"
	}
	caller.targets = append(caller.targets, target)
	num, name := p.party(caller)
	if caller.cidNum != "" && caller.external() {
		num, name = caller.cidNum, caller.cidName
	}
	target.cidNum, target.cidName = num, name
	target.connNum, target.connName = num, name
	target.app, target.appData = "AppDial", "(Outgoing Line)"
	target.exten = caller.exten
	if caller.state != StateUp {
		caller.state = StateRing
	}
	caller.app, caller.appData = "Dial", target.name
}

// dialDest connects src (a leg that is Up or an inbound leg) to dest: an
// extension rings, a queue takes it as a caller, anything else goes out
// on the trunk. It reports why nothing could be dialled. Caller holds
// p.mu.
func (p *PBX) dialDest(src *channel, dest, clid string) error {
	t := src.t
	src.exten = dest
	if e := t.ext(dest); e != nil {
		if why := p.unreachable(t, e); why != "" {
			return fmt.Errorf("%w: extension %s is %s", ErrNotApplicable, dest, why)
		}
		if err := p.room(1); err != nil {
			return err
		}
		leg := p.newChannel(t, e.number, "", StateRinging)
		p.ring(src, leg)
		if clid != "" {
			leg.cidNum, leg.connNum = clid, clid
		}
		src.connNum, src.connName = e.number, e.name
		return nil
	}
	if q := t.queueByNumber(dest); q != nil {
		p.enqueue(src, q)
		return nil
	}
	if !numberRE.MatchString(dest) {
		return fmt.Errorf("%w: %q is not a number", ErrInvalid, dest)
	}
	if err := p.room(1); err != nil {
		return err
	}
	leg := p.newChannel(t, "", dest, StateRinging)
	p.ring(src, leg)
	if clid != "" {
		leg.cidNum = clid
	}
	leg.connNum, leg.connName = leg.cidNum, leg.cidName
	src.connNum, src.connName = dest, ""
	switch d := p.opts.FarAnswerAfter; {
	case d == 0:
		p.answer(leg)
	case d > 0:
		leg.farAnswerAt = p.opts.Now().Add(d)
	}
	return nil
}

// enqueue makes c wait in q. Caller holds p.mu.
func (p *PBX) enqueue(c *channel, q *queue) {
	if c.state != StateUp {
		c.state = StateUp // Queue() answers the caller
		if c.answered.IsZero() {
			c.answered = p.opts.Now()
		}
	}
	c.queue = q
	c.app, c.appData = "Queue", q.number
	q.callers = append(q.callers, c)
}

// distribute rings the free unpaused agents for the waiting callers, in
// queue and caller order (modelled: ringall, every free agent rings for
// the first caller not yet ringing anyone). Caller holds p.mu.
func (p *PBX) distribute() {
	for _, code := range p.tenantOrder {
		t := p.tenants[code]
		for _, q := range t.queues {
			for _, c := range q.callers {
				if len(c.targets) > 0 {
					continue
				}
				for _, a := range q.agents {
					e := t.ext(a.ext)
					if a.paused || e == nil || p.unreachable(t, e) != "" || p.room(1) != nil {
						continue
					}
					leg := p.newChannel(t, e.number, "", StateRinging)
					p.ring(c, leg)
				}
				if len(c.targets) > 0 {
					c.app, c.appData = "Queue", q.number
				}
			}
		}
	}
}

// answer picks up leg c (a ringing phone or far end). Caller holds p.mu.
func (p *PBX) answer(c *channel) {
	now := p.opts.Now()
	c.state, c.answered, c.farAnswerAt, c.ringUntil = StateUp, now, time.Time{}, time.Time{}
	if o := c.orig; o != nil {
		c.orig = nil
		o.status = "dialling dest"
		if o.timeout > 0 {
			c.endAt = now.Add(o.timeout)
		}
		c.app, c.appData = "Dial", o.dest
		if err := p.dialDest(c, o.dest, o.destCID); err != nil {
			o.status = "failed"
			p.hangup(c)
			return
		}
		o.status = "done"
		return
	}
	k := c.caller
	if k == nil {
		return
	}
	c.caller = nil
	k.targets = slices.DeleteFunc(k.targets, func(x *channel) bool { return x == c })
	for _, other := range k.targets { // answered elsewhere
		other.caller = nil
		p.hangup(other)
	}
	k.targets = nil
	if q := k.queue; q != nil {
		q.callers = slices.DeleteFunc(q.callers, func(x *channel) bool { return x == k })
		k.queue = nil
		if a := q.agent(c.ext); a != nil {
			a.calls++
			a.lastCall = now
		}
	}
	p.bridge(k, c)
}

func (p *PBX) bridge(a, b *channel) {
	now := p.opts.Now()
	for _, c := range []*channel{a, b} {
		c.state = StateUp
		if c.answered.IsZero() {
			c.answered = now
		}
	}
	a.peer, b.peer = b, a
	an, aname := p.party(a)
	bn, bname := p.party(b)
	if a.external() && a.cidNum != "" {
		an, aname = a.cidNum, a.cidName
	}
	a.connNum, a.connName = bn, bname
	b.connNum, b.connName = an, aname
	a.app, a.appData = "Dial", b.name
	b.app, b.appData = "AppDial", "(Outgoing Line)"
}

// hangup ends leg c and whatever depends on it: its bridged peer (both
// legs end, as Asterisk's two-party bridge does), the legs it rings, and
// the caller of a ringing leg left with nothing to ring (unless that
// caller waits in a queue). An attended transfer completes when the
// transferer's leg ends. Caller holds p.mu.
func (p *PBX) hangup(c *channel) {
	if c == nil || c.ended {
		return
	}
	c.ended = true
	delete(p.chans, c.name)
	if c.orig != nil && c.orig.status == "ringing source" {
		c.orig.status = "failed"
	}
	if held := c.xferHeld; held != nil { // the transferer hangs up: complete
		c.xferHeld, held.heldBy = nil, nil
		if c.peer != nil || len(c.targets) > 0 || c.queue != nil {
			p.handover(c, held)
			return
		}
		p.hangup(held)
	}
	if t := c.heldBy; t != nil { // the held party gives up
		t.xferHeld, c.heldBy = nil, nil
	}
	if x := c.peer; x != nil {
		c.peer, x.peer = nil, nil
		if held := x.xferHeld; held != nil { // the consulted party hangs up
			x.xferHeld, held.heldBy = nil, nil
			p.bridge(x, held)
		} else {
			p.hangup(x)
		}
	}
	if k := c.caller; k != nil { // a ringing leg is refused
		c.caller = nil
		k.targets = slices.DeleteFunc(k.targets, func(x *channel) bool { return x == c })
		if len(k.targets) == 0 && k.queue == nil && k.peer == nil {
			if held := k.xferHeld; held != nil {
				k.xferHeld, held.heldBy = nil, nil
				p.bridge(k, held)
			} else {
				p.hangup(k)
			}
		}
	}
	targets := c.targets
	c.targets = nil
	for _, x := range targets {
		x.caller = nil
		p.hangup(x)
	}
	if q := c.queue; q != nil {
		q.callers = slices.DeleteFunc(q.callers, func(x *channel) bool { return x == c })
		c.queue = nil
	}
}

// handover gives to what from has: its bridge, the legs it rings, its
// place in a queue; from then ends quietly. Caller holds p.mu.
func (p *PBX) handover(from, to *channel) {
	if x := from.peer; x != nil {
		from.peer = nil
		p.bridge(to, x)
	}
	for _, x := range from.targets {
		x.caller = to
		to.targets = append(to.targets, x)
	}
	from.targets = nil
	if q := from.queue; q != nil {
		for i, x := range q.callers {
			if x == from {
				q.callers[i] = to
			}
		}
		to.queue, from.queue = q, nil
	}
	from.ended = true
	delete(p.chans, from.name)
}

// tick applies every deadline that has passed: ring timeouts, far-end
// answers, call time limits. Caller holds p.mu.
func (p *PBX) tick() {
	now := p.opts.Now()
	for range 3*len(p.chans) + 3 {
		var due *channel
		var at time.Time
		for _, c := range p.chans {
			for _, d := range [3]time.Time{c.ringUntil, c.farAnswerAt, c.endAt} {
				if !d.IsZero() && !d.After(now) && (due == nil || d.Before(at) || (d.Equal(at) && c.seq < due.seq)) {
					due, at = c, d
				}
			}
		}
		if due == nil {
			break
		}
		switch {
		case !due.ringUntil.IsZero() && !due.ringUntil.After(now):
			due.ringUntil = time.Time{}
			p.hangup(due)
		case !due.endAt.IsZero() && !due.endAt.After(now):
			due.endAt = time.Time{}
			p.hangup(due)
		default:
			due.farAnswerAt = time.Time{}
			if due.state == StateRinging {
				p.answer(due)
			}
		}
	}
	p.distribute()
}
