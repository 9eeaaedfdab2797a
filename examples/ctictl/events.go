package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Reconnect backoff of the events command: it starts at minBackoff after a
// stream break, doubles while reconnecting fails, and is capped at
// maxBackoff. Variables so that tests can shorten them.
var (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// eventKinds maps the --kind words to EventKind.
var eventKinds = map[string]ctiv1.EventKind{
	"call":    ctiv1.EventKind_EVENT_KIND_CALL,
	"device":  ctiv1.EventKind_EVENT_KIND_DEVICE,
	"queue":   ctiv1.EventKind_EVENT_KIND_QUEUE,
	"driver":  ctiv1.EventKind_EVENT_KIND_DRIVER,
	"devices": ctiv1.EventKind_EVENT_KIND_DEVICES,
}

// eventsCommand tails WatchEvents.
var eventsCommand = &command{
	name:    "events",
	args:    "[--from N] [--site S]... [--device site/dev]... [--kind call|device|devices|queue|driver]...",
	summary: "tail events live until Ctrl-C, reconnecting and resuming after stream breaks",
	details: "One line per event: #SEQ TIME SITE/DEVICE KIND details. After a stream break ctictl\n" +
		"reconnects with from_sequence = last seen + 1, so the host replays what it still holds.\n" +
		"A GAP line means events were lost: re-read the state of the devices you track.\n" +
		"-timeout does not apply to the stream.",
	examples: []string{
		"ctictl events",
		"ctictl events --site hq --kind call",
		"ctictl events --device hq/reception --from 1200",
		"ctictl -json events --kind driver",
	},
	setup: func(fs *flag.FlagSet) runFunc {
		var sites, devices, kinds stringList
		from := fs.Uint64("from", 0, "first sequence `number` wanted; 0 means live events only")
		fs.Var(&sites, "site", "only events of this `site` (repeatable)")
		fs.Var(&devices, "device", "only events of this `site/device` (repeatable)")
		fs.Var(&kinds, "kind", "only events of this `kind`: call, device, devices (discovered devices that came or went), queue or driver (repeatable)")
		return func(ctx context.Context, a *app, args []string) error {
			if err := nargs(args, 0, 0); err != nil {
				return err
			}
			req := &ctiv1.WatchEventsRequest{FromSequence: *from, Sites: sites}
			for _, d := range devices {
				if _, err := deviceRef(d); err != nil {
					return err
				}
				req.Devices = append(req.Devices, d)
			}
			for _, k := range kinds {
				kind, ok := eventKinds[strings.ToLower(k)]
				if !ok {
					return usagef("--kind must be call, device, devices, queue or driver, got %q", k)
				}
				req.Kinds = append(req.Kinds, kind)
			}
			return watch(ctx, a, req)
		}
	},
}

// watch streams events until ctx is done. When the stream breaks for a
// reason a retry may cure, it says so on stderr, waits, and resumes with
// from_sequence = last seen + 1. Errors a retry cannot cure (bad filter,
// unknown site) end the command.
func watch(ctx context.Context, a *app, req *ctiv1.WatchEventsRequest) error {
	backoff := minBackoff
	for {
		received, err := watchOnce(ctx, a, req)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && permanent(status.Code(err)) {
			return &rpcError{rpc: "WatchEvents", err: err}
		}
		if received {
			backoff = minBackoff
		}
		why := "stream closed by the host"
		if err != nil {
			why = formatRPCError("WatchEvents", err)
		}
		from := "live events"
		if req.FromSequence > 0 {
			from = "#" + strconv.FormatUint(req.FromSequence, 10)
		}
		fmt.Fprintf(a.errOut, "ctictl: events: %s; reconnecting in %s from %s\n", why, backoff, from)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// watchOnce runs one WatchEvents stream until it ends, printing each event
// and advancing req.FromSequence past it. It reports whether any event
// arrived, and the error that ended the stream (nil when the host closed it).
func watchOnce(ctx context.Context, a *app, req *ctiv1.WatchEventsRequest) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := a.host.WatchEvents(ctx, req)
	if err != nil {
		return false, err
	}
	received := false
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return received, nil
		}
		if err != nil {
			return received, err
		}
		received = true
		if seq := ev.GetSequence(); seq > 0 {
			req.FromSequence = seq + 1
		}
		if g := ev.GetGap(); g != nil && g.GetToSequence() >= req.FromSequence {
			// The missing events are gone for good: do not ask for them again.
			req.FromSequence = g.GetToSequence() + 1
		}
		if err := printEvent(a, ev); err != nil {
			return received, err
		}
	}
}

// permanent reports whether a WatchEvents failure with code c would fail
// the same way on retry.
func permanent(c codes.Code) bool {
	switch c {
	case codes.InvalidArgument, codes.NotFound, codes.Unimplemented, codes.PermissionDenied,
		codes.Unauthenticated, codes.FailedPrecondition, codes.OutOfRange:
		return true
	}
	return false
}

// printEvent prints one event as a line of text, or of compact protojson
// with -json.
func printEvent(a *app, ev *ctiv1.Event) error {
	if a.json {
		b, err := protojson.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintln(a.out, eventLine(ev))
	return err
}

// eventLine formats an event as `#SEQ TIME SITE/DEVICE KIND details`, e.g.
// `#42 15:04:05.123 hq/reception call 1-3 ringing inbound from 5551234 "Alice"`.
// Gap events, which carry no sequence number, print as `#- ... GAP !!! ...`.
func eventLine(ev *ctiv1.Event) string {
	seq := "#-"
	if ev.GetSequence() > 0 {
		seq = "#" + strconv.FormatUint(ev.GetSequence(), 10)
	}
	where := ev.GetDevice()
	if where == "" {
		where = cell(ev.GetSite())
	}
	kind, details := eventDetails(ev)
	return strings.Join([]string{seq, localTime(ev.GetTime(), "15:04:05.000"), where, kind, details}, " ")
}

// eventDetails returns an event's kind word and its details.
func eventDetails(ev *ctiv1.Event) (kind, details string) {
	switch p := ev.GetPayload().(type) {
	case *ctiv1.Event_CallChanged:
		return "call", callText(p.CallChanged.GetCall())
	case *ctiv1.Event_CallEnded:
		e := p.CallEnded
		parts := []string{callText(e.GetCall())}
		if e.GetReason() != 0 {
			parts = append(parts, "reason "+enumWord(e.GetReason()))
		}
		if e.GetEndedBy() != 0 {
			parts = append(parts, "by "+enumWord(e.GetEndedBy()))
		}
		if e.GetVendorReason() != "" {
			parts = append(parts, "vendor "+strconv.Quote(e.GetVendorReason()))
		}
		return "call", strings.Join(parts, " ")
	case *ctiv1.Event_DeviceChanged:
		return "device", statusText(p.DeviceChanged.GetStatus())
	case *ctiv1.Event_QueueChanged:
		m := p.QueueChanged.GetMembership()
		parts := []string{m.GetQueue()}
		if m.GetName() != "" {
			parts = append(parts, strconv.Quote(m.GetName()))
		}
		parts = append(parts, enumWord(m.GetStatus()))
		if m.GetPauseReason() != "" {
			parts = append(parts, "reason "+strconv.Quote(m.GetPauseReason()))
		}
		return "queue", strings.Join(parts, " ")
	case *ctiv1.Event_DriverChanged:
		d := p.DriverChanged
		parts := []string{d.GetDriver(), enumWord(d.GetState())}
		if d.GetVersion() != "" {
			parts = append(parts, "version "+d.GetVersion())
		}
		if d.GetPid() > 0 {
			parts = append(parts, "pid "+strconv.FormatInt(d.GetPid(), 10))
		}
		if d.GetReason() != "" {
			parts = append(parts, strconv.Quote(d.GetReason()))
		}
		return "driver", strings.Join(parts, " ")
	case *ctiv1.Event_QueueStatusChanged:
		return "queue", queueStatusText(p.QueueStatusChanged.GetStatus())
	case *ctiv1.Event_CallScreened:
		c := p.CallScreened
		parts := []string{"call " + c.GetCall().GetCallId(), "screened by " + strconv.Quote(c.GetRule()) + ":", enumWord(c.GetAction())}
		if c.GetDestination() != "" {
			parts = append(parts, "to "+c.GetDestination())
		}
		if r := party(c.GetCall().GetRemote()); r != "" {
			parts = append(parts, "caller "+r)
		}
		parts = append(parts, "in "+c.GetLatency().AsDuration().Round(time.Millisecond).String())
		if c.GetTimedOut() {
			parts = append(parts, "(the ask webhook timed out)")
		}
		if c.GetError() != "" {
			parts = append(parts, "failed: "+strconv.Quote(c.GetError()))
		}
		return "screen", strings.Join(parts, " ")
	case *ctiv1.Event_DevicesChanged:
		var parts []string
		for _, d := range p.DevicesChanged.GetAdded() {
			part := "+" + d.GetDevice()
			if d.GetName() != "" {
				part += " " + strconv.Quote(d.GetName())
			}
			if d.GetKind() != 0 {
				part += " " + enumWord(d.GetKind())
			}
			parts = append(parts, part)
		}
		for _, ref := range p.DevicesChanged.GetRemoved() {
			parts = append(parts, "-"+ref)
		}
		return "devices", strings.Join(parts, ", ")
	case *ctiv1.Event_Gap:
		g := p.Gap
		return "GAP", fmt.Sprintf("!!! events #%d-#%d were lost (%s); re-read the state of the devices you track",
			g.GetFromSequence(), g.GetToSequence(), g.GetReason())
	}
	return "unknown", "(event of a kind this ctictl does not know)"
}

// callText describes a call: `1-3 ringing inbound from 5551234 "Alice"`.
func callText(c *ctiv1.Call) string {
	state := enumWord(c.GetState())
	if state == "-" && c.GetVendorState() != "" {
		state = "vendor:" + c.GetVendorState()
	}
	parts := []string{cell(c.GetCallId()), state}
	if c.GetDirection() != 0 {
		parts = append(parts, enumWord(c.GetDirection()))
	}
	if remote := party(c.GetRemote()); remote != "" {
		prep := "with"
		switch c.GetDirection() {
		case ctiv1.CallDirection_CALL_DIRECTION_INBOUND:
			prep = "from"
		case ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND:
			prep = "to"
		}
		parts = append(parts, prep, remote)
	}
	if c.GetRelatedCallId() != "" {
		parts = append(parts, "related "+c.GetRelatedCallId())
	}
	if c.GetMuted() {
		parts = append(parts, "muted")
	}
	if q := c.GetQueue(); q != nil {
		parts = append(parts, "queue "+strings.TrimSpace(q.GetQueue()+" "+quoteIf(q.GetName())))
	}
	if c.GetDialedNumber() != "" {
		parts = append(parts, "dialed "+c.GetDialedNumber())
	}
	if c.GetTag() != "" {
		parts = append(parts, "tag "+strconv.Quote(c.GetTag()))
	}
	if ct := c.GetContact(); ct != nil {
		parts = append(parts, "contact "+contactText(ct))
	}
	if c.GetAccountCode() != "" {
		parts = append(parts, "account "+c.GetAccountCode())
	}
	if o := party(c.GetOriginalCalled()); o != "" {
		parts = append(parts, "originally to "+o)
	}
	if len(c.GetConferenceMembers()) > 0 {
		var members []string
		for _, m := range c.GetConferenceMembers() {
			members = append(members, party(m))
		}
		parts = append(parts, "conference with "+strings.Join(members, ", "))
	}
	if c.GetParkSlot() != "" {
		parts = append(parts, "parked "+c.GetParkSlot())
	}
	if c.GetRecording() == ctiv1.RecordingState_RECORDING_STATE_ON || c.GetRecording() == ctiv1.RecordingState_RECORDING_STATE_PAUSED {
		parts = append(parts, "recording "+enumWord(c.GetRecording()))
	}
	return strings.Join(parts, " ")
}

// quoteIf quotes s, or returns "" for "".
func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

// queueStatusText describes a queue's status: `in_service 2 waiting members 201 available, 202 busy`.
func queueStatusText(q *ctiv1.QueueStatus) string {
	parts := []string{enumWord(q.GetServiceMode()), fmt.Sprintf("%d waiting", q.GetWaitingCalls())}
	var members []string
	for _, m := range q.GetMembers() {
		members = append(members, m.GetMember()+" "+enumWord(m.GetStatus()))
	}
	if len(members) > 0 {
		parts = append(parts, "members "+strings.Join(members, ", "))
	}
	return strings.Join(parts, " ")
}

// statusText describes a device status: `reachable registered dnd on ...`.
func statusText(s *ctiv1.DeviceStatus) string {
	parts := []string{"unreachable"}
	if s.GetReachable() {
		parts[0] = "reachable"
	}
	if s.GetRegistration() != 0 {
		parts = append(parts, enumWord(s.GetRegistration()))
	}
	if s.GetPresence() != 0 {
		parts = append(parts, enumWord(s.GetPresence()))
	}
	if s != nil && s.Dnd != nil {
		parts = append(parts, "dnd "+map[bool]string{true: "on", false: "off"}[s.GetDnd()])
	}
	for _, f := range s.GetForwards() {
		parts = append(parts, "forward "+enumWord(f.GetMode())+" -> "+f.GetDestination())
	}
	if len(s.GetUnavailableOperations()) > 0 {
		parts = append(parts, "lacks "+capabilities(s.GetUnavailableOperations()))
	}
	if a := s.GetAbsence(); a.GetPreset() != 0 || a.GetText() != "" {
		parts = append(parts, fmt.Sprintf("absent %d %q", a.GetPreset(), a.GetText()))
	}
	if s.GetPresenceNote() != "" {
		parts = append(parts, "note "+strconv.Quote(s.GetPresenceNote()))
	}
	if v := s.GetVoicemail(); v.GetNewMessages() > 0 {
		parts = append(parts, fmt.Sprintf("voicemail %d new", v.GetNewMessages()))
	}
	if s != nil && s.Twinning != nil && s.GetTwinning() {
		parts = append(parts, "twinned")
	}
	if s.GetStation() != "" {
		parts = append(parts, "at "+s.GetStation())
	}
	if s.GetDetail() != "" {
		parts = append(parts, strconv.Quote(s.GetDetail()))
	}
	return strings.Join(parts, " ")
}

// contactText is a contact in one phrase: "Ada Lovelace" (ACME Corp).
func contactText(c *ctiv1.Contact) string {
	s := strconv.Quote(c.GetName())
	if c.GetCompany() != "" {
		s += " (" + c.GetCompany() + ")"
	}
	return s
}
