package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// testDevices is what the fake ListDevices answers.
var testDevices = &ctiv1.ListDevicesResponse{Devices: []*ctiv1.Device{
	{
		Device: "hq/reception", Model: "GXP2170", Name: "Reception Desk", Kind: ctiv1.DeviceKind_DEVICE_KIND_PHONE,
		Configured: true, Site: "hq", Driver: "grandstream",
		Capabilities: []ctiv1.Capability{ctiv1.Capability_CAPABILITY_DIAL, ctiv1.Capability_CAPABILITY_ANSWER,
			ctiv1.Capability_CAPABILITY_SEND_KEYS},
	},
	{
		Device: "branch/201", Model: "IP Office", Name: "Bob Smith", Kind: ctiv1.DeviceKind_DEVICE_KIND_EXTENSION,
		Site: "branch", Driver: "ipoffice",
		Capabilities: []ctiv1.Capability{ctiv1.Capability_CAPABILITY_SET_DND},
	},
}}

// TestDevices checks the site filter sent and the table printed.
func TestDevices(t *testing.T) {
	var reqs requests
	addr := startFake(t, &fakeHost{listDevices: func(_ context.Context, r *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
		reqs.add(r)
		return testDevices, nil
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "devices", "--site", "hq", "-site", "branch")
	expect(t, code, out, errOut, 0, ""+
		"DEVICE        KIND       MODEL      NAME            DRIVER       SOURCE      CAPABILITIES\n"+
		"hq/reception  phone      GXP2170    Reception Desk  grandstream  configured  dial,answer,send_keys\n"+
		"branch/201    extension  IP Office  Bob Smith       ipoffice     discovered  set_dnd\n", "")
	reqs.check(t, &ctiv1.ListDevicesRequest{Sites: []string{"hq", "branch"}})
}

// TestDevicesJSONAndEnvAddr checks -json output and the CTICTL_ADDR default.
func TestDevicesJSONAndEnvAddr(t *testing.T) {
	var reqs requests
	addr := startFake(t, &fakeHost{listDevices: func(_ context.Context, r *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
		reqs.add(r)
		return testDevices, nil
	}}, nil)
	t.Setenv("CTICTL_ADDR", addr)
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{"devices", "-json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit status %d, stderr %q", code, errOut.String())
	}
	got := &ctiv1.ListDevicesResponse{}
	if err := protojson.Unmarshal([]byte(out.String()), got); err != nil {
		t.Fatalf("stdout is not protojson: %v\n%s", err, out.String())
	}
	if !proto.Equal(got, testDevices) {
		t.Errorf("json output decodes to %v, want %v", got, testDevices)
	}
	reqs.check(t, &ctiv1.ListDevicesRequest{})
}

// TestState checks the request and every section of the state output.
func TestState(t *testing.T) {
	var reqs requests
	dnd := true
	updated := time.Date(2025, 3, 14, 15, 4, 5, 0, time.Local)
	addr := startFake(t, &fakeHost{getDeviceState: func(_ context.Context, r *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
		reqs.add(r)
		return &ctiv1.DeviceState{
			Device: "hq/reception", Model: "GXP2170", UpdatedAt: timestamppb.New(updated),
			Status: &ctiv1.DeviceStatus{
				Reachable: true, Registration: ctiv1.Registration_REGISTRATION_REGISTERED, Dnd: &dnd,
				Presence: ctiv1.Presence_PRESENCE_BUSY,
				Forwards: []*ctiv1.Forward{{Mode: ctiv1.ForwardMode_FORWARD_MODE_BUSY, Destination: "2001"}},
			},
			Lines: []*ctiv1.Line{
				{Number: 1, Account: "1001", Registration: ctiv1.Registration_REGISTRATION_REGISTERED, CallId: "1-3", VendorState: "busy"},
				{Number: 2, Account: "1002", Registration: ctiv1.Registration_REGISTRATION_UNREGISTERED},
			},
			Calls: []*ctiv1.Call{{
				CallId: "1-3", State: ctiv1.CallState_CALL_STATE_HELD_BY_REMOTE, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
				Remote: &ctiv1.Party{Number: "5551234", Name: "Alice"}, Local: &ctiv1.Party{Number: "1001"}, Line: 1,
				AvailableOperations: []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP, ctiv1.Capability_CAPABILITY_BLIND_TRANSFER},
			}},
			Queues: []*ctiv1.QueueMembership{{Queue: "600", Name: "Sales", Status: ctiv1.AgentStatus_AGENT_STATUS_PAUSED, PauseReason: "lunch"}},
		}, nil
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "state", "hq/reception")
	expect(t, code, out, errOut, 0, ""+
		"device        hq/reception\n"+
		"model         GXP2170\n"+
		"reachable     yes\n"+
		"registration  registered\n"+
		"presence      busy\n"+
		"dnd           on\n"+
		"forward       busy -> 2001\n"+
		"detail        -\n"+
		"updated       2025-03-14 15:04:05\n"+
		"\nlines:\n"+
		"LINE  ACCOUNT  REGISTRATION  CALL  VENDOR-STATE\n"+
		"1     1001     registered    1-3   busy\n"+
		"2     1002     unregistered  -     -\n"+
		"\ncalls:\n"+
		"CALL  STATE           DIRECTION  LINE  REMOTE           LOCAL  MUTED  RELATED  VENDOR-STATE  OPERATIONS\n"+
		"1-3   held_by_remote  inbound    1     5551234 \"Alice\"  1001   no     -        -             hangup,blind_transfer\n"+
		"\nqueues:\n"+
		"QUEUE  NAME   STATUS  PAUSE-REASON\n"+
		"600    Sales  paused  lunch\n", "")
	reqs.check(t, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"})
}

// TestDial checks a flag after the positional arguments and the call id
// printed.
func TestDial(t *testing.T) {
	var reqs requests
	addr := startFake(t, &fakeHost{dial: func(_ context.Context, r *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
		reqs.add(r)
		return &ctiv1.DialResponse{CallId: "1-7"}, nil
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "dial", "hq/reception", "5551234", "--line", "2")
	expect(t, code, out, errOut, 0, "call 1-7\n", "")
	reqs.check(t, &ctiv1.DialRequest{Device: "hq/reception", Destination: "5551234", Line: 2})
}

// TestKeys checks that the colon-joined form is split into keys, and that
// the spaced form sends the same request.
func TestKeys(t *testing.T) {
	var reqs requests
	addr := startFake(t, &fakeHost{sendKeys: func(_ context.Context, r *ctiv1.SendKeysRequest) (*ctiv1.CommandResponse, error) {
		reqs.add(r)
		return &ctiv1.CommandResponse{}, nil
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "keys", "hq/reception", "1:0:0:0:SEND")
	expect(t, code, out, errOut, 0, "ok\n", "")
	code, out, errOut = runCLI(context.Background(), addr, "keys", "hq/reception", "1", "0", "0", "0", "SEND")
	expect(t, code, out, errOut, 0, "ok\n", "")
	want := &ctiv1.SendKeysRequest{Device: "hq/reception", Keys: []string{"1", "0", "0", "0", "SEND"}}
	reqs.check(t, want, want)
}

// TestDND checks on and off, and that a bad word is refused locally.
func TestDND(t *testing.T) {
	var reqs requests
	addr := startFake(t, &fakeHost{setDND: func(_ context.Context, r *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
		reqs.add(r)
		return &ctiv1.CommandResponse{}, nil
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "dnd", "hq/reception", "on")
	expect(t, code, out, errOut, 0, "ok\n", "")
	code, out, errOut = runCLI(context.Background(), addr, "-json", "dnd", "hq/reception", "off")
	expect(t, code, out, errOut, 0, "{}\n", "")
	code, out, errOut = runCLI(context.Background(), addr, "dnd", "hq/reception", "maybe")
	expect(t, code, out, errOut, 2, "", "ctictl: dnd: want on or off, got \"maybe\"\n"+
		"usage: ctictl dnd <site/device> on|off\nrun 'ctictl dnd -h' for details\n")
	reqs.check(t,
		&ctiv1.SetDNDRequest{Device: "hq/reception", Enabled: true},
		&ctiv1.SetDNDRequest{Device: "hq/reception", Enabled: false})
}

// TestLookup checks a look-up by number and by name, and the table.
func TestLookup(t *testing.T) {
	var reqs requests
	addr := startFake(t, &fakeHost{lookupContact: func(_ context.Context, r *ctiv1.LookupContactRequest) (*ctiv1.LookupContactResponse, error) {
		reqs.add(r)
		if r.GetQuery() != "" {
			return &ctiv1.LookupContactResponse{}, nil
		}
		return &ctiv1.LookupContactResponse{Contacts: []*ctiv1.Contact{{Id: "17", Source: "mirta:phonebook/Customers",
			Name: "Ada Lovelace", Company: "ACME Corp", Numbers: []string{"01632960001", "07700900001"}}}}, nil
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "lookup", "mt/101", "01632960001")
	expect(t, code, out, errOut, 0, "NAME          COMPANY    NUMBERS                   SOURCE                     ID\n"+
		"Ada Lovelace  ACME Corp  01632960001, 07700900001  mirta:phonebook/Customers  17\n", "")
	code, out, errOut = runCLI(context.Background(), addr, "lookup", "mt/101", "--name", "ACME", "--limit", "5")
	expect(t, code, out, errOut, 0, "no contact found\n", "")
	reqs.check(t,
		&ctiv1.LookupContactRequest{Device: "mt/101", Number: "01632960001"},
		&ctiv1.LookupContactRequest{Device: "mt/101", Query: "ACME", Limit: 5})
}

// TestPlugins checks the plugins table.
func TestPlugins(t *testing.T) {
	var reqs requests
	addr := startFake(t, nil, &fakeAdmin{listPlugins: func(_ context.Context, r *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error) {
		reqs.add(r)
		return &ctiv1.ListPluginsResponse{Plugins: []*ctiv1.PluginInstance{
			{Site: "branch", Driver: "ipoffice", State: ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP, Version: "0.9.0",
				Restarts: 5, Devices: 3, LastError: "exit status 2:\tdial tcp 10.1.2.3:443: connection refused\n"},
			{Site: "hq", Driver: "grandstream", State: ctiv1.DriverState_DRIVER_STATE_RUNNING, Version: "1.4.2",
				Pid: 4242, Restarts: 1, UptimeSeconds: 3725, Devices: 12},
			{Sites: []string{"branch", "hq"}, Driver: "acme", State: ctiv1.DriverState_DRIVER_STATE_RUNNING, Version: "0.1.0",
				Pid: 4243, UptimeSeconds: 60, Devices: 4},
			{Sites: []string{"a", "b", "c", "d", "e"}, Driver: "yealink", State: ctiv1.DriverState_DRIVER_STATE_RUNNING, Version: "2.0.0",
				Pid: 4244, UptimeSeconds: 60, Devices: 10},
		}}, nil
	}})
	code, out, errOut := runCLI(context.Background(), addr, "plugins")
	expect(t, code, out, errOut, 0, ""+
		"SITE                DRIVER       STATE       VERSION  PID   RESTARTS  SWAPS  UPTIME  DEVICES  LAST-ERROR\n"+
		"branch              ipoffice     crash_loop  0.9.0    -     5         0      -       3        exit status 2: dial tcp 10.1.2.3:443: connection refused\n"+
		"hq                  grandstream  running     1.4.2    4242  1         0      1h2m5s  12       -\n"+
		"branch,hq (shared)  acme         running     0.1.0    4243  0         0      1m0s    4        -\n"+
		"a,b,c +2 (shared)   yealink      running     2.0.0    4244  0         0      1m0s    10       -\n", "")
	reqs.check(t, &ctiv1.ListPluginsRequest{})
}

// A host of a cluster says which host runs each site.
func TestPluginsShowTheHostOfEachSiteInACluster(t *testing.T) {
	addr := startFake(t, nil, &fakeAdmin{listPlugins: func(context.Context, *ctiv1.ListPluginsRequest) (*ctiv1.ListPluginsResponse, error) {
		return &ctiv1.ListPluginsResponse{Plugins: []*ctiv1.PluginInstance{
			{Site: "branch", Driver: "grandstream", State: ctiv1.DriverState_DRIVER_STATE_STOPPED, Devices: 2, Host: "host-c"},
			{Site: "hq", Driver: "grandstream", State: ctiv1.DriverState_DRIVER_STATE_RUNNING, Version: "1.4.2", Pid: 4242, UptimeSeconds: 60, Devices: 12, Host: "host-a"},
		}}, nil
	}})
	code, out, errOut := runCLI(context.Background(), addr, "plugins")
	expect(t, code, out, errOut, 0, ""+
		"SITE    HOST    DRIVER       STATE    VERSION  PID   RESTARTS  SWAPS  UPTIME  DEVICES  LAST-ERROR\n"+
		"branch  host-c  grandstream  stopped  -        -     0         0      -       2        -\n"+
		"hq      host-a  grandstream  running  1.4.2    4242  0         0      1m0s    12       -\n", "")
}

func TestPluginsSwapSendsTheCanaryOrder(t *testing.T) {
	var reqs requests
	addr := startFake(t, nil, &fakeAdmin{swapPlugin: func(_ context.Context, r *ctiv1.SwapPluginRequest) (*ctiv1.SwapPluginResponse, error) {
		reqs.add(r)
		return &ctiv1.SwapPluginResponse{Plugins: []*ctiv1.PluginInstance{
			{Site: "hq", Driver: "grandstream", State: ctiv1.DriverState_DRIVER_STATE_RUNNING, Version: "1.5.0", Pid: 77, Swaps: 1, Devices: 3},
		}, DurationsMs: []int64{57}}, nil
	}})
	code, out, errOut := runCLI(context.Background(), addr, "plugins", "swap", "grandstream", "--binary", "/opt/new", "--site", "hq")
	expect(t, code, out, errOut, 0, ""+
		"SITE  DRIVER       STATE    VERSION  PID  RESTARTS  SWAPS  UPTIME  DEVICES  LAST-ERROR\n"+
		"hq    grandstream  running  1.5.0    77   0         1      -       3        -\n"+
		"swapped hq/grandstream in 57ms\n", "")
	reqs.check(t, &ctiv1.SwapPluginRequest{Driver: "grandstream", Binary: "/opt/new", Sites: []string{"hq"}})
}

// TestVendorError checks how a failed RPC with a VendorError detail is
// reported.
func TestVendorError(t *testing.T) {
	addr := startFake(t, &fakeHost{dial: func(context.Context, *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
		st, err := status.New(codes.FailedPrecondition, "line 1 of hq/reception is busy").WithDetails(
			&ctiv1.VendorError{Vendor: "grandstream", Code: "609", Message: "Line busy", Device: "hq/reception"})
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "dial", "hq/reception", "5551234")
	expect(t, code, out, errOut, 1, "", "ctictl: Dial: failed_precondition: line 1 of hq/reception is busy "+
		"[vendor=grandstream code=609 message=\"Line busy\" device=hq/reception]\n")

	// A method the fake does not implement: plain status, no details.
	code, out, errOut = runCLI(context.Background(), addr, "hangup", "hq/reception", "1-3")
	expect(t, code, out, errOut, 1, "", "ctictl: Hangup: unimplemented: method Hangup not implemented\n")
}

// TestUsage checks help output and local refusals, which exit without
// sending anything (the fake implements nothing, so a sent request would
// exit 1).
func TestUsage(t *testing.T) {
	addr := startFake(t, nil, nil)
	for _, tc := range []struct {
		args     []string
		code     int
		inOut    string
		inStderr string
	}{
		{args: []string{"help"}, code: 0, inOut: "complete-transfer <site/device> <held-call> <consult-call>"},
		{args: []string{"help", "events"}, code: 0, inOut: "ctictl events --site hq --kind call"},
		{args: []string{"keys", "-h"}, code: 0, inOut: "ctictl keys hq/reception 1:0:0:0:SEND"},
		{args: []string{"reset", "hq/reception"}, code: 2, inStderr: "refusing to factory-reset hq/reception without --yes-really"},
		{args: []string{"state", "reception"}, code: 2, inStderr: `device "reception" is not of the form site/device`},
		{args: []string{"dial", "hq/reception"}, code: 2, inStderr: "missing arguments"},
		{args: []string{"queue", "join", "hq/agent1"}, code: 2, inStderr: "queue join needs a queue"},
		{args: []string{"queue", "join", "hq/agent1", "600", "--reason", "x"}, code: 2, inStderr: "--reason is for pause only"},
		{args: []string{"forward", "hq/reception", "sometimes", "2001"}, code: 2, inStderr: "forward mode must be"},
		{args: []string{"events", "--kind", "sms"}, code: 2, inStderr: "--kind must be call, device, devices, queue or driver"},
		{args: []string{"frobnicate"}, code: 2, inStderr: `unknown command "frobnicate"`},
		{args: []string{"dial", "--bogus", "hq/reception", "1"}, code: 2, inStderr: "flag provided but not defined: -bogus"},
		{args: []string{}, code: 2, inStderr: "usage: ctictl [global flags] <command>"},
	} {
		code, out, errOut := runCLI(context.Background(), addr, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.inOut) || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("ctictl %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tc.args, code, out, errOut, tc.code, tc.inOut, tc.inStderr)
		}
	}
}
