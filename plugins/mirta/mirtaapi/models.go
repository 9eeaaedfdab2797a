package mirtaapi

import (
	"strconv"
	"strings"
	"time"
)

// This file holds the result types and one parser per answer shape. Every
// parser takes the body after the client has ruled out error texts and
// HTML, accepts both format=json and format=plain (and numbers sent as
// strings or as numbers), ignores unknown fields and returns errShape for a
// body of another shape. The shapes and their sources are listed in the
// facts file the simulator implements (issue 13; golden_test.go holds its
// example bodies); each parser names its source.
//
// Source keys used below:
//
//	LEGACY = https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples
//	WIKI   = https://www.mirtapbx.com/manual/index.php?title=Proxyapi
//	STATE  = https://manual.mirtapbx.com/books/api/page/extension-state
//	AUDIT  = https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md
//	         (structure observed on a real MiRTA PBX by a third party; A-nn
//	         is the finding number)

// Extension is one extension of INFO extensions. It deliberately has no
// field for the SIP secret, web password, PINs, tokens or 2FA parameters
// the PBX sends along: they are discarded while the JSON is read.
type Extension struct {
	ID       string // ex_id, the internal id
	Number   string // ex_number, "201"
	Name     string // ex_name
	Tech     string // ex_tech: SIP, PJSIP, VIRTUAL, CUSTOM
	State    string // st_state: an Asterisk device state, NOT_INUSE, UNAVAILABLE...
	Username string // username, "201-DEVEL" (the SIP peer name)
}

// parseExtensions reads INFO extensions.
// Published (observed): AUDIT: format=json is an array of
// ~148-field records (ex_id, ex_number, ex_name, ex_tech, st_state,
// username, password, ex_webpassword, ...); plain is a table with header
// "Number|Name|Tech|State|Username|Password". An older capture keyed the
// records by ex_id (github.com/ivgi1com/1com-doco-api
// source-docs/observed/info-extensions.json); accepted too.
func parseExtensions(body []byte) ([]Extension, error) {
	recs, err := records(body, []string{"Number", "Name", "Tech", "State", "Username", "Password"}, true)
	if err != nil {
		return nil, err
	}
	out := make([]Extension, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		e := Extension{
			ID:       r.get("ex_id", "id"),
			Number:   r.get("ex_number", "number"),
			Name:     r.get("ex_name", "name"),
			Tech:     r.get("ex_tech", "tech"),
			State:    r.get("st_state", "state"),
			Username: r.get("username", "ex_username"),
		}
		if e.ID == "" {
			e.ID = kr.key
		}
		if e.Number == "" && e.ID == "" {
			return nil, errShape
		}
		out = append(out, e)
	}
	return out, nil
}

// records returns the records of a list answer in either format: JSON
// records, or a plain table with these columns.
func records(body []byte, cols []string, needHeader bool) ([]keyedRecord, error) {
	switch sniff(body) {
	case bodyEmpty:
		return nil, nil
	case bodyJSON:
		n, err := parseJSON(body)
		if err != nil {
			return nil, errShape
		}
		return jsonRecords(n)
	case bodyText:
		rs, err := table(body, cols, needHeader)
		if err != nil {
			return nil, err
		}
		out := make([]keyedRecord, len(rs))
		for i, r := range rs {
			out[i] = keyedRecord{rec: r}
		}
		return out, nil
	}
	return nil, errShape
}

// pairList returns the pairs of a pair-list answer in either format.
func pairList(body []byte, sep string) ([]pair, error) {
	switch sniff(body) {
	case bodyEmpty:
		return nil, nil
	case bodyJSON:
		n, err := parseJSON(body)
		if err != nil {
			return nil, errShape
		}
		return jsonPairs(n)
	case bodyText:
		return pairs(body, sep)
	}
	return nil, errShape
}

// Queue is one queue of INFO queues.
type Queue struct {
	ID     string
	Number string // empty: INFO queues does not send it
	Name   string
}

// parseQueues reads INFO queues.
// Published (observed): AUDIT A-56: json is an object keyed by queue id
// whose values are the queue names; plain is one line of "<id>: <label>|".
// A label of the form "<number> - <name>" is split (Modelled: labels were
// masked in the capture).
func parseQueues(body []byte) ([]Queue, error) {
	ps, err := pairList(body, ":")
	if err != nil {
		return nil, err
	}
	out := make([]Queue, 0, len(ps))
	for _, p := range ps {
		q := Queue{ID: p.key, Name: p.val}
		if num, name, ok := strings.Cut(p.val, " - "); ok && isDigits(num) {
			q.Number, q.Name = num, name
		}
		out = append(out, q)
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ExtState is the live state of one extension (INFO extstate).
type ExtState struct {
	// Registered is false when the PBX answered UniqueID "KO" with
	// LinkedID "Extension not registered".
	Registered bool
	// InCall is true when a channel is up (UniqueID set).
	InCall        bool
	UniqueID      string
	LinkedID      string
	ConnectedNum  string // "Connected Line ID"
	ConnectedName string // "Connected Line ID Name"
	Context       string
	Extension     string
	Direction     string // IN or OUT
	OtherParty    string
}

// extStateCols is the plain order (Modelled: the keys of the published
// OpenAPI object, in their published order).
var extStateCols = []string{"UniqueID", "LinkedID", "Connected Line ID", "Connected Line ID Name", "Context", "Extension", "Direction", "OtherParty"}

// parseExtState reads INFO extstate.
// Published: STATE lists the object UniqueID, LinkedID, Connected Line
// ID, Connected Line ID Name, Context, Extension, Direction, OtherParty and
// says it matches proxyapi's info=extstate; unregistered is UniqueID "KO",
// LinkedID "Extension not registered". Observed: AUDIT A-62 (json has
// UniqueID and LinkedID; idle plain is "\r\n"). Modelled: plain with a
// call is the values in extStateCols order, '|'-separated.
func parseExtState(body []byte) (ExtState, error) {
	var r record
	switch sniff(body) {
	case bodyEmpty:
		return ExtState{Registered: true}, nil
	case bodyJSON:
		n, err := parseJSON(body)
		if err != nil || n.kind != 'o' {
			return ExtState{}, errShape
		}
		r = objectRecord(n)
	case bodyText:
		ls := lines(body)
		f := fields(ls[0])
		if len(ls) > 1 && isHeader(f, extStateCols) {
			f = fields(ls[1])
		}
		r = record{}
		for i, v := range f {
			if i < len(extStateCols) {
				r[strings.ToLower(extStateCols[i])] = v
			}
		}
	default:
		return ExtState{}, errShape
	}
	if !r.has("uniqueid", "linkedid") {
		return ExtState{}, errShape
	}
	s := ExtState{
		UniqueID:      r.get("uniqueid"),
		LinkedID:      r.get("linkedid"),
		ConnectedNum:  r.get("connected line id", "connectedlinenum"),
		ConnectedName: r.get("connected line id name", "connectedlinename"),
		Context:       r.get("context"),
		Extension:     r.get("extension", "exten"),
		Direction:     r.get("direction"),
		OtherParty:    r.get("otherparty"),
	}
	if strings.EqualFold(s.UniqueID, "KO") {
		return ExtState{Registered: false}, nil
	}
	s.Registered = true
	s.InCall = s.UniqueID != ""
	return s, nil
}

// RegState is the registration state of one extension (INFO regstate).
type RegState struct {
	Registered bool
	// State is the PBX's word as sent ("REGISTERED", "UNREGISTERED"...),
	// cut to 32 bytes.
	State string
}

// parseRegState reads INFO regstate.
// Modelled: no public source; a bare word in both formats, like INFO flow
// (AUDIT A-66): REGISTERED or UNREGISTERED. Also accepted: a JSON string,
// an object with regstate/state/status, OK/Reachable/Registered.
func parseRegState(body []byte) (RegState, error) {
	w, err := bareValue(body, "regstate", "state", "status")
	if err != nil {
		return RegState{}, err
	}
	if w == "" {
		return RegState{}, errShape
	}
	u := strings.ToUpper(w)
	reg := false
	switch {
	case strings.HasPrefix(u, "UNREG"), strings.HasPrefix(u, "NOT"), strings.HasPrefix(u, "UNREACH"), u == "UNKNOWN", u == "UNAVAILABLE", u == "NO", u == "0", u == "FALSE":
	case strings.HasPrefix(u, "REG"), strings.HasPrefix(u, "OK"), strings.HasPrefix(u, "REACH"), u == "YES", u == "1", u == "TRUE":
		reg = true
	default:
		return RegState{}, errShape
	}
	if len(w) > 32 {
		w = w[:32]
	}
	return RegState{Registered: reg, State: w}, nil
}

// bareValue returns a one-word answer: plain text (first line, first
// field), a JSON string, or the first of these keys of a JSON object.
// An empty body gives "".
func bareValue(body []byte, keys ...string) (string, error) {
	switch sniff(body) {
	case bodyEmpty:
		return "", nil
	case bodyJSON:
		n, err := parseJSON(body)
		if err != nil {
			return "", errShape
		}
		switch n.kind {
		case 's':
			return strings.TrimSpace(n.s), nil
		case 'o':
			return strings.TrimSpace(objectRecord(n).get(keys...)), nil
		}
		return "", errShape
	case bodyText:
		ls := lines(body)
		f := fields(strings.TrimSpace(ls[0]))
		// "Success|DND state|on|" is accepted as the value "on".
		if len(f) >= 3 && strings.EqualFold(f[0], "success") {
			return strings.TrimSpace(f[2]), nil
		}
		return strings.TrimSpace(f[0]), nil
	}
	return "", errShape
}

// BLF is one busy-lamp state of BLFS: a peer ("103-DEVEL") or a flow.
type BLF struct {
	Extension string // st_extension
	State     string // st_state: NOT_INUSE, INUSE, RINGING, UNAVAILABLE, ...
	Timestamp string // st_timestamp, "2026-12-01 10:00" (PBX local time)
}

// parseBLFs reads BLFS.
// Published (observed): AUDIT A-72: json is an array of {st_extension,
// st_state, st_timestamp} (plus positional duplicates "0".."2"); plain is
// one line per record with every value twice, trailing '|'.
func parseBLFs(body []byte) ([]BLF, error) {
	if sniff(body) == bodyText {
		var out []BLF
		for _, l := range lines(body) {
			f := undouble(fields(l))
			if len(f) < 2 {
				return nil, errShape
			}
			b := BLF{Extension: f[0], State: f[1]}
			if len(f) > 2 {
				b.Timestamp = f[2]
			}
			out = append(out, b)
		}
		return out, nil
	}
	recs, err := records(body, nil, false)
	if err != nil {
		return nil, err
	}
	out := make([]BLF, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		b := BLF{Extension: r.get("st_extension", "extension"), State: r.get("st_state", "state"), Timestamp: r.get("st_timestamp", "timestamp")}
		if b.Extension == "" {
			return nil, errShape
		}
		out = append(out, b)
	}
	return out, nil
}

// Channel is one Asterisk channel (CHANNELS, CHANNEL, GETCURRENTCALLS).
type Channel struct {
	Name          string // "SIP/103-DEVEL-0000002a"
	CallerIDNum   string
	CallerIDName  string
	ConnectedNum  string
	ConnectedName string
	// State is Asterisk's channel state: Down, Ring, Ringing, Up, Busy...
	State     string
	UniqueID  string
	LinkedID  string
	Context   string
	Exten     string
	Direction string // GETCURRENTCALLS only: IN or OUT
	// OtherParty is the bridged channel, when the PBX says.
	OtherParty string
	// Duration is the channel's age ("00:00:37" or seconds); 0 if unknown.
	Duration time.Duration
}

// channelCols is CHANNELS' plain header order (Modelled).
var channelCols = []string{"Channel", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName", "ChannelStateDesc", "Context", "Exten", "Uniqueid", "Linkedid", "Duration"}

// currentCallCols is GETCURRENTCALLS' plain order, no header (Modelled).
var currentCallCols = []string{"Channel", "UniqueID", "LinkedID", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName", "State", "Direction", "Duration"}

// channelFrom maps a record with AMI-style names (CoreShowChannels,
// Status) or the extension-state names onto a Channel.
func channelFrom(r record) Channel {
	c := Channel{
		Name:          r.get("channel", "name"),
		CallerIDNum:   r.get("calleridnum", "callerid"),
		CallerIDName:  r.get("calleridname"),
		ConnectedNum:  r.get("connectedlinenum", "connected line id"),
		ConnectedName: r.get("connectedlinename", "connected line id name"),
		State:         r.get("channelstatedesc", "state", "channelstate"),
		UniqueID:      r.get("uniqueid"),
		LinkedID:      r.get("linkedid"),
		Context:       r.get("context"),
		Exten:         r.get("exten", "extension"),
		Direction:     r.get("direction"),
		OtherParty:    r.get("otherparty", "bridgedchannel"),
	}
	c.Duration = parseDuration(r.get("duration", "seconds"))
	return c
}

// parseDuration reads "37", "00:00:37" or "1:02:03"; anything else is 0.
func parseDuration(s string) time.Duration {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	var total int64
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0
	}
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || n < 0 {
			return 0
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second
}

// parseChannels reads CHANNELS.
// Modelled: no public source. JSON is an array of objects named like
// Asterisk's AMI CoreShowChannels (Channel, CallerIDNum, ConnectedLineNum,
// ChannelStateDesc, Uniqueid, Linkedid, Duration...); plain is a table
// with header channelCols. MiRTA is Asterisk-based and CHANNEL's observed
// answer is AMI-style key/value pairs (AUDIT A-69).
func parseChannels(body []byte) ([]Channel, error) {
	recs, err := records(body, channelCols, true)
	if err != nil {
		return nil, err
	}
	return channelsFrom(recs)
}

func channelsFrom(recs []keyedRecord) ([]Channel, error) {
	out := make([]Channel, 0, len(recs))
	for _, kr := range recs {
		c := channelFrom(kr.rec)
		if c.Name == "" && c.UniqueID == "" {
			return nil, errShape
		}
		out = append(out, c)
	}
	return out, nil
}

// parseCurrentCalls reads GETCURRENTCALLS (with or without multiple=yes).
// Modelled: no public source. JSON is an array of objects (one object
// without multiple) with Channel, UniqueID, LinkedID, CallerIDNum,
// CallerIDName, "Connected Line ID", "Connected Line ID Name", State,
// Direction, Context, Extension, OtherParty, Duration: the published
// extension-state keys (STATE) plus AMI channel fields. Plain is one line
// per call in currentCallCols order, trailing '|', no header.
func parseCurrentCalls(body []byte) ([]Channel, error) {
	recs, err := records(body, currentCallCols, false)
	if err != nil {
		return nil, err
	}
	return channelsFrom(recs)
}

// parseChannel reads CHANNEL.
// Published (observed): AUDIT A-69: json is an array of two-element
// [name, value] arrays; plain is one pipe-delimited line. Modelled: the
// names are AMI Status fields (Channel, CallerIDNum, State, Uniqueid,
// Linkedid, Seconds...) and plain is "Name:Value|" pairs.
func parseChannel(body []byte) (Channel, error) {
	ps, err := pairList(body, ":")
	if err != nil {
		return Channel{}, err
	}
	r := record{}
	for _, p := range ps {
		r[strings.ToLower(p.key)] = p.val
	}
	c := channelFrom(r)
	if c.Name == "" && c.UniqueID == "" {
		return Channel{}, errShape
	}
	return c, nil
}

// QueueAgent is one member of a queue (QUEUE list).
type QueueAgent struct {
	Extension string // "104-DEVEL"
	Number    string
	Name      string
	Type      string // NF, AD, NFR, ADR, EA, ... (LEGACY)
	Order     int
	Paused    bool
	Penalty   int
}

var queueAgentCols = []string{"Extension", "Number", "Name", "Type", "Order", "Paused", "Penalty"}

// parseQueueAgents reads QUEUE action=list.
// Modelled: no public source (only the missing-parameter text is
// observed, AUDIT A-75). JSON is an array of {extension, number, name,
// type, order, paused, penalty}; plain a table with header queueAgentCols.
func parseQueueAgents(body []byte) ([]QueueAgent, error) {
	recs, err := records(body, queueAgentCols, true)
	if err != nil {
		return nil, err
	}
	out := make([]QueueAgent, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		a := QueueAgent{
			Extension: r.get("extension", "agent", "member"),
			Number:    r.get("number"),
			Name:      r.get("name"),
			Type:      r.get("type"),
			Order:     atoi(r.get("order")),
			Paused:    truthy(r.get("paused")),
			Penalty:   atoi(r.get("penalty")),
		}
		if a.Extension == "" && a.Number == "" {
			a.Extension = kr.key
		}
		if a.Extension == "" && a.Number == "" {
			return nil, errShape
		}
		out = append(out, a)
	}
	return out, nil
}

// atoi returns the integer in s, or 0.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		if f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64); ferr == nil && f > -1e9 && f < 1e9 {
			return int(f)
		}
		return 0
	}
	return n
}

// truthy reads the PBX's many spellings of yes.
func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "on", "true", "y", "paused":
		return true
	}
	return false
}

// AgentQueue is one queue an agent belongs to (AGENT listqueues).
type AgentQueue struct {
	ID          string
	Number      string
	Name        string
	Paused      bool
	PauseReason string
}

var agentQueueCols = []string{"Id", "Number", "Name", "Paused", "Pausereason"}

// parseAgentQueues reads AGENT action=listqueues.
// Modelled: no public source (observed only: "No extension specified"
// without extension, an empty body for a non-agent; AUDIT ).
// JSON is an array of {id, number, name, paused, pausereason}; plain a
// table with header agentQueueCols.
func parseAgentQueues(body []byte) ([]AgentQueue, error) {
	recs, err := records(body, agentQueueCols, true)
	if err != nil {
		return nil, err
	}
	out := make([]AgentQueue, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		q := AgentQueue{
			ID:          r.get("id", "queue", "qu_id", "queueid"),
			Number:      r.get("number", "queuenumber", "qu_number"),
			Name:        r.get("name", "qu_name"),
			Paused:      truthy(r.get("paused")),
			PauseReason: r.get("pausereason", "reason"),
		}
		if q.ID == "" {
			q.ID = kr.key
		}
		if q.ID == "" && q.Number == "" {
			return nil, errShape
		}
		out = append(out, q)
	}
	return out, nil
}

// QueueCaller is one caller waiting in a queue (INFO queuecallers).
type QueueCaller struct {
	Position     int
	CallerIDNum  string
	CallerIDName string
	Wait         time.Duration
	Channel      string
	UniqueID     string
}

var queueCallerCols = []string{"Position", "CallerIDNum", "CallerIDName", "Wait", "Channel", "Uniqueid"}

// parseQueueCallers reads INFO queuecallers.
// Modelled: no public source. JSON is an array of {Position, CallerIDNum,
// CallerIDName, Wait, Channel, Uniqueid} (AMI QueueEntry names); plain a
// table with header queueCallerCols.
func parseQueueCallers(body []byte) ([]QueueCaller, error) {
	recs, err := records(body, queueCallerCols, true)
	if err != nil {
		return nil, err
	}
	out := make([]QueueCaller, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		c := QueueCaller{
			Position:     atoi(r.get("position", "pos")),
			CallerIDNum:  r.get("calleridnum", "callerid"),
			CallerIDName: r.get("calleridname"),
			Wait:         parseDuration(r.get("wait", "holdtime")),
			Channel:      r.get("channel"),
			UniqueID:     r.get("uniqueid"),
		}
		if c.Channel == "" && c.UniqueID == "" && c.CallerIDNum == "" {
			return nil, errShape
		}
		out = append(out, c)
	}
	return out, nil
}

// Agent is one queue agent of INFO agents.
type Agent struct {
	ID          string // "104-DEVEL"
	Paused      bool   // position 0 (Modelled meaning)
	Status      string // position 1, "available" (observed)
	DeviceState string // position 2, "UNAVAILABLE" (observed)
	PauseReason string // position 4 (Modelled meaning)
}

// parseAgents reads INFO agents.
// Published (observed): AUDIT: json is an object keyed by agent
// id ("<ext>-<tenant>") whose values have only positional keys 0,1,2,4..8,
// 10,11: "0" a JSON number, "1" "available", "2" "UNAVAILABLE", 10 and 11
// the agent id; a nonexistent queue gives null. Plain is one line of
// "<agent>:<State>|". The meanings of 0 and 4 are Modelled (paused flag,
// pause reason).
func parseAgents(body []byte) ([]Agent, error) {
	if sniff(body) == bodyText {
		ps, err := pairs(body, ":")
		if err != nil {
			return nil, err
		}
		out := make([]Agent, 0, len(ps))
		for _, p := range ps {
			out = append(out, Agent{ID: p.key, DeviceState: p.val})
		}
		return out, nil
	}
	recs, err := records(body, nil, false)
	if err != nil {
		return nil, err
	}
	out := make([]Agent, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		a := Agent{
			ID:          kr.key,
			Paused:      truthy(r["0"]) || truthy(r.get("paused")),
			Status:      r.get("1", "status"),
			DeviceState: r.get("2", "state", "devicestate"),
			PauseReason: r.get("4", "pausereason"),
		}
		if a.ID == "" {
			a.ID = r.get("10", "11", "agent", "extension")
		}
		if a.ID == "" {
			return nil, errShape
		}
		out = append(out, a)
	}
	return out, nil
}

// AgentConnection is one agent/queue entry of INFO agentsconnected.
type AgentConnection struct {
	Agent string
	Queue string // empty in the plain form
	Value int    // as sent; 1 = connected (Modelled meaning)
}

// parseAgentsConnected reads INFO agentsconnected.
// Published (observed): AUDIT A-57: json is an object keyed by agent
// number whose values are objects keyed by queue id with integer values;
// plain is one line of "<number>:<state>|".
func parseAgentsConnected(body []byte) ([]AgentConnection, error) {
	switch sniff(body) {
	case bodyEmpty:
		return nil, nil
	case bodyText:
		ps, err := pairs(body, ":")
		if err != nil {
			return nil, err
		}
		out := make([]AgentConnection, 0, len(ps))
		for _, p := range ps {
			out = append(out, AgentConnection{Agent: p.key, Value: atoi(p.val)})
		}
		return out, nil
	case bodyJSON:
		n, err := parseJSON(body)
		if err != nil {
			return nil, errShape
		}
		if n.kind == 'n' || n.kind == 'a' && len(n.vals) == 0 {
			return nil, nil
		}
		if n.kind != 'o' {
			return nil, errShape
		}
		var out []AgentConnection
		for i, k := range n.keys {
			v := n.vals[i]
			switch v.kind {
			case 'o':
				for j, q := range v.keys {
					out = append(out, AgentConnection{Agent: k, Queue: q, Value: atoi(v.vals[j].scalar())})
				}
			case 's':
				out = append(out, AgentConnection{Agent: k, Value: atoi(v.s)})
			case 'n':
			default:
				return nil, errShape
			}
		}
		return out, nil
	}
	return nil, errShape
}

// Flow is one flow (FLOWS): a day/night style switch, shown as a BLF.
type Flow struct {
	ID          string // fl_id
	Name        string // fl_name
	Comment     string // fl_comment
	Number      string // fl_number, "500[on]"
	Value       string // fl_value
	MonitorType string // fl_monitor_type
	Extension   string // st_extension
	State       string // st_state
	Timestamp   string // st_timestamp
}

// flowCols is FLOWS' column order (observed, AUDIT A-73).
var flowCols = []string{"fl_id", "fl_te_id", "fl_name", "fl_comment", "fl_number", "fl_value", "fl_value_for_unavailable", "fl_value_for_inuse", "fl_value_for_notinuse", "fl_value_for_ringing", "fl_variable_name", "fl_monitor_type", "fl_monitor_type_id", "fl_monitor_parameter", "st_extension", "st_state", "st_timestamp", "st_peername"}

// parseFlows reads FLOWS.
// Published (observed): AUDIT A-73: json is an array of records with the
// 18 flowCols fields (plus positional duplicates); plain is one line per
// flow with every value twice (37 tokens with the trailing '|').
func parseFlows(body []byte) ([]Flow, error) {
	var recs []keyedRecord
	if sniff(body) == bodyText {
		for _, l := range lines(body) {
			f := undouble(fields(l))
			if len(f) < 3 {
				return nil, errShape
			}
			r := record{}
			for i, v := range f {
				if i < len(flowCols) {
					r[flowCols[i]] = v
				}
			}
			recs = append(recs, keyedRecord{rec: r})
		}
	} else {
		var err error
		if recs, err = records(body, nil, false); err != nil {
			return nil, err
		}
	}
	out := make([]Flow, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		f := Flow{
			ID:          r.get("fl_id", "id"),
			Name:        r.get("fl_name", "name"),
			Comment:     r.get("fl_comment"),
			Number:      r.get("fl_number", "number"),
			Value:       r.get("fl_value", "value"),
			MonitorType: r.get("fl_monitor_type"),
			Extension:   r.get("st_extension"),
			State:       r.get("st_state", "state"),
			Timestamp:   r.get("st_timestamp"),
		}
		if f.ID == "" && f.Number == "" {
			return nil, errShape
		}
		out = append(out, f)
	}
	return out, nil
}

// Phonebook is one phonebook (PHONEBOOKS list).
type Phonebook struct {
	ID   string
	Name string
}

// parsePhonebooks reads PHONEBOOKS subreqtype=list.
// Modelled: no public source; the INFO queues shape (AUDIT A-56): json
// {"1":"Default"}, plain "1: Default|". Also accepted: an array of names
// or of {id, name} objects.
func parsePhonebooks(body []byte) ([]Phonebook, error) {
	if sniff(body) == bodyJSON {
		n, err := parseJSON(body)
		if err != nil {
			return nil, errShape
		}
		if n.kind == 'a' {
			var out []Phonebook
			for _, v := range n.vals {
				switch v.kind {
				case 's':
					out = append(out, Phonebook{Name: v.s})
				case 'o':
					r := objectRecord(v)
					p := Phonebook{ID: r.get("id", "pb_id"), Name: r.get("name", "pb_name")}
					if p.Name == "" {
						return nil, errShape
					}
					out = append(out, p)
				default:
					return nil, errShape
				}
			}
			return out, nil
		}
	}
	ps, err := pairList(body, ":")
	if err != nil {
		return nil, err
	}
	out := make([]Phonebook, 0, len(ps))
	for _, p := range ps {
		out = append(out, Phonebook{ID: p.key, Name: p.val})
	}
	return out, nil
}

// Contact is one phonebook record (PHONEBOOK query).
type Contact struct {
	ID      string // peid, used to delete the record
	Name    string
	Company string
	// Numbers are the non-empty PHONE1, PHONE2, ... values in order.
	Numbers []string
	// Fields holds every other named field, upper case as the PBX names
	// them (EMAIL...), secret-looking names and positional keys excluded.
	Fields map[string]string
}

var contactCols = []string{"peid", "NAME", "COMPANY", "PHONE1", "PHONE2", "EMAIL"}

// parseContacts reads PHONEBOOK subreqtype=query.
// Published: LEGACY (add example) names the fields NAME and PHONE1 and
// says peid is "returned by search". Modelled: json is an array of
// records {peid, NAME, COMPANY, PHONE1.., EMAIL}; plain a table with a
// header row (contactCols).
func parseContacts(body []byte) ([]Contact, error) {
	recs, err := records(body, contactCols, true)
	if err != nil {
		return nil, err
	}
	out := make([]Contact, 0, len(recs))
	for _, kr := range recs {
		r := kr.rec
		c := Contact{ID: r.get("peid", "pe_id", "id"), Name: r.get("name", "pe_name"), Company: r.get("company", "pe_company"), Fields: map[string]string{}}
		if c.ID == "" {
			c.ID = kr.key
		}
		for n := 1; n <= 32; n++ {
			if v := r.get("phone"+strconv.Itoa(n), "pe_phone"+strconv.Itoa(n)); v != "" {
				c.Numbers = append(c.Numbers, v)
			}
		}
		for k, v := range r {
			switch {
			case isIndex(k), k == "peid", k == "pe_id", k == "id", k == "name", k == "pe_name", k == "company", k == "pe_company",
				strings.HasPrefix(k, "phone"), strings.HasPrefix(k, "pe_phone"):
				continue
			}
			c.Fields[strings.ToUpper(k)] = v
		}
		if c.ID == "" && c.Name == "" && len(c.Numbers) == 0 {
			return nil, errShape
		}
		out = append(out, c)
	}
	return out, nil
}

// parseDND reads DND action=get.
// Modelled: no public source; the bare value "on" or "off" in both
// formats, like CDR GET's raw value (AUDIT A-42). Also accepted: yes/no,
// 1/0, true/false, a JSON string or {"dnd":...}, "Success|...|on|".
// ok is false for an empty answer (unknown extension).
func parseDND(body []byte) (on, ok bool, err error) {
	w, err := bareValue(body, "dnd", "value", "state")
	if err != nil {
		return false, false, err
	}
	switch strings.ToLower(w) {
	case "":
		return false, false, nil
	case "on", "yes", "1", "true", "enabled", "dnd":
		return true, true, nil
	case "off", "no", "0", "false", "disabled":
		return false, true, nil
	}
	return false, false, errShape
}

// parseFlowState reads INFO flow.
// Published (observed): AUDIT A-66: a bare state word (11 bytes observed,
// e.g. UNAVAILABLE) in both formats.
func parseFlowState(body []byte) (string, error) {
	w, err := bareValue(body, "state", "st_state")
	if err != nil {
		return "", err
	}
	if len(w) > 32 || strings.ContainsAny(w, " \t") {
		return "", errShape
	}
	return w, nil
}
