package mirtasim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// apiDial serves DIAL: the PBX rings source first; when it answers, dest
// is dialled (see the package doc).
//
// Published: https://www.mirtapbx.com/manual/index.php?title=Proxyapi
// ("Success|Originate successfully queued|15a4cfe6429054|"), the same line
// for format=json (modelled, facts §1). Errors modelled (facts §1):
// "Error|Source not found|", "No dest specified"; "Error|Extension not
// registered|" for a source whose phone is not registered (brief).
func apiDial(p *PBX, s scope, q params, _ bool) answer {
	src, dest := q.first("source", "exten"), q.first("dest", "phone")
	if src == "" {
		return missing("source")
	}
	if dest == "" {
		return missing("dest")
	}
	if strings.EqualFold(src, "ACCOUNT") {
		src = q.get("account")
	}
	e := s.t.extByUser(src)
	if e == nil {
		return errLine("Source not found")
	}
	d := DialSpec{Source: e.number, Dest: dest, SourceCLID: q.get("sourceclid"), DestCLID: q.get("destclid"),
		DialTimeout: seconds(q.get("dialtimeout"), 600), Timeout: seconds(q.get("timeout"), 86400),
		AutoAnswer: strings.EqualFold(q.get("autoanswer"), "yes")}
	id, err := p.dial(s.t, e, d)
	switch {
	case err == nil:
		return okLine("Originate successfully queued", id)
	case strings.Contains(err.Error(), "not registered"):
		return errLine("Extension not registered")
	case strings.Contains(err.Error(), "limit"):
		return errLine("Too many channels")
	default:
		return errLine("Invalid destination")
	}
}

// seconds parses a positive whole number of seconds up to max; anything
// else is 0.
func seconds(s string, max int) time.Duration {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > max {
		return 0
	}
	return time.Duration(n) * time.Second
}

// findChannel returns the channel named name that s sees.
func (p *PBX) findChannel(s scope, name string) *channel {
	if c := p.chans[name]; s.sees(c) {
		return c
	}
	return nil
}

// apiHangup serves HANGUP by channel, extension (103-DEVEL), number or
// source (103); the leg ends and so does its peer.
//
// Modelled (facts §2): "Success|Hangup requested|", "Error|Channel not
// found|", "No channel specified".
func apiHangup(p *PBX, s scope, q params, _ bool) answer {
	var chans []*channel
	switch {
	case q.get("channel") != "":
		if c := p.findChannel(s, q.get("channel")); c != nil {
			chans = append(chans, c)
		}
	case q.first("extension", "number", "source") != "":
		who := q.first("extension", "number", "source")
		for _, t := range p.tenantsIn(s) {
			if e := t.extByUser(who); e != nil && (q.get("extension") != "" || e.number == who) {
				chans = append(chans, p.extChans(t, e.number)...)
			}
		}
	default:
		return missing("channel")
	}
	if len(chans) == 0 {
		return errLine("Channel not found")
	}
	for _, c := range chans {
		p.hangup(c)
	}
	return okLine("Hangup requested")
}

// tenantsIn returns the tenants s sees.
func (p *PBX) tenantsIn(s scope) []*tenant {
	if s.t != nil {
		return []*tenant{s.t}
	}
	out := make([]*tenant, 0, len(p.tenantOrder))
	for _, code := range p.tenantOrder {
		out = append(out, p.tenants[code])
	}
	return out
}

// otherParty returns the channel c talks to or rings with.
func otherParty(c *channel) string {
	switch {
	case c.peer != nil:
		return c.peer.name
	case c.caller != nil:
		return c.caller.name
	case len(c.targets) > 0:
		return c.targets[0].name
	case c.xferHeld != nil:
		return c.xferHeld.name
	}
	return ""
}

func (p *PBX) duration(c *channel) time.Duration {
	d := p.opts.Now().Sub(c.created)
	if d < 0 {
		return 0
	}
	return d
}

// apiCurrentCalls serves GETCURRENTCALLS: phone's channels, oldest first;
// only the first without multiple=yes.
//
// Modelled (facts §6): json records Channel, UniqueID, LinkedID,
// CallerIDNum, CallerIDName, "Connected Line ID", "Connected Line ID
// Name", State, Direction, Context, Extension, OtherParty, Duration (an
// array with multiple=yes, else the first record alone); plain one line
// per call "Channel|UniqueID|LinkedID|CallerIDNum|CallerIDName|
// ConnectedLineNum|ConnectedLineName|State|Direction|Duration|". No call
// or unknown phone: empty body.
func apiCurrentCalls(p *PBX, s scope, q params, js bool) answer {
	phone := q.first("phone", "number", "extension")
	if phone == "" {
		return missing("phone")
	}
	e := s.t.extByUser(phone)
	if e == nil {
		return plain("")
	}
	chans := p.extChans(s.t, e.number)
	if len(chans) == 0 {
		return plain("")
	}
	multiple := strings.EqualFold(q.get("multiple"), "yes")
	if !multiple {
		chans = chans[:1]
	}
	if js {
		recs := make([]obj, 0, len(chans))
		for _, c := range chans {
			recs = append(recs, obj{{"Channel", c.name}, {"UniqueID", c.uid}, {"LinkedID", c.linkedid},
				{"CallerIDNum", c.cidNum}, {"CallerIDName", c.cidName}, {"Connected Line ID", c.connNum},
				{"Connected Line ID Name", c.connName}, {"State", c.state}, {"Direction", c.dir},
				{"Context", c.context}, {"Extension", c.exten}, {"OtherParty", otherParty(c)},
				{"Duration", strconv.Itoa(int(p.duration(c).Seconds()))}})
		}
		if !multiple {
			return jsonAnswer(recs[0])
		}
		return jsonAnswer(recs)
	}
	var b strings.Builder
	for _, c := range chans {
		b.WriteString(pipeLine(c.name, c.uid, c.linkedid, c.cidNum, c.cidName, c.connNum, c.connName,
			c.state, c.dir, strconv.Itoa(int(p.duration(c).Seconds()))))
		b.WriteByte('\n')
	}
	return plain(b.String())
}

// stateCode is Asterisk's numeric channel state.
func stateCode(s string) string {
	switch s {
	case StateDown:
		return "0"
	case StateRing:
		return "4"
	case StateRinging:
		return "5"
	case StateUp:
		return "6"
	}
	return "0"
}

func hms(d time.Duration) string {
	sec := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

func bridgeID(c *channel) string {
	if c.peer == nil {
		return ""
	}
	a, b := c, c.peer
	if b.seq < a.seq {
		a, b = b, a
	}
	return fmt.Sprintf("%08x-%04x-4000-8000-%012x", a.seq, b.seq&0xffff, b.seq)
}

// apiChannels serves CHANNELS: the tenant's channels (every tenant's for
// the admin key without tenant=), oldest first.
//
// Modelled (facts §7): AMI CoreShowChannels fields; json an array of
// records Channel, CallerIDNum, CallerIDName, ConnectedLineNum,
// ConnectedLineName, ChannelState, ChannelStateDesc, Context, Exten,
// Priority, Uniqueid, Linkedid, BridgeId, Application, Duration
// (HH:MM:SS), AccountCode; plain a header row and rows without trailing
// "|". No channels: empty body.
func apiChannels(p *PBX, s scope, _ params, js bool) answer {
	chans := p.sortedChans(s.t)
	if len(chans) == 0 {
		return plain("")
	}
	if js {
		recs := make([]obj, 0, len(chans))
		for _, c := range chans {
			recs = append(recs, obj{{"Channel", c.name}, {"CallerIDNum", c.cidNum}, {"CallerIDName", c.cidName},
				{"ConnectedLineNum", c.connNum}, {"ConnectedLineName", c.connName}, {"ChannelState", stateCode(c.state)},
				{"ChannelStateDesc", c.state}, {"Context", c.context}, {"Exten", c.exten}, {"Priority", "1"},
				{"Uniqueid", c.uid}, {"Linkedid", c.linkedid}, {"BridgeId", bridgeID(c)}, {"Application", c.app},
				{"Duration", hms(p.duration(c))}, {"AccountCode", ""}})
		}
		return jsonAnswer(recs)
	}
	rows := make([][]string, 0, len(chans))
	for _, c := range chans {
		rows = append(rows, []string{c.name, c.cidNum, c.cidName, c.connNum, c.connName, c.state, c.context,
			c.exten, c.uid, c.linkedid, hms(p.duration(c))})
	}
	return table([]string{"Channel", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName",
		"ChannelStateDesc", "Context", "Exten", "Uniqueid", "Linkedid", "Duration"}, rows)
}

// apiChannel serves CHANNEL: one channel's details.
//
// Observed shape [AUDIT A-69], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an array of [key, value] pairs; keys modelled (facts §8): Channel,
// CallerIDNum, CallerIDName, ConnectedLineNum, ConnectedLineName, State,
// Context, Extension, Uniqueid, Linkedid, Seconds. Plain modelled:
// "Key:value|" pairs on one line. A missing or unknown channel gives the
// same number of pairs, keys and values empty (OBSERVED for a missing
// channel: pairs of "").
func apiChannel(p *PBX, s scope, q params, js bool) answer {
	c := p.findChannel(s, q.get("channel"))
	keys := []string{"Channel", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName",
		"State", "Context", "Extension", "Uniqueid", "Linkedid", "Seconds"}
	vals := make([]string, len(keys))
	if c != nil {
		vals = []string{c.name, c.cidNum, c.cidName, c.connNum, c.connName, c.state, c.context, c.exten,
			c.uid, c.linkedid, strconv.Itoa(int(p.duration(c).Seconds()))}
	} else {
		keys = make([]string, len(keys))
	}
	if js {
		pairs := make([][2]string, len(keys))
		for i := range keys {
			pairs[i] = [2]string{keys[i], vals[i]}
		}
		return jsonAnswer(pairs)
	}
	var b strings.Builder
	for i := range keys {
		b.WriteString(keys[i] + ":" + vals[i] + "|")
	}
	return plain(b.String())
}
