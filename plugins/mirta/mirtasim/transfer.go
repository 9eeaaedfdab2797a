package mirtasim

// validDest reports whether dest can be dialled in t.
func validDest(t *tenant, dest string) bool {
	return t.ext(dest) != nil || t.queueByNumber(dest) != nil || numberRE.MatchString(dest)
}

// apiTransfer serves TRANSFER (blind). Modelled on AMI Redirect, which
// proxyapi's TRANSFER most plausibly wraps (extrachannel is AMI's
// ExtraChannel): channel goes to dest and its peer ends; extrachannel,
// when given, goes to dest too. With Options.TransferMovesPeer the party
// talking to channel (its bridged peer; for a ringing leg, its caller)
// goes instead and channel's leg ends; a channel on its own (a caller
// waiting in a queue or ringing) goes itself. A destination
// that cannot take the call (busy, not registered, DND) releases the
// moved party.
//
// Modelled (facts §3): "Success|Transfer requested|", "Error|Channel not
// found|", "No channel specified", "No dest specified".
func apiTransfer(p *PBX, s scope, q params, _ bool) answer {
	c := p.findChannel(s, q.get("channel"))
	dest := q.get("dest")
	switch {
	case q.get("channel") == "":
		return missing("channel")
	case dest == "":
		return missing("dest")
	case c == nil:
		return errLine("Channel not found")
	case !validDest(c.t, dest):
		return errLine("Invalid destination")
	}
	var extra *channel
	if n := q.get("extrachannel"); n != "" {
		if extra = p.findChannel(s, n); extra == nil {
			return errLine("Channel not found")
		}
	}
	mover := c
	if p.opts.TransferMovesPeer {
		if c.peer != nil {
			mover = c.peer
		} else if c.caller != nil {
			mover = c.caller
		}
	}
	p.redirect(mover, dest)
	if extra != nil && !extra.ended && extra != mover {
		p.redirect(extra, dest)
	}
	return okLine("Transfer requested")
}

// redirect sends leg m to dest: it leaves whatever it was in (its peer,
// the legs it rang, its queue; those legs end) and dials dest. Caller
// holds p.mu.
func (p *PBX) redirect(m *channel, dest string) {
	if x := m.peer; x != nil {
		m.peer, x.peer = nil, nil
		if held := x.xferHeld; held != nil && held != m {
			x.xferHeld, held.heldBy = nil, nil
			p.bridge(x, held)
		} else {
			if held == m {
				x.xferHeld, m.heldBy = nil, nil
			}
			p.hangup(x)
		}
	}
	if k := m.caller; k != nil { // m was ringing for k: k's call to m ends
		m.caller = nil
		k.targets = removeChan(k.targets, m)
		p.hangup(k)
	}
	targets := m.targets
	m.targets = nil
	for _, x := range targets {
		x.caller = nil
		p.hangup(x)
	}
	if q := m.queue; q != nil {
		q.callers = removeChan(q.callers, m)
		m.queue = nil
	}
	if h := m.heldBy; h != nil {
		h.xferHeld, m.heldBy = nil, nil
	}
	m.exten = dest
	if err := p.dialDest(m, dest, ""); err != nil {
		p.hangup(m)
	}
}

func removeChan(cs []*channel, c *channel) []*channel {
	out := cs[:0]
	for _, x := range cs {
		if x != c {
			out = append(out, x)
		}
	}
	return out
}

// apiAtxTransfer serves ATXTRANSFER: channel is the transferer's leg,
// bridged to the party to transfer. That party is held while channel
// calls dest (the consultation); when channel hangs up the held party is
// connected to dest (ringing it if dest has not answered yet). If dest
// refuses or hangs up first, channel is connected back to the held
// party. As Asterisk's attended transfer (Atxfer) does; the details are
// modelled.
//
// Modelled (facts §4): "Success|Attended transfer requested|", "Error|
// Channel not found|"; "Error|Channel not in a call|" for a leg with no
// peer (or already consulting).
func apiAtxTransfer(p *PBX, s scope, q params, _ bool) answer {
	c := p.findChannel(s, q.get("channel"))
	dest := q.get("dest")
	switch {
	case q.get("channel") == "":
		return missing("channel")
	case dest == "":
		return missing("dest")
	case c == nil:
		return errLine("Channel not found")
	case c.peer == nil || c.xferHeld != nil || c.heldBy != nil:
		return errLine("Channel not in a call")
	case !validDest(c.t, dest) || (c.ext != "" && dest == c.ext):
		return errLine("Invalid destination")
	}
	held := c.peer
	c.peer, held.peer = nil, nil
	c.xferHeld, held.heldBy = held, c
	c.exten = dest
	if err := p.dialDest(c, dest, ""); err != nil {
		// Modelled: the consultation fails at once; back to the held party.
		c.xferHeld, held.heldBy = nil, nil
		p.bridge(c, held)
	}
	return okLine("Attended transfer requested")
}
