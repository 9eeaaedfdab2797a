package mirtaapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// One method per reqtype the driver uses. Request parameters are those of
// the vendor's parameter list (shared/vendor-docs/mirta-pbx-api.txt,
// the output of reqtype=HELP) and LEGACY's examples.

// checkArg refuses an empty or multi-line argument before any request.
func checkArg(op, name, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return fmt.Errorf("mirtaapi: %s: %s is empty: %w", op, name, ErrInvalidArgument)
	}
	if strings.ContainsAny(v, "\r\n\x00") || len(v) > 256 {
		return fmt.Errorf("mirtaapi: %s: %s has a line break, NUL or more than 256 bytes: %w", op, name, ErrInvalidArgument)
	}
	return nil
}

func checkArgs(op string, args ...string) error {
	for i := 0; i+1 < len(args); i += 2 {
		if err := checkArg(op, args[i], args[i+1], true); err != nil {
			return err
		}
	}
	return nil
}

// Extensions lists the tenant's extensions (INFO info=extensions).
func (c *Client) Extensions(ctx context.Context) ([]Extension, error) {
	return read(ctx, c, request{reqtype: "INFO", label: "INFO extensions", params: []param{{"info", "extensions"}}}, parseExtensions)
}

// Queues lists the tenant's queues (INFO info=queues).
func (c *Client) Queues(ctx context.Context) ([]Queue, error) {
	return read(ctx, c, request{reqtype: "INFO", label: "INFO queues", params: []param{{"info", "queues"}}}, parseQueues)
}

// ExtState returns the live state of extension ext, "103" (INFO
// info=extstate&ext=103).
func (c *Client) ExtState(ctx context.Context, ext string) (ExtState, error) {
	if err := checkArgs("INFO extstate", "ext", ext); err != nil {
		return ExtState{}, err
	}
	return read(ctx, c, request{reqtype: "INFO", label: "INFO extstate", params: []param{{"info", "extstate"}, {"ext", ext}}}, parseExtState)
}

// RegState returns the registration state of extension ext (INFO
// info=regstate&ext=).
func (c *Client) RegState(ctx context.Context, ext string) (RegState, error) {
	if err := checkArgs("INFO regstate", "ext", ext); err != nil {
		return RegState{}, err
	}
	r := request{reqtype: "INFO", label: "INFO regstate", params: []param{{"info", "regstate"}, {"ext", ext}}}
	body, err := c.get(ctx, r)
	if err != nil {
		return RegState{}, err
	}
	defer clear(body)
	if sniff(body) == bodyEmpty {
		return RegState{}, c.fail(r, KindNotFound, 200, "empty answer: unknown extension", nil)
	}
	s, err := parseRegState(body)
	if err != nil {
		return RegState{}, c.fail(r, KindGarbage, 200, "answer of an unexpected shape", nil)
	}
	return s, nil
}

// BLFs returns the busy-lamp state of every peer and flow of the tenant in
// one request (BLFS): the bulk poll.
func (c *Client) BLFs(ctx context.Context) ([]BLF, error) {
	return read(ctx, c, request{reqtype: "BLFS"}, parseBLFs)
}

// Channels lists the tenant's channels (CHANNELS).
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	return read(ctx, c, request{reqtype: "CHANNELS"}, parseChannels)
}

// Channel returns one channel's details (CHANNEL&channel=).
func (c *Client) Channel(ctx context.Context, name string) (Channel, error) {
	if err := checkArgs("CHANNEL", "channel", name); err != nil {
		return Channel{}, err
	}
	r := request{reqtype: "CHANNEL", params: []param{{"channel", name}}}
	body, err := c.get(ctx, r)
	if err != nil {
		return Channel{}, err
	}
	defer clear(body)
	if sniff(body) == bodyEmpty {
		return Channel{}, c.fail(r, KindNotFound, 200, "empty answer: no such channel", nil)
	}
	ch, err := parseChannel(body)
	if err != nil {
		return Channel{}, c.fail(r, KindGarbage, 200, "answer of an unexpected shape", nil)
	}
	return ch, nil
}

// CurrentCalls returns the calls of extension phone, "103"
// (GETCURRENTCALLS&phone=103); with multiple, every channel
// (&multiple=yes), otherwise at most one. No call is an empty slice.
func (c *Client) CurrentCalls(ctx context.Context, phone string, multiple bool) ([]Channel, error) {
	if err := checkArgs("GETCURRENTCALLS", "phone", phone); err != nil {
		return nil, err
	}
	ps := []param{{"phone", phone}}
	if multiple {
		ps = append(ps, param{"multiple", "yes"})
	}
	return read(ctx, c, request{reqtype: "GETCURRENTCALLS", params: ps}, parseCurrentCalls)
}

// DialRequest is a click-to-dial: the PBX rings Source, then connects it
// to Dest.
type DialRequest struct {
	Source string // REQUIRED: extension number to ring first, or "ACCOUNT"
	Dest   string // REQUIRED: number to connect
	// Account is the account to simulate the call from, "402-DEVEL", or
	// "SOURCE" (OPTIONAL).
	Account    string
	AutoAnswer bool   // ask the source phone to auto-answer (OPTIONAL)
	SourceCLID string // caller id shown to the source (OPTIONAL)
	DestCLID   string // caller id shown to the destination (OPTIONAL)
	// DialTimeout and Timeout are the ring time and the maximum call
	// duration, sent in whole seconds (OPTIONAL).
	DialTimeout, Timeout time.Duration
	// Recording is "yes", "no", "yeschange" or "nochange" (OPTIONAL).
	Recording string
	// Var is one "name=value" dial-plan variable, visible as
	// "<TENANT>-name" (OPTIONAL; the syntax for several is not published).
	Var string
}

// Dial places a call (DIAL) and returns the originate id the PBX queued it
// under ("15a4cfe6429054"; Published: WIKI, "Success|Originate
// successfully queued|15a4cfe6429054|"). Never retried: a retry could ring
// the source twice.
func (c *Client) Dial(ctx context.Context, d DialRequest) (string, error) {
	if err := checkArgs("DIAL", "source", d.Source, "dest", d.Dest); err != nil {
		return "", err
	}
	for _, a := range []string{d.Account, d.SourceCLID, d.DestCLID, d.Var} {
		if err := checkArg("DIAL", "option", a, false); err != nil {
			return "", err
		}
	}
	switch d.Recording {
	case "", "yes", "no", "yeschange", "nochange":
	default:
		return "", fmt.Errorf("mirtaapi: DIAL: recording %q is not yes, no, yeschange or nochange: %w", cut(d.Recording, 32), ErrInvalidArgument)
	}
	if d.DialTimeout < 0 || d.Timeout < 0 {
		return "", fmt.Errorf("mirtaapi: DIAL: negative timeout: %w", ErrInvalidArgument)
	}
	ps := []param{{"source", d.Source}, {"dest", d.Dest}, {"account", d.Account}}
	if d.AutoAnswer {
		ps = append(ps, param{"autoanswer", "yes"})
	}
	ps = append(ps, param{"sourceclid", d.SourceCLID}, param{"destclid", d.DestCLID}, param{"dialtimeout", seconds(d.DialTimeout)},
		param{"timeout", seconds(d.Timeout)}, param{"recording", d.Recording}, param{"var", d.Var})
	res, err := c.act(ctx, request{reqtype: "DIAL", params: ps})
	if err != nil {
		return "", err
	}
	if len(res.data) > 0 {
		return strings.TrimSpace(res.data[0]), nil
	}
	return "", nil
}

func seconds(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// HangupRequest names what to hang up: exactly one field.
type HangupRequest struct {
	Channel   string // "SIP/103-DEVEL-0000002a"
	Extension string // "103-DEVEL"
	Number    string // "103"
}

// Hangup hangs up a channel, or the calls of an extension (HANGUP). Never
// retried.
func (c *Client) Hangup(ctx context.Context, h HangupRequest) error {
	set := 0
	for _, v := range []string{h.Channel, h.Extension, h.Number} {
		if err := checkArg("HANGUP", "target", v, false); err != nil {
			return err
		}
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("mirtaapi: HANGUP: set exactly one of channel, extension, number: %w", ErrInvalidArgument)
	}
	_, err := c.act(ctx, request{reqtype: "HANGUP", params: []param{{"channel", h.Channel}, {"extension", h.Extension}, {"number", h.Number}}})
	return err
}

// Transfer blind-transfers channel (and, OPTIONAL, extrachannel, the
// other leg) to dest (TRANSFER). Never retried.
func (c *Client) Transfer(ctx context.Context, channel, extrachannel, dest string) error {
	if err := checkArgs("TRANSFER", "channel", channel, "dest", dest); err != nil {
		return err
	}
	if err := checkArg("TRANSFER", "extrachannel", extrachannel, false); err != nil {
		return err
	}
	_, err := c.act(ctx, request{reqtype: "TRANSFER", params: []param{{"channel", channel}, {"extrachannel", extrachannel}, {"dest", dest}}})
	return err
}

// AtxTransfer starts an attended transfer of channel to dest
// (ATXTRANSFER). It completes when the transferring party hangs up.
func (c *Client) AtxTransfer(ctx context.Context, channel, dest string) error {
	if err := checkArgs("ATXTRANSFER", "channel", channel, "dest", dest); err != nil {
		return err
	}
	_, err := c.act(ctx, request{reqtype: "ATXTRANSFER", params: []param{{"channel", channel}, {"dest", dest}}})
	return err
}

// DNDGet returns whether do-not-disturb is on for extension number
// (DND&action=get). An empty answer is KindNotFound.
func (c *Client) DNDGet(ctx context.Context, number string) (bool, error) {
	if err := checkArgs("DND get", "number", number); err != nil {
		return false, err
	}
	r := request{reqtype: "DND", label: "DND get", params: []param{{"action", "get"}, {"number", number}}}
	body, err := c.get(ctx, r)
	if err != nil {
		return false, err
	}
	defer clear(body)
	on, ok, err := parseDND(body)
	switch {
	case err != nil:
		return false, c.fail(r, KindGarbage, 200, "answer of an unexpected shape", nil)
	case !ok:
		return false, c.fail(r, KindNotFound, 200, "empty answer: unknown extension", nil)
	}
	return on, nil
}

// DNDSet turns do-not-disturb on or off for extension number
// (DND&action=set&value=on, or an empty value for off).
func (c *Client) DNDSet(ctx context.Context, number string, on bool) error {
	if err := checkArgs("DND set", "number", number); err != nil {
		return err
	}
	v := ""
	if on {
		v = "on"
	}
	// "value - DND status to set, 'on' or empty to disable": the empty
	// value is sent.
	_, err := c.act(ctx, request{reqtype: "DND", label: "DND set", params: []param{{"action", "set"}, {"number", number}, {"value", v}}, sendEmpty: "value"})
	return err
}

// QueueRef names a queue by id (INFO queues' key) or by number.
type QueueRef struct {
	ID     string
	Number string
}

func (q QueueRef) check(op string) error {
	if err := checkArg(op, "queue id", q.ID, false); err != nil {
		return err
	}
	if err := checkArg(op, "queue number", q.Number, false); err != nil {
		return err
	}
	if (q.ID == "") == (q.Number == "") {
		return fmt.Errorf("mirtaapi: %s: set exactly one of queue id and number: %w", op, ErrInvalidArgument)
	}
	return nil
}

// QueueAgents lists a queue's agents (QUEUE&action=list).
func (c *Client) QueueAgents(ctx context.Context, q QueueRef) ([]QueueAgent, error) {
	if err := q.check("QUEUE list"); err != nil {
		return nil, err
	}
	return read(ctx, c, request{reqtype: "QUEUE", label: "QUEUE list", params: []param{{"action", "list"}, {"id", q.ID}, {"number", q.Number}}}, parseQueueAgents)
}

// QueueAddOptions are the OPTIONAL settings of QueueAdd.
type QueueAddOptions struct {
	Paused  bool   // join paused (paused=1)
	Penalty int    // penalty; 0 is not sent
	Type    string // NF, AD, NFR, ADR, EA, ... (vendor list)
	Order   int    // position in the agent list; 0 is not sent
}

// QueueAdd adds agent ext ("104" or "104-DEVEL") to a queue
// (QUEUE&action=add).
func (c *Client) QueueAdd(ctx context.Context, q QueueRef, ext string, o QueueAddOptions) error {
	if err := q.check("QUEUE add"); err != nil {
		return err
	}
	if err := checkArgs("QUEUE add", "extension", ext); err != nil {
		return err
	}
	if err := checkArg("QUEUE add", "type", o.Type, false); err != nil {
		return err
	}
	if o.Penalty < 0 || o.Order < 0 {
		return fmt.Errorf("mirtaapi: QUEUE add: negative penalty or order: %w", ErrInvalidArgument)
	}
	ps := []param{{"action", "add"}, {"id", q.ID}, {"number", q.Number}, {"extension", ext}}
	if o.Paused {
		ps = append(ps, param{"paused", "1"})
	}
	if o.Penalty > 0 {
		ps = append(ps, param{"penalty", strconv.Itoa(o.Penalty)})
	}
	if o.Order > 0 {
		ps = append(ps, param{"order", strconv.Itoa(o.Order)})
	}
	ps = append(ps, param{"type", o.Type})
	_, err := c.act(ctx, request{reqtype: "QUEUE", label: "QUEUE add", params: ps})
	return err
}

// QueueDel removes agent ext from a queue (QUEUE&action=del).
func (c *Client) QueueDel(ctx context.Context, q QueueRef, ext string) error {
	if err := q.check("QUEUE del"); err != nil {
		return err
	}
	if err := checkArgs("QUEUE del", "extension", ext); err != nil {
		return err
	}
	_, err := c.act(ctx, request{reqtype: "QUEUE", label: "QUEUE del", params: []param{{"action", "del"}, {"id", q.ID}, {"number", q.Number}, {"extension", ext}}})
	return err
}

// agentQueue returns AGENT's queue parameters: queue=<id> (or ALL) or
// queuenumber=<number>.
func agentQueue(q QueueRef) []param {
	return []param{{"queue", q.ID}, {"queuenumber", q.Number}}
}

// AgentPause pauses agent ext in a queue (ID "ALL" for every queue) with an
// OPTIONAL reason (AGENT&action=pause&pausereason=).
func (c *Client) AgentPause(ctx context.Context, q QueueRef, ext, reason string) error {
	if err := q.check("AGENT pause"); err != nil {
		return err
	}
	if err := checkArgs("AGENT pause", "extension", ext); err != nil {
		return err
	}
	if err := checkArg("AGENT pause", "reason", reason, false); err != nil {
		return err
	}
	ps := append([]param{{"action", "pause"}, {"extension", ext}}, agentQueue(q)...)
	ps = append(ps, param{"pausereason", reason})
	_, err := c.act(ctx, request{reqtype: "AGENT", label: "AGENT pause", params: ps})
	return err
}

// AgentUnpause unpauses agent ext in a queue (AGENT&action=unpause).
func (c *Client) AgentUnpause(ctx context.Context, q QueueRef, ext string) error {
	if err := q.check("AGENT unpause"); err != nil {
		return err
	}
	if err := checkArgs("AGENT unpause", "extension", ext); err != nil {
		return err
	}
	ps := append([]param{{"action", "unpause"}, {"extension", ext}}, agentQueue(q)...)
	_, err := c.act(ctx, request{reqtype: "AGENT", label: "AGENT unpause", params: ps})
	return err
}

// AgentQueues lists the queues agent ext belongs to (AGENT
// &action=listqueues). A non-agent is an empty slice.
func (c *Client) AgentQueues(ctx context.Context, ext string) ([]AgentQueue, error) {
	if err := checkArgs("AGENT listqueues", "extension", ext); err != nil {
		return nil, err
	}
	return read(ctx, c, request{reqtype: "AGENT", label: "AGENT listqueues", params: []param{{"action", "listqueues"}, {"extension", ext}}}, parseAgentQueues)
}

// QueueCallers lists the callers waiting in queue queueID (INFO
// info=queuecallers&id=).
func (c *Client) QueueCallers(ctx context.Context, queueID string) ([]QueueCaller, error) {
	if err := checkArgs("INFO queuecallers", "queue id", queueID); err != nil {
		return nil, err
	}
	return read(ctx, c, request{reqtype: "INFO", label: "INFO queuecallers", params: []param{{"info", "queuecallers"}, {"id", queueID}}}, parseQueueCallers)
}

// Agents lists the agents of queue queueID, or of every queue when it is
// empty (INFO info=agents&queue=).
func (c *Client) Agents(ctx context.Context, queueID string) ([]Agent, error) {
	if err := checkArg("INFO agents", "queue id", queueID, false); err != nil {
		return nil, err
	}
	return read(ctx, c, request{reqtype: "INFO", label: "INFO agents", params: []param{{"info", "agents"}, {"queue", queueID}}}, parseAgents)
}

// AgentsConnected lists the connected agents of queue queueID, or of every
// queue when it is empty (INFO info=agentsconnected&queue=).
func (c *Client) AgentsConnected(ctx context.Context, queueID string) ([]AgentConnection, error) {
	if err := checkArg("INFO agentsconnected", "queue id", queueID, false); err != nil {
		return nil, err
	}
	return read(ctx, c, request{reqtype: "INFO", label: "INFO agentsconnected", params: []param{{"info", "agentsconnected"}, {"queue", queueID}}}, parseAgentsConnected)
}

// Flows lists the tenant's flows with their state (FLOWS).
func (c *Client) Flows(ctx context.Context) ([]Flow, error) {
	return read(ctx, c, request{reqtype: "FLOWS"}, parseFlows)
}

// FlowState returns one flow's state word by flow id (INFO info=flow&id=).
func (c *Client) FlowState(ctx context.Context, id string) (string, error) {
	if err := checkArgs("INFO flow", "flow id", id); err != nil {
		return "", err
	}
	return read(ctx, c, request{reqtype: "INFO", label: "INFO flow", params: []param{{"info", "flow"}, {"id", id}}}, parseFlowState)
}

// Flow states SETFLOW accepts (vendor list).
const (
	FlowInUse       = "INUSE"
	FlowNotInUse    = "NOT_INUSE"
	FlowUnavailable = "UNAVAILABLE"
	FlowRinging     = "RINGING"
)

// SetFlow sets flow number's state (one of the Flow* constants) and/or its
// value (SETFLOW); at least one of them.
func (c *Client) SetFlow(ctx context.Context, number, state, value string) error {
	if err := checkArgs("SETFLOW", "number", number); err != nil {
		return err
	}
	switch state {
	case "", FlowInUse, FlowNotInUse, FlowUnavailable, FlowRinging:
	default:
		return fmt.Errorf("mirtaapi: SETFLOW: state %q is not INUSE, NOT_INUSE, UNAVAILABLE or RINGING: %w", cut(state, 32), ErrInvalidArgument)
	}
	if err := checkArg("SETFLOW", "value", value, false); err != nil {
		return err
	}
	if state == "" && value == "" {
		return fmt.Errorf("mirtaapi: SETFLOW: set a state or a value: %w", ErrInvalidArgument)
	}
	_, err := c.act(ctx, request{reqtype: "SETFLOW", params: []param{{"number", number}, {"state", state}, {"value", value}}})
	return err
}

// Phonebooks lists the tenant's phonebooks (PHONEBOOKS&subreqtype=list).
func (c *Client) Phonebooks(ctx context.Context) ([]Phonebook, error) {
	return read(ctx, c, request{reqtype: "PHONEBOOKS", params: []param{{"subreqtype", "list"}}}, parsePhonebooks)
}

// PhonebookQuery searches phonebook (by name) for records whose field
// (such as "name", "phone1") matches value; '%' is the wildcard
// (PHONEBOOK&subreqtype=query). No match is an empty slice.
func (c *Client) PhonebookQuery(ctx context.Context, phonebook, field, value string) ([]Contact, error) {
	if err := checkArgs("PHONEBOOK query", "phonebook", phonebook, "field", field, "value", value); err != nil {
		return nil, err
	}
	return read(ctx, c, request{reqtype: "PHONEBOOK", label: "PHONEBOOK query", params: []param{{"phonebook", phonebook}, {"subreqtype", "query"}, {"field", field}, {"value", value}}}, parseContacts)
}

// CDRUserfield appends value to the userfield of the call uniqueid
// (CDR&action=update&field=userfield; the vendor says the value is added
// to the end of the field).
func (c *Client) CDRUserfield(ctx context.Context, uniqueid, value string) error {
	if err := checkArgs("CDR update", "uniqueid", uniqueid, "value", value); err != nil {
		return err
	}
	_, err := c.act(ctx, request{reqtype: "CDR", label: "CDR update", params: []param{{"action", "update"}, {"field", "userfield"}, {"uniqueid", uniqueid}, {"value", value}}})
	return err
}

// Reboot asks peer ("103-DEVEL", or "ALL") to reboot (REBOOT).
func (c *Client) Reboot(ctx context.Context, peer string) error {
	if err := checkArgs("REBOOT", "peer", peer); err != nil {
		return err
	}
	_, err := c.act(ctx, request{reqtype: "REBOOT", params: []param{{"peer", peer}}})
	return err
}
