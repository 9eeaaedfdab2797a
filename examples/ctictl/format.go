package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// newTable returns a tabwriter for aligned text output; Flush it when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes cells as one table row, each cleaned up by cell.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// cell collapses whitespace (tabs and newlines would break the table) and
// shows an empty value as "-".
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	return s
}

// enumWord prints an enum value as a lower-case word without its prefix:
// CALL_STATE_RINGING -> ringing. The zero value and values this build does
// not know print as "-".
func enumWord(e protoreflect.Enum) string {
	vals := e.Descriptor().Values()
	v := vals.ByNumber(e.Number())
	if e.Number() == 0 || v == nil {
		return "-"
	}
	prefix := "UNSPECIFIED"
	if zero := vals.ByNumber(0); zero != nil {
		prefix = string(zero.Name())
	}
	prefix = strings.TrimSuffix(prefix, "UNSPECIFIED")
	return strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix))
}

// capabilities joins capability words with commas.
func capabilities(cs []ctiv1.Capability) string {
	words := make([]string, 0, len(cs))
	for _, c := range cs {
		words = append(words, enumWord(c))
	}
	return strings.Join(words, ",")
}

// party prints a call party as `number "name"`, either part omitted when
// unknown, or "" when nothing is known.
func party(p *ctiv1.Party) string {
	var parts []string
	if n := p.GetNumber(); n != "" {
		parts = append(parts, n)
	}
	if n := p.GetName(); n != "" {
		parts = append(parts, strconv.Quote(n))
	}
	return strings.Join(parts, " ")
}

// yesNo prints a bool as yes or no.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// localTime prints a timestamp in local time with layout, or "-" when unset.
func localTime(ts *timestamppb.Timestamp, layout string) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(time.Local).Format(layout)
}

// printDevices prints ListDevices results as a table.
func printDevices(w io.Writer, devs []*ctiv1.Device) {
	tw := newTable(w)
	row(tw, "DEVICE", "KIND", "MODEL", "NAME", "DRIVER", "SOURCE", "CAPABILITIES")
	for _, d := range devs {
		source := "discovered"
		if d.GetConfigured() {
			source = "configured"
		}
		row(tw, d.GetDevice(), enumWord(d.GetKind()), d.GetModel(), d.GetName(), d.GetDriver(), source,
			capabilities(d.GetCapabilities()))
	}
	tw.Flush()
}

// printState prints a device's state: its status as key/value lines, then
// tables of lines, calls and queue memberships when there are any.
func printState(w io.Writer, s *ctiv1.DeviceState) {
	st := s.GetStatus()
	tw := newTable(w)
	row(tw, "device", s.GetDevice())
	row(tw, "model", s.GetModel())
	row(tw, "reachable", yesNo(st.GetReachable()))
	row(tw, "registration", enumWord(st.GetRegistration()))
	row(tw, "presence", enumWord(st.GetPresence()))
	dnd := "unknown"
	if st != nil && st.Dnd != nil {
		dnd = map[bool]string{true: "on", false: "off"}[st.GetDnd()]
	}
	row(tw, "dnd", dnd)
	var fwd []string
	for _, f := range st.GetForwards() {
		fwd = append(fwd, enumWord(f.GetMode())+" -> "+f.GetDestination())
	}
	row(tw, "forward", strings.Join(fwd, ", "))
	if len(st.GetUnavailableOperations()) > 0 {
		row(tw, "unavailable", capabilities(st.GetUnavailableOperations()))
	}
	if a := st.GetAbsence(); a.GetPreset() != 0 || a.GetText() != "" {
		row(tw, "absence", fmt.Sprintf("%d %q", a.GetPreset(), a.GetText()))
	}
	if st.GetPresenceNote() != "" {
		row(tw, "presence note", st.GetPresenceNote())
	}
	if v := st.GetVoicemail(); v != nil {
		row(tw, "voicemail", fmt.Sprintf("%d new, %d old, %d saved", v.GetNewMessages(), v.GetOldMessages(), v.GetSavedMessages()))
	}
	if st != nil && st.Twinning != nil {
		row(tw, "twinning", map[bool]string{true: "on", false: "off"}[st.GetTwinning()])
	}
	if st.GetStation() != "" {
		row(tw, "station", st.GetStation())
	}
	row(tw, "detail", st.GetDetail())
	if q := s.GetQueueStatus(); q != nil {
		row(tw, "queue", queueStatusText(q))
	}
	row(tw, "updated", localTime(s.GetUpdatedAt(), "2006-01-02 15:04:05"))
	if len(s.GetCalls()) == 0 {
		row(tw, "calls", "none")
	}
	tw.Flush()
	if len(s.GetLines()) > 0 {
		fmt.Fprintln(w, "\nlines:")
		tw = newTable(w)
		row(tw, "LINE", "ACCOUNT", "REGISTRATION", "CALL", "VENDOR-STATE")
		for _, l := range s.GetLines() {
			row(tw, strconv.Itoa(int(l.GetNumber())), l.GetAccount(), enumWord(l.GetRegistration()),
				l.GetCallId(), l.GetVendorState())
		}
		tw.Flush()
	}
	if len(s.GetCalls()) > 0 {
		fmt.Fprintln(w, "\ncalls:")
		tw = newTable(w)
		row(tw, "CALL", "STATE", "DIRECTION", "LINE", "REMOTE", "LOCAL", "MUTED", "RELATED", "VENDOR-STATE", "OPERATIONS")
		for _, c := range s.GetCalls() {
			line := ""
			if c.GetLine() > 0 {
				line = strconv.Itoa(int(c.GetLine()))
			}
			row(tw, c.GetCallId(), enumWord(c.GetState()), enumWord(c.GetDirection()), line,
				party(c.GetRemote()), party(c.GetLocal()), yesNo(c.GetMuted()), c.GetRelatedCallId(),
				c.GetVendorState(), capabilities(c.GetAvailableOperations()))
		}
		tw.Flush()
	}
	if len(s.GetQueues()) > 0 {
		fmt.Fprintln(w, "\nqueues:")
		tw = newTable(w)
		row(tw, "QUEUE", "NAME", "STATUS", "PAUSE-REASON")
		for _, q := range s.GetQueues() {
			row(tw, q.GetQueue(), q.GetName(), enumWord(q.GetStatus()), q.GetPauseReason())
		}
		tw.Flush()
	}
}

// printPlugins prints ListPlugins results as a table. A host of a cluster
// adds a HOST column: where each site runs.
func printPlugins(w io.Writer, ps []*ctiv1.PluginInstance) {
	tw := newTable(w)
	clustered := slices.ContainsFunc(ps, func(p *ctiv1.PluginInstance) bool { return p.GetHost() != "" })
	header := []string{"SITE", "DRIVER", "STATE", "VERSION", "PID", "RESTARTS", "SWAPS", "UPTIME", "DEVICES", "LAST-ERROR"}
	if clustered {
		header = slices.Insert(header, 1, "HOST")
	}
	row(tw, header...)
	for _, p := range ps {
		pid, uptime := "", ""
		if p.GetPid() > 0 {
			pid = strconv.FormatInt(p.GetPid(), 10)
		}
		if p.GetUptimeSeconds() > 0 {
			uptime = (time.Duration(p.GetUptimeSeconds()) * time.Second).String()
		}
		cells := []string{siteCell(p), p.GetDriver(), enumWord(p.GetState()), p.GetVersion(), pid,
			strconv.FormatUint(uint64(p.GetRestarts()), 10), strconv.FormatUint(uint64(p.GetSwaps()), 10), uptime,
			devicesCell(p), p.GetLastError()}
		if clustered {
			cells = slices.Insert(cells, 1, p.GetHost())
		}
		row(tw, cells...)
	}
	tw.Flush()
	var conns []*ctiv1.ConnectionStatus
	for _, p := range ps {
		conns = append(conns, p.GetConnectionStatus()...)
	}
	if len(conns) > 0 {
		fmt.Fprintln(w, "\nconnections:")
		tw = newTable(w)
		row(tw, "CONNECTION", "LINK", "ADDRESS", "VERSION", "DETAIL")
		for _, c := range conns {
			row(tw, c.GetName(), map[bool]string{true: "up", false: "down"}[c.GetConnected()], c.GetAddress(), c.GetPeerVersion(), c.GetDetail())
		}
		tw.Flush()
	}
}

// devicesCell counts an instance's configured devices and, when it has
// any, the ones its driver discovered: "3", "2+412".
func devicesCell(p *ctiv1.PluginInstance) string {
	n := strconv.FormatUint(uint64(p.GetDevices()), 10)
	if p.GetDiscoveredDevices() > 0 {
		n += "+" + strconv.FormatUint(uint64(p.GetDiscoveredDevices()), 10)
	}
	return n
}

// siteCell is an instance's site or, for one process shared by several
// sites (isolation = "driver"), the first few of its sites and a count of
// the others: "branch,hq (shared)", "a,b,c +997 (shared)".
func siteCell(p *ctiv1.PluginInstance) string {
	if p.GetSite() != "" || len(p.GetSites()) == 0 {
		return p.GetSite()
	}
	const named = 3
	sites := p.GetSites()
	if len(sites) <= named {
		return strings.Join(sites, ",") + " (shared)"
	}
	return fmt.Sprintf("%s +%d (shared)", strings.Join(sites[:named], ","), len(sites)-named)
}

// printSites prints ListSites results as a table, one row per device.
func printSites(w io.Writer, sites []*ctiv1.Site) {
	tw := newTable(w)
	row(tw, "SITE", "DEVICE", "MODEL", "DRIVER", "DRIVER-STATE")
	for _, s := range sites {
		if len(s.GetDevices()) == 0 {
			row(tw, s.GetName(), "", "", "", "")
		}
		for _, d := range s.GetDevices() {
			row(tw, s.GetName(), d.GetDevice(), d.GetModel(), d.GetDriver(), enumWord(d.GetDriverState()))
		}
	}
	tw.Flush()
}

// codeNames are the canonical gRPC code names in lower case.
var codeNames = map[codes.Code]string{
	codes.OK:                 "ok",
	codes.Canceled:           "cancelled",
	codes.Unknown:            "unknown",
	codes.InvalidArgument:    "invalid_argument",
	codes.DeadlineExceeded:   "deadline_exceeded",
	codes.NotFound:           "not_found",
	codes.AlreadyExists:      "already_exists",
	codes.PermissionDenied:   "permission_denied",
	codes.ResourceExhausted:  "resource_exhausted",
	codes.FailedPrecondition: "failed_precondition",
	codes.Aborted:            "aborted",
	codes.OutOfRange:         "out_of_range",
	codes.Unimplemented:      "unimplemented",
	codes.Internal:           "internal",
	codes.Unavailable:        "unavailable",
	codes.DataLoss:           "data_loss",
	codes.Unauthenticated:    "unauthenticated",
}

// codeWord prints a gRPC code as its canonical name in lower case.
func codeWord(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "code_" + strconv.Itoa(int(c))
}

// formatRPCError prints `<rpc>: <code>: <message>` followed by the
// VendorError details of the status, if any, as
// `[vendor=V code=C message="M" device=D]`.
func formatRPCError(rpc string, err error) string {
	st := status.Convert(err)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", rpc, codeWord(st.Code()), st.Message())
	for _, d := range st.Details() {
		v, ok := d.(*ctiv1.VendorError)
		if !ok {
			continue
		}
		fields := []string{"vendor=" + v.GetVendor()}
		if v.GetCode() != "" {
			fields = append(fields, "code="+v.GetCode())
		}
		if v.GetMessage() != "" {
			fields = append(fields, "message="+strconv.Quote(v.GetMessage()))
		}
		if v.GetDevice() != "" {
			fields = append(fields, "device="+v.GetDevice())
		}
		fmt.Fprintf(&b, " [%s]", strings.Join(fields, " "))
	}
	return b.String()
}

// printContacts prints directory entries as a table, best match first.
func printContacts(w io.Writer, contacts []*ctiv1.Contact) {
	if len(contacts) == 0 {
		fmt.Fprintln(w, "no contact found")
		return
	}
	tw := newTable(w)
	row(tw, "NAME", "COMPANY", "NUMBERS", "SOURCE", "ID")
	for _, c := range contacts {
		row(tw, c.GetName(), c.GetCompany(), strings.Join(c.GetNumbers(), ", "), c.GetSource(), c.GetId())
	}
	tw.Flush()
}
