package mirta

import (
	"strings"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// leg is one channel of the tenant as CHANNELS reports it (Asterisk's
// CoreShowChannels fields: MiRTA is built on Asterisk). A call between an
// extension and a trunk is two legs that share a linkedid.
type leg struct {
	channel, uniqueid, linkedid string
	state                       string // ChannelStateDesc: Down, Rsrvd, OffHook, Dialing, Ring, Ringing, Up, Busy
	callerNum, callerName       string
	connNum, connName           string
}

// peerOf is the extension number a channel belongs to in tenant, or "":
// Asterisk names a channel TECH/PEER-SEQUENCE, and MiRTA names an
// extension's peer NUMBER-TENANT (INFO extensions' username, "201-DEVEL";
// a channel "SIP/201-DEVEL-0000002a"). Trunks, local channels and other
// tenants' peers are no extension of this tenant.
func peerOf(channel, tenant string) string {
	slash := strings.IndexByte(channel, '/')
	if slash < 0 {
		return ""
	}
	tech, rest := channel[:slash], channel[slash+1:]
	if strings.EqualFold(tech, "Local") {
		return ""
	}
	if dash := strings.LastIndexByte(rest, '-'); dash > 0 {
		rest = rest[:dash] // the sequence number
	}
	suffix := "-" + tenant
	if len(rest) <= len(suffix) || !strings.EqualFold(rest[len(rest)-len(suffix):], suffix) {
		return ""
	}
	return rest[:len(rest)-len(suffix)]
}

// originate is a Dial the driver sent: the PBX rings the source extension
// first, presenting the destination, then calls the destination.
type originate struct {
	dest  string
	tag   string // DialRequest.tag, for Call.tag
	until time.Time
}

// callMeta is what the driver remembers of a leg across polls, because
// one poll cannot tell: who started the call, and whom an originate
// calls.
type callMeta struct {
	direction ctiv1.CallDirection
	remote    string // an originate's destination
	tag       string
	contact   *ctiv1.Contact
	connected bool // the leg was once up with another up leg
}

// legState is a leg's unified state, seen from its extension, and
// whether it is up alone. Asterisk reports only the leg's own channel
// state, so ringback and connected come from the other legs of the same
// call (same linkedid).
func legState(l leg, others []leg) (ctiv1.CallState, bool) {
	otherUp, otherAlerting := false, false
	for _, o := range others {
		switch o.state {
		case "Up":
			otherUp = true
		case "Ringing", "Ring":
			otherAlerting = true
		}
	}
	switch l.state {
	case "Ringing":
		return ctiv1.CallState_CALL_STATE_RINGING, false
	case "Ring", "Dialing", "OffHook", "Down", "Rsrvd":
		if otherAlerting {
			return ctiv1.CallState_CALL_STATE_RINGBACK, false
		}
		return ctiv1.CallState_CALL_STATE_DIALING, false
	case "Up":
		switch {
		case otherUp:
			return ctiv1.CallState_CALL_STATE_CONNECTED, false
		case otherAlerting:
			return ctiv1.CallState_CALL_STATE_RINGBACK, false
		}
		// Up alone: talking to the PBX itself (voicemail, an IVR, a
		// queue's music), or an originate's answered first leg before
		// the PBX dials the destination (callOf tells them apart).
		return ctiv1.CallState_CALL_STATE_CONNECTED, true
	}
	return ctiv1.CallState_CALL_STATE_UNSPECIFIED, false
}

// groupByLinkedID indexes legs by the call they belong to.
func groupByLinkedID(legs []leg) map[string][]leg {
	g := map[string][]leg{}
	for _, l := range legs {
		key := l.linkedid
		if key == "" {
			key = l.uniqueid
		}
		g[key] = append(g[key], l)
	}
	return g
}

// othersOf are the legs of l's call but l.
func othersOf(l leg, groups map[string][]leg) []leg {
	key := l.linkedid
	if key == "" {
		key = l.uniqueid
	}
	var out []leg
	for _, o := range groups[key] {
		if o.uniqueid != l.uniqueid || o.channel != l.channel {
			out = append(out, o)
		}
	}
	return out
}

// callOf is the unified call of an extension's leg. meta is what the
// driver remembers of the leg (nil for a leg seen for the first time).
func callOf(l leg, others []leg, meta *callMeta) *ctiv1.Call {
	state, alone := legState(l, others)
	if meta != nil {
		switch {
		case state == ctiv1.CallState_CALL_STATE_CONNECTED && !alone:
			meta.connected = true
		case alone && meta.direction == ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND && !meta.connected:
			// An outbound call up alone that never talked to anyone: the
			// PBX is still calling the destination.
			state = ctiv1.CallState_CALL_STATE_DIALING
		}
	}
	c := &ctiv1.Call{
		CallId:       l.uniqueid,
		State:        state,
		VendorState:  l.state,
		GlobalCallId: l.linkedid,
		Remote:       &ctiv1.Party{Number: l.connNum, Name: l.connName},
	}
	if l.connNum == "" {
		// Asterisk writes <unknown> or nothing before the other side is
		// known; the caller id of another leg tells it then.
		for _, o := range others {
			if o.callerNum != "" && o.callerNum != l.callerNum {
				c.Remote = &ctiv1.Party{Number: o.callerNum, Name: o.callerName}
				break
			}
		}
	}
	if meta != nil {
		c.Direction = meta.direction
		if meta.remote != "" {
			c.Remote = &ctiv1.Party{Number: meta.remote}
		}
		c.Contact = meta.contact
		c.Tag = meta.tag
	}
	if c.GetRemote().GetNumber() == "" && c.GetRemote().GetName() == "" {
		c.Remote = nil
	}
	return c
}

// firstDirection is a new leg's direction: an originate's source leg is
// the extension's outbound call even though it rings; otherwise a leg
// that rings was called, and one that dials or talks first called out.
func firstDirection(l leg, pending *originate) ctiv1.CallDirection {
	if pending != nil {
		return ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
	}
	switch l.state {
	case "Ringing":
		return ctiv1.CallDirection_CALL_DIRECTION_INBOUND
	case "Ring", "Dialing", "OffHook":
		return ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
	}
	return ctiv1.CallDirection_CALL_DIRECTION_UNSPECIFIED
}
