package gssim

// Line states. The guide shows only "idle" and "connected" (and "idle" as a
// DP handset status); the other states are Modeled vocabulary for a
// simulated call's life.
const (
	StateIdle      = "idle"      // no call
	StateRinging   = "ringing"   // inbound call not answered yet
	StateDialing   = "dialing"   // digits typed, not sent
	StateCalling   = "calling"   // outbound call, remote ringing
	StateConnected = "connected" // established call
	StateOnHold    = "onhold"    // established call on hold
)

// focusOrder picks the line that gets the focus ("active") when the focused
// line goes idle. Modeled.
var focusOrder = []string{StateConnected, StateRinging, StateCalling, StateDialing, StateOnHold}

// line is one line of a handset.
type line struct {
	state  string
	number string // remote number, or the digits typed so far while dialing
	name   string // remote name, inbound calls only
	call   uint64 // id of the call on the line; 0 when idle
}

// handset is the GXP phone itself (num 0) or one DP handset (num 1..5).
type handset struct {
	num    int
	paired bool
	lines  []line
	active int // focused line, 1-based; 0 = none
	// idleFocus is the focus without calls: 0 on GXP (the guide's general
	// example has no active line) and 1 on a paired DP handset (the guide's
	// api-get_hs_line_status example shows Line1 Active while idle).
	idleFocus  int
	xfer       int    // line with a pending blind transfer (XFER pressed); 0 = none
	xferDigits string // transfer target typed so far
}

// callRef names a call that was just started, for auto-answer.
type callRef struct {
	hs, line int
	id       uint64
}

// device is the whole mutable state of a phone. Operations work on a clone
// and commit it only if they apply, so a refused request changes nothing.
type device struct {
	handsets     []handset
	dnd          bool
	muted        bool
	speaker      bool
	lastTransfer string
	nextCall     uint64
	started      []callRef // outbound calls started by the current operation
}

func (d *device) clone() device {
	c := *d
	c.handsets = make([]handset, len(d.handsets))
	for i, h := range d.handsets {
		h.lines = append([]line(nil), h.lines...)
		c.handsets[i] = h
	}
	c.started = nil
	return c
}

func (d *device) newCall() uint64 {
	d.nextCall++
	return d.nextCall
}

// settle applies rules that follow from the state: mute ends with the last
// connected call. Modeled.
func (d *device) settle() {
	for i := range d.handsets {
		if d.handsets[i].find(StateConnected) != 0 {
			return
		}
	}
	d.muted = false
}

// dropAll ends every call, as a reboot does.
func (d *device) dropAll() {
	for i := range d.handsets {
		h := &d.handsets[i]
		for n := range h.lines {
			h.lines[n] = line{state: StateIdle}
		}
		h.xfer, h.xferDigits = 0, ""
		h.active = h.idleFocus
	}
	d.muted, d.speaker = false, false
}

// line returns line n (1-based) or nil.
func (h *handset) line(n int) *line {
	if n < 1 || n > len(h.lines) {
		return nil
	}
	return &h.lines[n-1]
}

// focused returns the focused line or nil.
func (h *handset) focused() *line { return h.line(h.active) }

// find returns the first line in one of states, 0 if none.
func (h *handset) find(states ...string) int {
	for n := range h.lines {
		for _, s := range states {
			if h.lines[n].state == s {
				return n + 1
			}
		}
	}
	return 0
}

// pick returns the focused line if it is in one of states, else the first
// line that is; 0 if none.
func (h *handset) pick(states ...string) int {
	if l := h.focused(); l != nil {
		for _, s := range states {
			if l.state == s {
				return h.active
			}
		}
	}
	return h.find(states...)
}

// busy reports whether any line has a call.
func (h *handset) busy() bool {
	for _, l := range h.lines {
		if l.state != StateIdle {
			return true
		}
	}
	return false
}

// refocus keeps exactly one focused line while any call exists.
func (h *handset) refocus() {
	if l := h.focused(); l != nil && l.state != StateIdle {
		return
	}
	for _, s := range focusOrder {
		if n := h.find(s); n != 0 {
			h.active = n
			return
		}
	}
	h.active = h.idleFocus
}

// setIdle ends the call on line n.
func (h *handset) setIdle(n int) {
	*h.line(n) = line{state: StateIdle}
	if h.xfer == n {
		h.xfer, h.xferDigits = 0, ""
	}
	h.refocus()
}

// holdOthers puts every connected line but n on hold: a handset has one
// established call at a time, as on the real phone.
func (h *handset) holdOthers(n int) {
	for i := range h.lines {
		if i+1 != n && h.lines[i].state == StateConnected {
			h.lines[i].state = StateOnHold
		}
	}
}

// connect makes line n the established, focused call.
func (h *handset) connect(n int) {
	h.holdOthers(n)
	h.line(n).state = StateConnected
	h.active = n
}

// startDial puts line n into dialing with digits typed; other dialing lines
// are abandoned and a connected call is held.
func (h *handset) startDial(d *device, n int, digits string) {
	for i := range h.lines {
		if i+1 != n && h.lines[i].state == StateDialing {
			h.lines[i] = line{state: StateIdle}
		}
	}
	h.holdOthers(n)
	*h.line(n) = line{state: StateDialing, number: digits, call: d.newCall()}
	h.active = n
}

// send turns dialing line n with digits into an outbound call.
func (h *handset) send(d *device, n int) bool {
	l := h.line(n)
	if l == nil || l.state != StateDialing || l.number == "" {
		return false
	}
	l.state = StateCalling
	d.started = append(d.started, callRef{hs: h.num, line: n, id: l.call})
	return true
}

// dialOut places an outbound call to number on the first idle line.
func (h *handset) dialOut(d *device, number string) bool {
	n := h.find(StateIdle)
	if n == 0 || number == "" {
		return false
	}
	h.startDial(d, n, number)
	return h.send(d, n)
}

// transfer completes a pending blind transfer: the transferred line is free.
func (h *handset) transfer(d *device) bool {
	if h.xfer == 0 || h.xferDigits == "" {
		return false
	}
	d.lastTransfer = h.xferDigits
	h.setIdle(h.xfer)
	return true
}
