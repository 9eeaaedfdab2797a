package mirtasim

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// apiInfo serves INFO; info= is matched without regard to case (OBSERVED
// [AUDIT A-43]). An unknown info= answers an empty body (OBSERVED A-48).
func apiInfo(p *PBX, s scope, q params, js bool) answer {
	t := s.t
	switch strings.ToLower(q.get("info")) {
	case "":
		return missing("info") // modelled
	case "extensions":
		return infoExtensions(p, t, q, js)
	case "queues":
		return infoQueues(t, js)
	case "queue":
		return infoQueue(p, t, q, js)
	case "queuecallers":
		return infoQueueCallers(p, t, q, js)
	case "agents":
		return infoAgents(p, t, q, js)
	case "agentsconnected":
		return infoAgentsConnected(t, q, js)
	case "extstate":
		return infoExtState(p, t, q, js)
	case "regstate":
		return infoRegState(t, q)
	case "config":
		return infoConfig(js)
	case "flow":
		return infoFlow(t, q)
	}
	return plain("")
}

// devState is the Asterisk device state of e.
func (p *PBX) devState(t *tenant, e *extension) string {
	if !e.registered {
		return "UNAVAILABLE"
	}
	var up, ringing, held bool
	for _, c := range p.extChans(t, e.number) {
		switch {
		case c.heldBy != nil:
			held = true
		case c.state == StateRinging:
			ringing = true
		default:
			up = true
		}
	}
	switch {
	case ringing && (up || held):
		return "RINGINUSE"
	case ringing:
		return "RINGING"
	case up:
		return "INUSE"
	case held:
		return "ONHOLD"
	}
	return "NOT_INUSE"
}

// infoExtensions serves INFO extensions (number= or id= selects one).
//
// Observed [AUDIT ], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an array of the full extension rows, secrets included (password is
// the SIP secret; ex_webpassword, ex_lockpin, ex_2fa_param*, ex_token, the
// e-mail addresses): a driver must drop them. The simulator serves a
// subset of the ~148 columns (facts §10). Plain: header
// "Number|Name|Tech|State|Username|Password" and one row each.
func infoExtensions(p *PBX, t *tenant, q params, js bool) answer {
	var exts []*extension
	for _, e := range t.sortedExts() {
		if n := q.get("number"); n != "" && e.number != n {
			continue
		}
		if id := q.get("id"); id != "" && strconv.Itoa(e.id) != id {
			continue
		}
		exts = append(exts, e)
	}
	if len(exts) == 0 {
		return plain("")
	}
	if js {
		recs := make([]obj, 0, len(exts))
		for _, e := range exts {
			h := sha256.Sum256([]byte("web:" + e.secret))
			recs = append(recs, obj{{"ex_id", strconv.Itoa(e.id)}, {"ex_te_id", strconv.Itoa(t.id)},
				{"ex_number", e.number}, {"ex_name", e.name}, {"ex_tech", "SIP"}, {"st_state", p.devState(t, e)},
				{"username", e.username}, {"password", e.secret}, {"ex_webuser", e.username},
				{"ex_webpassword", hex.EncodeToString(h[:])}, {"ex_lockpin", lockPin(e)},
				{"ex_2fa_param1", "2fa-" + e.number}, {"ex_2fa_param2", ""}, {"ex_2fa_param3", ""},
				{"ex_token", "tok-" + hex.EncodeToString(h[:8])}, {"ex_token_validity", ""},
				{"ex_email", strings.ToLower(e.number+"@"+t.code) + ".example.com"}, {"ex_alertemail", ""},
				{"ex_lastcostalert", nil}, {"ex_lastofflinealert", nil}})
		}
		return jsonAnswer(recs)
	}
	rows := make([][]string, 0, len(exts))
	for _, e := range exts {
		rows = append(rows, []string{e.number, e.name, "SIP", p.devState(t, e), e.username, e.secret})
	}
	return table([]string{"Number", "Name", "Tech", "State", "Username", "Password"}, rows)
}

func lockPin(e *extension) string {
	h := sha256.Sum256([]byte("pin:" + e.secret))
	return strconv.Itoa(1000 + (int(h[0])<<8|int(h[1]))%9000)
}

// infoQueues serves INFO queues.
//
// Observed [AUDIT A-56], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an object id → label, plain "<id>: <label>|" pairs; the label is
// the queue name (modelled, facts §11). No queue: empty body.
func infoQueues(t *tenant, js bool) answer {
	if len(t.queues) == 0 {
		return plain("")
	}
	if js {
		o := obj{}
		for _, q := range t.queues {
			o = append(o, kv{q.id, q.name})
		}
		return jsonAnswer(o)
	}
	var b strings.Builder
	for _, q := range t.queues {
		b.WriteString(q.id + ": " + q.name + "|")
	}
	return plain(b.String())
}

// queueParam finds the queue named by id= (or queue=, or number=).
func queueParam(t *tenant, q params) (*queue, bool) {
	if id := q.first("id", "queue"); id != "" {
		return t.queueByID(id), true
	}
	if n := q.first("number", "queuenumber"); n != "" {
		return t.queueByNumber(n), true
	}
	return nil, false
}

// infoQueue serves INFO queue (id=).
//
// Modelled (nothing public): json an object id, number, name, strategy,
// callers, agents, agentsfree (strings); plain header
// "Id|Number|Name|Strategy|Callers|Agents|Agentsfree" and one row.
// Unknown queue: empty body; no id: "No id specified" (OBSERVED pattern
//
func infoQueue(p *PBX, t *tenant, q params, js bool) answer {
	qu, given := queueParam(t, q)
	if !given {
		return missing("id")
	}
	if qu == nil {
		return plain("")
	}
	free := 0
	for _, a := range qu.agents {
		if e := t.ext(a.ext); e != nil && !a.paused && p.unreachable(t, e) == "" {
			free++
		}
	}
	vals := []string{qu.id, qu.number, qu.name, "ringall", strconv.Itoa(len(qu.callers)), strconv.Itoa(len(qu.agents)), strconv.Itoa(free)}
	names := []string{"id", "number", "name", "strategy", "callers", "agents", "agentsfree"}
	if js {
		o := obj{}
		for i, n := range names {
			o = append(o, kv{n, vals[i]})
		}
		return jsonAnswer(o)
	}
	return table([]string{"Id", "Number", "Name", "Strategy", "Callers", "Agents", "Agentsfree"}, [][]string{vals})
}

// infoQueueCallers serves INFO queuecallers (id=): the callers waiting,
// oldest first.
//
// Modelled (facts §14): json an array of Position, CallerIDNum,
// CallerIDName, Wait (seconds), Channel, Uniqueid; plain header
// "Position|CallerIDNum|CallerIDName|Wait|Channel|Uniqueid" and rows. No
// caller or unknown queue: empty body.
func infoQueueCallers(p *PBX, t *tenant, q params, js bool) answer {
	qu, given := queueParam(t, q)
	if !given {
		return missing("id")
	}
	if qu == nil || len(qu.callers) == 0 {
		return plain("")
	}
	rows := make([][]string, 0, len(qu.callers))
	for i, c := range qu.callers {
		rows = append(rows, []string{strconv.Itoa(i + 1), c.cidNum, c.cidName,
			strconv.Itoa(int(p.opts.Now().Sub(c.answered).Seconds())), c.name, c.uid})
	}
	header := []string{"Position", "CallerIDNum", "CallerIDName", "Wait", "Channel", "Uniqueid"}
	if js {
		recs := make([]obj, 0, len(rows))
		for _, r := range rows {
			o := obj{}
			for i, h := range header {
				o = append(o, kv{h, r[i]})
			}
			recs = append(recs, o)
		}
		return jsonAnswer(recs)
	}
	return table(header, rows)
}

// agentStatus is the agent's status word (modelled, facts §15).
func (p *PBX) agentStatus(t *tenant, a *agent, e *extension) string {
	switch {
	case e == nil || !e.registered:
		return "unavailable"
	case a.paused:
		return "paused"
	case p.busy(t, e.number):
		return "busy"
	}
	return "available"
}

// infoAgents serves INFO agents ([queue=]: one queue's, else every
// queue's).
//
// Observed [AUDIT ], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an object agent id ("<ext>-<TENANT>") → positional record with keys
// "0","1","2","4".."8","10","11", "0" a JSON number; plain
// "<agent id>:<device state>|" pairs; a nonexistent queue "null" (json)
// or empty (plain). Meanings modelled (facts §15): 0 paused, 1 status, 2
// device state, 4 pause reason, 5 penalty, 6 calls taken, 7 last call
// (epoch), 8 queue id, 10/11 the agent id.
func infoAgents(p *PBX, t *tenant, q params, js bool) answer {
	queues := t.queues
	if id := q.first("queue", "id"); id != "" {
		qu := t.queueByID(id)
		if qu == nil {
			if js {
				return answer{body: "null", json: true}
			}
			return plain("")
		}
		queues = []*queue{qu}
	}
	type row struct {
		a  *agent
		qu *queue
	}
	var rows []row
	seen := map[string]bool{}
	for _, qu := range queues {
		for _, a := range qu.agents {
			if !seen[a.ext] {
				seen[a.ext] = true
				rows = append(rows, row{a, qu})
			}
		}
	}
	if len(rows) == 0 {
		return plain("")
	}
	o := obj{}
	var b strings.Builder
	for _, r := range rows {
		e := t.ext(r.a.ext)
		id, state := r.a.ext+"-"+t.code, "UNAVAILABLE"
		if e != nil {
			id, state = e.username, p.devState(t, e)
		}
		if !js {
			b.WriteString(id + ":" + state + "|")
			continue
		}
		paused, last := 0, ""
		if r.a.paused {
			paused = 1
		}
		if !r.a.lastCall.IsZero() {
			last = strconv.FormatInt(r.a.lastCall.Unix(), 10)
		}
		o = append(o, kv{id, obj{{"0", paused}, {"1", p.agentStatus(t, r.a, e)}, {"2", state},
			{"4", r.a.pauseReason}, {"5", strconv.Itoa(r.a.penalty)}, {"6", strconv.Itoa(r.a.calls)},
			{"7", last}, {"8", r.qu.id}, {"10", id}, {"11", id}}})
	}
	if js {
		return jsonAnswer(o)
	}
	return plain(b.String())
}

// infoAgentsConnected serves INFO agentsconnected ([queue=]).
//
// Observed shape [AUDIT A-57], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an object agent number → {queue id: integer}; plain
// "<number>:<integer>|" pairs. Modelled (facts §16): 1 when the agent's
// phone is registered, else 0.
func infoAgentsConnected(t *tenant, q params, js bool) answer {
	queues := t.queues
	if id := q.first("queue", "id"); id != "" {
		qu := t.queueByID(id)
		if qu == nil {
			if js {
				return answer{body: "null", json: true}
			}
			return plain("")
		}
		queues = []*queue{qu}
	}
	o := obj{}
	idx := map[string]int{}
	var b strings.Builder
	for _, qu := range queues {
		for _, a := range qu.agents {
			v := 0
			if e := t.ext(a.ext); e != nil && e.registered {
				v = 1
			}
			i, ok := idx[a.ext]
			if !ok {
				i = len(o)
				idx[a.ext] = i
				o = append(o, kv{a.ext, obj{}})
				b.WriteString(a.ext + ":" + strconv.Itoa(v) + "|")
			}
			o[i].v = append(o[i].v.(obj), kv{qu.id, v})
		}
	}
	if len(o) == 0 {
		return plain("")
	}
	if js {
		return jsonAnswer(o)
	}
	return plain(b.String())
}

// infoExtState serves INFO extstate (ext= or number=).
//
// Observed [AUDIT A-62] and published key set [OAPI-STATE],
// https://manual.mirtapbx.com/books/api/page/extension-state: json an
// object UniqueID, LinkedID, "Connected Line ID", "Connected Line ID
// Name", Context, Extension, Direction, OtherParty (empty strings when
// idle; UniqueID "KO" and LinkedID "Extension not registered" when not
// registered). Plain OBSERVED "\r\n" when idle; modelled (facts §12) the
// values in that order, each followed by "|". Unknown extension: empty
// body.
func infoExtState(p *PBX, t *tenant, q params, js bool) answer {
	ext := q.first("ext", "number")
	if ext == "" {
		return missing("ext")
	}
	e := t.extByUser(ext)
	if e == nil {
		return plain("")
	}
	keys := []string{"UniqueID", "LinkedID", "Connected Line ID", "Connected Line ID Name", "Context", "Extension", "Direction", "OtherParty"}
	vals := make([]string, len(keys))
	idle := true
	switch cs := p.extChans(t, e.number); {
	case !e.registered:
		vals[0], vals[1], idle = "KO", "Extension not registered", false
	case len(cs) > 0:
		c := cs[0]
		vals, idle = []string{c.uid, c.linkedid, c.connNum, c.connName, c.context, c.exten, c.dir, otherParty(c)}, false
	}
	if js {
		o := obj{}
		for i, k := range keys {
			o = append(o, kv{k, vals[i]})
		}
		return jsonAnswer(o)
	}
	if idle {
		return plain("\r\n")
	}
	return plain(pipeLine(vals...))
}

// infoRegState serves INFO regstate (ext= or number=).
//
// Modelled (facts §13): the bare word REGISTERED or UNREGISTERED in both
// formats. Unknown extension: empty body.
func infoRegState(t *tenant, q params) answer {
	ext := q.first("ext", "number")
	if ext == "" {
		return missing("ext")
	}
	e := t.extByUser(ext)
	switch {
	case e == nil:
		return plain("")
	case e.registered:
		return plain("REGISTERED")
	}
	return plain("UNREGISTERED")
}

// infoConfig serves INFO config.
//
// Observed [AUDIT A-63], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json {"maxchannels","maxextensions","maxdids"}; plain 7 positional
// values (positions 4-7 unknown, served as 0|-1|0|0).
func infoConfig(js bool) answer {
	maxExt := strconv.Itoa(MaxExtensions)
	if js {
		return jsonAnswer(obj{{"maxchannels", "100"}, {"maxextensions", maxExt}, {"maxdids", "10"}})
	}
	return plain(pipeLine("100", maxExt, "10", "0", "-1", "0", "0"))
}

// infoFlow serves INFO flow (id= the flow id, or number=).
//
// Observed [AUDIT A-66], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// the bare state word in both formats. Unknown flow: empty body.
func infoFlow(t *tenant, q params) answer {
	id, num := q.get("id"), q.get("number")
	if id == "" && num == "" {
		return missing("id")
	}
	for _, f := range t.flows {
		if id != "" && strconv.Itoa(f.id) == id {
			return plain(f.state)
		}
	}
	if f := t.flow(num); id == "" && f != nil {
		return plain(f.state)
	}
	return plain("")
}
