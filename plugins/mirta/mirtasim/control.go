package mirtasim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Channel is a snapshot of one channel (one leg of a call), for tests.
type Channel struct {
	Name      string `json:"name"` // e.g. SIP/101-DEVEL-0000001a, SIP/trunk-0000001b
	UniqueID  string `json:"uniqueid"`
	LinkedID  string `json:"linkedid"` // shared by every leg of a call
	Tenant    string `json:"tenant"`
	Extension string `json:"extension,omitempty"` // "" for an external (trunk) leg
	Number    string `json:"number,omitempty"`    // the external number of a trunk leg
	State     string `json:"state"`               // Ring, Ringing, Up
	Direction string `json:"direction"`           // IN or OUT
	// CallerIDNum/Name and ConnectedNum/Name are Asterisk's CallerID and
	// ConnectedLine of the channel.
	CallerIDNum   string `json:"caller_id_num"`
	CallerIDName  string `json:"caller_id_name"`
	ConnectedNum  string `json:"connected_num"`
	ConnectedName string `json:"connected_name"`
	Peer          string `json:"peer,omitempty"`      // bridged channel
	RingsFor      string `json:"rings_for,omitempty"` // a ringing leg: the channel it will be bridged with
	Queue         string `json:"queue,omitempty"`     // waiting in this queue (number)
	HeldBy        string `json:"held_by,omitempty"`   // held by this transferer (ATXTRANSFER)
}

// Call is the legs sharing one linkedid.
type Call struct {
	LinkedID string    `json:"linkedid"`
	Channels []Channel `json:"channels"` // oldest first
}

func (p *PBX) snapshot(c *channel) Channel {
	s := Channel{Name: c.name, UniqueID: c.uid, LinkedID: c.linkedid, Tenant: c.t.code, Extension: c.ext,
		Number: c.number, State: c.state, Direction: c.dir, CallerIDNum: c.cidNum, CallerIDName: c.cidName,
		ConnectedNum: c.connNum, ConnectedName: c.connName}
	if c.peer != nil {
		s.Peer = c.peer.name
	}
	if c.caller != nil {
		s.RingsFor = c.caller.name
	}
	if c.queue != nil {
		s.Queue = c.queue.number
	}
	if c.heldBy != nil {
		s.HeldBy = c.heldBy.name
	}
	return s
}

// Calls returns tenant code's calls (every tenant's when code is ""),
// oldest first: the ground truth to compare a driver's view with.
func (p *PBX) Calls(code string) ([]Call, error) {
	p.lock()
	defer p.mu.Unlock()
	var t *tenant
	if code != "" {
		var err error
		if t, err = p.tenant(code); err != nil {
			return nil, err
		}
	}
	out := []Call{}
	idx := map[string]int{}
	for _, c := range p.sortedChans(t) {
		i, ok := idx[c.linkedid]
		if !ok {
			i = len(out)
			idx[c.linkedid] = i
			out = append(out, Call{LinkedID: c.linkedid})
		}
		out[i].Channels = append(out[i].Channels, p.snapshot(c))
	}
	return out, nil
}

// Channels returns tenant code's channels, oldest first.
func (p *PBX) Channels(code string) ([]Channel, error) {
	calls, err := p.Calls(code)
	if err != nil {
		return nil, err
	}
	var out []Channel
	for _, c := range calls {
		out = append(out, c.Channels...)
	}
	slices.SortFunc(out, func(a, b Channel) int { return cmpSeq(a.Name, b.Name) })
	return out, nil
}

func cmpSeq(a, b string) int {
	seq := func(s string) int64 {
		i := strings.LastIndexByte(s, '-')
		n, _ := strconv.ParseInt(s[i+1:], 16, 64)
		return n
	}
	x, y := seq(a), seq(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// RingIn makes an external caller from ring to in tenant code: an
// extension rings, or the caller waits in a queue (answered by the queue,
// state Up) while every free unpaused agent rings; the first to answer
// gets the call. It returns the caller's (trunk) channel; its LinkedID
// names the call for RemoteHangup.
func (p *PBX) RingIn(code, from, to string) (Channel, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return Channel{}, err
	}
	if !numberRE.MatchString(from) {
		return Channel{}, fmt.Errorf("%w: caller number %q", ErrInvalid, from)
	}
	e, q := t.ext(to), t.queueByNumber(to)
	switch {
	case e == nil && q == nil:
		return Channel{}, fmt.Errorf("%w: %s is no extension or queue of %s", ErrNotFound, to, t.code)
	case e != nil:
		if why := p.unreachable(t, e); why != "" {
			return Channel{}, fmt.Errorf("%w: extension %s is %s", ErrNotApplicable, to, why)
		}
	}
	if err := p.room(2); err != nil {
		return Channel{}, err
	}
	c := p.newChannel(t, "", from, StateRing)
	c.dir, c.cidNum, c.exten = "IN", from, to
	if err := p.dialDest(c, to, ""); err != nil {
		p.hangup(c)
		return Channel{}, err
	}
	p.distribute()
	return p.snapshot(c), nil
}

// Answer makes extension ext's phone pick up its oldest ringing channel
// (a DIAL source leg, an inbound call, a queue call, a transfer). It
// returns that channel.
func (p *PBX) Answer(code, ext string) (Channel, error) {
	p.lock()
	defer p.mu.Unlock()
	t, e, err := p.extOf(code, ext)
	if err != nil {
		return Channel{}, err
	}
	for _, c := range p.extChans(t, e.number) {
		if c.state == StateRinging {
			p.answer(c)
			p.distribute()
			return p.snapshot(c), nil
		}
	}
	return Channel{}, fmt.Errorf("%w: nothing rings on %s", ErrNotApplicable, e.number)
}

// Hangup makes extension ext's phone hang up: every channel it has ends
// (a ringing one is refused).
func (p *PBX) Hangup(code, ext string) error {
	p.lock()
	defer p.mu.Unlock()
	t, e, err := p.extOf(code, ext)
	if err != nil {
		return err
	}
	cs := p.extChans(t, e.number)
	if len(cs) == 0 {
		return fmt.Errorf("%w: %s has no call", ErrNotApplicable, e.number)
	}
	for _, c := range cs {
		p.hangup(c)
	}
	p.distribute()
	return nil
}

// externalLegs returns the trunk legs named by id: a channel name, or the
// linkedid of a call.
func (p *PBX) externalLegs(id string) []*channel {
	if c := p.chans[id]; c != nil {
		if c.external() {
			return []*channel{c}
		}
		id = c.linkedid
	}
	var out []*channel
	for _, c := range p.sortedChans(nil) {
		if c.external() && c.linkedid == id {
			out = append(out, c)
		}
	}
	return out
}

// RemoteAnswer makes the ringing far end of call id (a linkedid or a trunk
// channel name) answer, as an external number dialled by DIAL or a
// transfer does after Options.FarAnswerAfter.
func (p *PBX) RemoteAnswer(id string) error {
	p.lock()
	defer p.mu.Unlock()
	for _, c := range p.externalLegs(id) {
		if c.state == StateRinging {
			p.answer(c)
			p.distribute()
			return nil
		}
	}
	return fmt.Errorf("%w: no far end rings on %s", ErrNotApplicable, id)
}

// RemoteHangup makes the external party of call id (a linkedid or a trunk
// channel name) hang up.
func (p *PBX) RemoteHangup(id string) error {
	p.lock()
	defer p.mu.Unlock()
	legs := p.externalLegs(id)
	if len(legs) == 0 {
		return fmt.Errorf("%w: no external party on %s", ErrNotFound, id)
	}
	for _, c := range legs {
		p.hangup(c)
	}
	p.distribute()
	return nil
}

// DialSpec is a DIAL request, for Go callers (the API's DIAL does the same).
type DialSpec struct {
	Source, Dest         string
	SourceCLID, DestCLID string
	DialTimeout, Timeout time.Duration // 0: Options.DialTimeout, no limit
	AutoAnswer           bool
}

// Originate is a snapshot of a DIAL.
type Originate struct {
	ID      string `json:"id"`
	Tenant  string `json:"tenant"`
	Source  string `json:"source"`
	Dest    string `json:"dest"`
	Status  string `json:"status"`  // ringing source, failed, done
	Channel string `json:"channel"` // the source leg
}

// Dial originates a call as the API's DIAL does and returns its id.
func (p *PBX) Dial(code string, d DialSpec) (string, error) {
	p.lock()
	defer p.mu.Unlock()
	t, err := p.tenant(code)
	if err != nil {
		return "", err
	}
	e := t.extByUser(d.Source)
	if e == nil {
		return "", fmt.Errorf("%w: source %s in %s", ErrNotFound, d.Source, t.code)
	}
	return p.dial(t, e, d)
}

// dial originates. Caller holds p.mu.
func (p *PBX) dial(t *tenant, e *extension, d DialSpec) (string, error) {
	if !e.registered {
		return "", fmt.Errorf("%w: extension %s is not registered", ErrNotApplicable, e.number)
	}
	if !numberRE.MatchString(d.Dest) {
		return "", fmt.Errorf("%w: dest %q", ErrInvalid, d.Dest)
	}
	if err := p.room(2); err != nil {
		return "", err
	}
	now := p.opts.Now()
	p.origSeq++
	id := fmt.Sprintf("1%08x%05x", uint32(now.Unix()), (now.Nanosecond()/1000+p.origSeq)%0x100000)
	for p.originates[id] != nil {
		p.origSeq++
		id = fmt.Sprintf("1%08x%05x", uint32(now.Unix()), (now.Nanosecond()/1000+p.origSeq)%0x100000)
	}
	o := &originate{id: id, source: e.number, dest: d.Dest, sourceCID: d.SourceCLID, destCID: d.DestCLID,
		timeout: d.Timeout, status: "ringing source", t: t}
	if len(p.origOrder) >= maxOriginates {
		delete(p.originates, p.origOrder[0])
		p.origOrder = p.origOrder[1:]
	}
	p.originates[id] = o
	p.origOrder = append(p.origOrder, id)

	c := p.newChannel(t, e.number, "", StateRinging)
	o.src, c.orig, c.dir, c.exten = c, o, "OUT", d.Dest
	// Modelled: the source leg is the extension's outgoing call (facts §6
	// example: CallerID the extension, Connected Line the other party);
	// while it rings, the other party is what the phone shows.
	c.cidNum, c.cidName = e.number, e.name
	c.connNum = d.Dest
	if d.SourceCLID != "" {
		c.connNum = d.SourceCLID
	}
	timeout := d.DialTimeout
	if timeout <= 0 {
		timeout = p.opts.DialTimeout
	}
	c.ringUntil = now.Add(timeout)
	if d.AutoAnswer { // modelled: the phone answers at once
		p.answer(c)
	}
	p.distribute()
	return id, nil
}

// Originates returns the last DIALs, oldest first.
func (p *PBX) Originates() []Originate {
	p.lock()
	defer p.mu.Unlock()
	out := []Originate{}
	for _, id := range p.origOrder {
		o := p.originates[id]
		out = append(out, Originate{ID: o.id, Tenant: o.t.code, Source: o.source, Dest: o.dest, Status: o.status, Channel: o.src.name})
	}
	return out
}
