package mirtasim

import (
	"strconv"
	"strings"
)

// apiDND serves DND get and set (number=).
//
// Modelled (facts §5): get answers the bare word "on" or "off" in both
// formats (empty body for an unknown extension); set ("value=on", anything
// else clears) answers "Success|DND set|" or "Error|Extension not found|".
func apiDND(p *PBX, s scope, q params, _ bool) answer {
	num := q.first("number", "extension")
	if num == "" {
		return missing("number")
	}
	e := s.t.extByUser(num)
	switch strings.ToLower(q.get("action")) {
	case "get":
		switch {
		case e == nil:
			return plain("")
		case e.dnd:
			return plain("on")
		}
		return plain("off")
	case "set":
		if e == nil {
			return errLine("Extension not found")
		}
		e.dnd = strings.EqualFold(q.get("value"), "on")
		return okLine("DND set")
	case "":
		return missing("action")
	}
	return errLine("Unknown action")
}

const blfTime = "2006-01-02 15:04"

// apiBLFs serves BLFS: the device state of every peer, then every flow.
//
// Observed [AUDIT A-72], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an array of fetch-both rows st_extension, st_state, st_timestamp
// ("YYYY-MM-DD HH:MM"); plain each value twice then "|". st_extension is
// "<ext>-<TENANT>" for peers and the FLOWS st_extension for flows
// (modelled, facts §9).
func apiBLFs(p *PBX, s scope, _ params, js bool) answer {
	names := []string{"st_extension", "st_state", "st_timestamp"}
	var rows [][]string
	now := p.opts.Now().Format(blfTime)
	for _, e := range s.t.sortedExts() {
		ts := now
		if !e.regSince.IsZero() {
			ts = e.regSince.Format(blfTime)
		}
		rows = append(rows, []string{e.username, p.devState(s.t, e), ts})
	}
	for _, f := range s.t.flows {
		rows = append(rows, []string{flowExtension(f), f.state, f.changed.Format(blfTime)})
	}
	return fetchBothAnswer(names, rows, js)
}

func fetchBothAnswer(names []string, rows [][]string, js bool) answer {
	if len(rows) == 0 {
		return plain("")
	}
	if js {
		recs := make([]obj, 0, len(rows))
		for _, r := range rows {
			recs = append(recs, fetchBoth(names, r))
		}
		return jsonAnswer(recs)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(fetchBothLine(r))
		b.WriteByte('\n')
	}
	return plain(b.String())
}

// flowExtension is a flow's hint name: its fl_number and "-flow" (modelled
// after the observed "500[on]-flow", facts §9, §19).
func flowExtension(f *flow) string { return f.number + "-flow" }

var flowColumns = []string{"fl_id", "fl_te_id", "fl_name", "fl_comment", "fl_number", "fl_value",
	"fl_value_for_unavailable", "fl_value_for_inuse", "fl_value_for_notinuse", "fl_value_for_ringing",
	"fl_variable_name", "fl_monitor_type", "fl_monitor_type_id", "fl_monitor_parameter", "st_extension",
	"st_state", "st_timestamp", "st_peername"}

// apiFlows serves FLOWS.
//
// Observed [AUDIT A-73], https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
// json an array of fetch-both rows of 18 columns (flowColumns); plain one
// line per flow with every value twice (36 values and "|" each). Values
// of the columns the simulator does not model are empty.
func apiFlows(p *PBX, s scope, _ params, js bool) answer {
	var rows [][]string
	for _, f := range s.t.flows {
		rows = append(rows, []string{strconv.Itoa(f.id), strconv.Itoa(s.t.id), f.name, "", f.number, f.value,
			"", "", "", "", "", "flow-state", "1", f.param(), flowExtension(f), f.state, f.changed.Format(blfTime), "PBX"})
	}
	return fetchBothAnswer(flowColumns, rows, js)
}

// apiSetFlow serves SETFLOW (number=, state= and/or value=).
//
// Modelled (facts §20): "Success|Flow updated|", "Error|Flow not found|",
// "Error|Invalid state|".
func apiSetFlow(p *PBX, s scope, q params, _ bool) answer {
	num := q.get("number")
	if num == "" {
		return missing("number")
	}
	f := s.t.flow(num)
	if f == nil {
		return errLine("Flow not found")
	}
	st, hasValue := strings.ToUpper(q.get("state")), q.v.Has("value")
	if st == "" && !hasValue {
		return missing("state")
	}
	if st != "" && !validFlowState(st) {
		return errLine("Invalid state")
	}
	if len(q.get("value")) > maxValueLen {
		return errLine("Invalid value")
	}
	if st != "" {
		f.state = st
	}
	if hasValue {
		f.value = q.get("value")
	}
	f.changed = p.opts.Now()
	return okLine("Flow updated")
}

// apiQueue serves QUEUE list (fulllist), add, del and clean.
//
// Published request ([LEGACY] https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples);
// no queue: "No queue (id or number) specified" (OBSERVED pattern A-75).
// Answers modelled (facts §21): list json an array of extension, number,
// name, type, order, paused, penalty; plain header
// "Extension|Number|Name|Type|Order|Paused|Penalty" and rows (no agent:
// empty body); add "Success|Agent added|"; del "Success|Agent removed|" or
// "Error|Agent not found|".
func apiQueue(p *PBX, s scope, q params, js bool) answer {
	t := s.t
	var qu *queue
	switch {
	case q.get("id") != "":
		qu = t.queueByID(q.get("id"))
	case q.get("number") != "":
		qu = t.queueByNumber(q.get("number"))
	default:
		return missing("queue (id or number)")
	}
	if qu == nil {
		return errLine("Queue not found")
	}
	action := strings.ToLower(q.get("action"))
	switch action {
	case "":
		return missing("action")
	case "list", "fulllist":
		return queueList(t, qu, js)
	case "clean":
		qu.agents = nil
		return okLine("Agents removed")
	case "add", "del":
	default:
		return errLine("Unknown action")
	}
	ext := q.get("extension")
	if ext == "" {
		return missing("extension")
	}
	e := t.extByUser(ext)
	if e == nil {
		return errLine("Extension not found")
	}
	a := qu.agent(e.number)
	if action == "del" {
		if a == nil {
			return errLine("Agent not found")
		}
		qu.agents = removeAgent(qu.agents, a)
		return okLine("Agent removed")
	}
	if a != nil {
		return errLine("Agent already in queue")
	}
	pen, _ := strconv.Atoi(q.get("penalty"))
	if pen < 0 || pen > 1000 {
		pen = 0
	}
	qu.agents = append(qu.agents, &agent{ext: e.number, paused: q.get("paused") == "1", penalty: pen})
	return okLine("Agent added")
}

func removeAgent(as []*agent, a *agent) []*agent {
	out := as[:0]
	for _, x := range as {
		if x != a {
			out = append(out, x)
		}
	}
	return out
}

func queueList(t *tenant, qu *queue, js bool) answer {
	if len(qu.agents) == 0 {
		return plain("")
	}
	header := []string{"extension", "number", "name", "type", "order", "paused", "penalty"}
	var rows [][]string
	for i, a := range qu.agents {
		id, name := a.ext+"-"+t.code, ""
		if e := t.ext(a.ext); e != nil {
			id, name = e.username, e.name
		}
		paused := "0"
		if a.paused {
			paused = "1"
		}
		rows = append(rows, []string{id, a.ext, name, "NF", strconv.Itoa(i + 1), paused, strconv.Itoa(a.penalty)})
	}
	if js {
		return jsonRows(header, rows)
	}
	return table([]string{"Extension", "Number", "Name", "Type", "Order", "Paused", "Penalty"}, rows)
}

// jsonRows encodes rows as an array of objects with keys header.
func jsonRows(header []string, rows [][]string) answer {
	recs := make([]obj, 0, len(rows))
	for _, r := range rows {
		o := make(obj, 0, len(header))
		for i, h := range header {
			o = append(o, kv{h, r[i]})
		}
		recs = append(recs, o)
	}
	return jsonAnswer(recs)
}

// apiAgent serves AGENT pause, unpause, del and listqueues.
//
// Published request ([LEGACY] https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples;
// queue= may be ALL); no extension: "No extension specified" (OBSERVED
// A-68); listqueues of a non-agent: empty body (OBSERVED A-41). Answers
// modelled (facts §22): "Success|Agent paused|", "Success|Agent
// unpaused|", "Error|Agent not found|"; del "Success|Agent removed|";
// listqueues json an array of id, number, name, paused, pausereason, plain
// header "Id|Number|Name|Paused|Pausereason" and rows.
func apiAgent(p *PBX, s scope, q params, js bool) answer {
	t := s.t
	ext := q.get("extension")
	if ext == "" {
		return missing("extension")
	}
	e := t.extByUser(ext)
	action := strings.ToLower(q.get("action"))
	switch action {
	case "":
		return missing("action")
	case "listqueues":
		return agentQueues(t, e, js)
	case "pause", "unpause", "del":
	default:
		return errLine("Unknown action")
	}
	var queues []*queue
	switch id, num := q.get("queue"), q.get("queuenumber"); {
	case strings.EqualFold(id, "ALL") || strings.EqualFold(num, "ALL"):
		queues = t.queues
	case id != "":
		queues = []*queue{t.queueByID(id)}
	case num != "":
		queues = []*queue{t.queueByNumber(num)}
	default:
		return missing("queue (id or number)")
	}
	if len(queues) == 1 && queues[0] == nil {
		return errLine("Queue not found")
	}
	if e == nil {
		return errLine("Agent not found")
	}
	n := 0
	for _, qu := range queues {
		a := qu.agent(e.number)
		if a == nil {
			continue
		}
		n++
		switch action {
		case "pause":
			a.paused, a.pauseReason = true, q.get("pausereason")
			if len(a.pauseReason) > 128 {
				a.pauseReason = a.pauseReason[:128]
			}
		case "unpause":
			a.paused, a.pauseReason = false, ""
		case "del":
			qu.agents = removeAgent(qu.agents, a)
		}
	}
	if n == 0 {
		return errLine("Agent not found")
	}
	switch action {
	case "pause":
		return okLine("Agent paused")
	case "unpause":
		return okLine("Agent unpaused")
	}
	return okLine("Agent removed")
}

func agentQueues(t *tenant, e *extension, js bool) answer {
	if e == nil {
		return plain("")
	}
	var rows [][]string
	for _, qu := range t.queues {
		if a := qu.agent(e.number); a != nil {
			paused := "0"
			if a.paused {
				paused = "1"
			}
			rows = append(rows, []string{qu.id, qu.number, qu.name, paused, a.pauseReason})
		}
	}
	if len(rows) == 0 {
		return plain("")
	}
	if js {
		return jsonRows([]string{"id", "number", "name", "paused", "pausereason"}, rows)
	}
	return table([]string{"Id", "Number", "Name", "Paused", "Pausereason"}, rows)
}
