package grandstream

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

const testPasscode = "Gr4nd-Secret-77"

// rig is one driver with simulated phones, driven in-process.
type rig struct {
	d    *Driver
	sims map[string]*gssim.Phone
}

func newRig(t *testing.T, models map[string]string) *rig {
	t.Helper()
	return newRigWith(t, models, nil)
}

// newRigWith is newRig with the simulated phones' options changed by set.
func newRigWith(t *testing.T, models map[string]string, set func(*gssim.Options)) *rig {
	t.Helper()
	r := &rig{d: New(hclog.NewNullLogger()), sims: map[string]*gssim.Phone{}}
	req := &ctiv1.ConfigureRequest{Site: "test", Settings: map[string]string{"poll_interval": "1h", "request_timeout": "300ms"}}
	for id, model := range models {
		opts := gssim.Options{Model: model, Passcode: testPasscode, SlowDelay: 2 * time.Second}
		if set != nil {
			set(&opts)
		}
		sim, err := gssim.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		r.sims[id] = sim
		req.Devices = append(req.Devices, &ctiv1.DeviceConfig{Device: id, Model: model, Settings: map[string]string{
			"host": strings.TrimPrefix(srv.URL, "http://"), "passcode": testPasscode,
		}})
	}
	if _, err := r.d.Configure(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.d.stop() })
	return r
}

// poll runs one poll of device now (the test interval is an hour).
func (r *rig) poll(t *testing.T, device string) *ctiv1.DeviceState {
	t.Helper()
	p, err := r.d.phone(device)
	if err != nil {
		t.Fatal(err)
	}
	p.poll(context.Background())
	return p.state()
}

// lastRequest returns the newest request the phone received that is not a
// status poll.
func (r *rig) lastCommand(device string) string {
	reqs := r.sims[device].Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if !strings.Contains(reqs[i], "status") && !strings.Contains(reqs[i], "get_accounts") {
			return reqs[i]
		}
	}
	return ""
}

func TestCommandsSendTheGuidesRequests(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, map[string]string{"gxp": "GXP2135", "dp": "DP750"})
	pass := "passcode=" + testPasscode

	resp, err := r.d.Dial(ctx, &ctiv1.DialRequest{Device: "gxp", Destination: "1000"})
	if err != nil {
		t.Fatal(err)
	}
	// GXP has no make_call: the number is typed and sent (guide: keys=1:0:0:0).
	if got, want := r.lastCommand("gxp"), "/cgi-bin/api-send_key?"+pass+"&keys=1:0:0:0:SEND"; got != want {
		t.Errorf("GXP dial sent %s, want %s", got, want)
	}
	if resp.GetCallId() == "" {
		t.Errorf("dial returned no call id although the poll shows the call")
	}
	if err := r.sims["gxp"].RemoteAnswer(1); err != nil {
		t.Fatal(err)
	}
	r.poll(t, "gxp")
	if _, err := r.d.Hold(ctx, &ctiv1.CallRequest{Device: "gxp", CallId: resp.GetCallId()}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.lastCommand("gxp"), "/cgi-bin/api-phone_operation?"+pass+"&cmd=holdcall"; got != want {
		t.Errorf("GXP hold sent %s, want %s", got, want)
	}
	r.poll(t, "gxp")
	if _, err := r.d.Resume(ctx, &ctiv1.CallRequest{Device: "gxp", CallId: resp.GetCallId()}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.lastCommand("gxp"), "/cgi-bin/api-send_key?"+pass+"&keys=LINE1"; got != want {
		t.Errorf("GXP resume sent %s, want %s", got, want)
	}
	st := r.poll(t, "gxp")
	if len(st.GetCalls()) != 1 || st.GetCalls()[0].GetState() != ctiv1.CallState_CALL_STATE_CONNECTED {
		t.Errorf("after resume the calls are %v, want one connected", st.GetCalls())
	}
	if _, err := r.d.SendDTMF(ctx, &ctiv1.SendDTMFRequest{Device: "gxp", CallId: resp.GetCallId(), Digits: "12#"}); err != nil {
		t.Fatal(err)
	}
	// '#' cannot travel raw in a URL: the GXP gets %23 (FLASH thread, bug 14725).
	if got, want := r.lastCommand("gxp"), "/cgi-bin/api-send_key?"+pass+"&keys=1:2:%23"; got != want {
		t.Errorf("GXP dtmf sent %s, want %s", got, want)
	}

	if _, err := r.d.Dial(ctx, &ctiv1.DialRequest{Device: "dp", Destination: "3501"}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.lastCommand("dp"), "/cgi-bin/api-make_call?"+pass+"&hs=1&phonenumber=3501"; got != want {
		t.Errorf("DP dial sent %s, want %s", got, want)
	}
	if _, err := r.d.SetDND(ctx, &ctiv1.SetDNDRequest{Device: "dp", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.lastCommand("dp"), "/cgi-bin/api-device_operation?"+pass+"&hs=1&cmd=setdnd"; got != want {
		t.Errorf("DP dnd sent %s, want %s", got, want)
	}
	if st := r.poll(t, "dp"); !st.GetStatus().GetDnd() {
		t.Errorf("DP state does not show the DND the driver set")
	}
	if _, err := r.d.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "dp", Keys: []string{"1", "#", "*"}}); err != nil {
		t.Fatal(err)
	}
	// On DP models # is HASH and * is STAR (guide, send key table).
	if got, want := r.lastCommand("dp"), "/cgi-bin/api-send_key?"+pass+"&hs=1&keys=1:HASH:STAR"; got != want {
		t.Errorf("DP keys sent %s, want %s", got, want)
	}
	if _, err := r.d.Reboot(ctx, &ctiv1.DeviceRequest{Device: "dp"}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.lastCommand("dp"), "/cgi-bin/api-sys_operation?"+pass+"&request=REBOOT"; got != want {
		t.Errorf("DP reboot sent %s, want %s", got, want)
	}
}

func TestDeviceAnswersMapToActionableCodes(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		fault      gssim.Fault
		code       codes.Code
		words      string
		vendorCode string // the phone's own code: never a body
	}{
		{gssim.FaultWrongPasscode, codes.PermissionDenied, "passcode", "http 401"},
		{gssim.FaultHTTP500, codes.Unavailable, "outcome is unknown", "http 500"},
		{gssim.FaultGarbage, codes.Unavailable, "not a CTI answer", ""},
		{gssim.FaultHTML, codes.Unavailable, "not a CTI answer", ""},
		{gssim.FaultSlow, codes.Unavailable, "in time", ""},
		{gssim.FaultDrop, codes.Unavailable, "dropped the connection", ""},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			r := newRig(t, map[string]string{"gxp": "GXP2135"})
			r.sims["gxp"].SetFault(c.fault)
			_, err := r.d.Reboot(ctx, &ctiv1.DeviceRequest{Device: "gxp"})
			st := sdk.Status(err)
			if st.Code() != c.code || !strings.Contains(st.Message(), c.words) || !strings.Contains(st.Message(), `"gxp"`) {
				t.Errorf("got %v %q, want %v naming the device and saying %q", st.Code(), st.Message(), c.code, c.words)
			}
			v := sdk.VendorDetail(st.Err())
			if v.GetVendor() != "grandstream" || v.GetDevice() != "gxp" || v.GetCode() != c.vendorCode {
				t.Errorf("vendor detail = %v, want code %q", v, c.vendorCode)
			}
			// One line each: a device's HTML must not make an app's error
			// span lines.
			for _, text := range []string{st.Message(), v.GetCode(), v.GetMessage()} {
				if strings.ContainsFunc(text, func(r rune) bool { return r < ' ' }) {
					t.Errorf("control characters in %q", text)
				}
			}
			if strings.Contains(fmt.Sprint(st.Proto()), testPasscode) {
				t.Errorf("the passcode leaks into the status: %v", st.Proto())
			}
			state := r.poll(t, "gxp")
			if state.GetStatus().GetReachable() || strings.Contains(state.GetStatus().GetDetail(), testPasscode) {
				t.Errorf("after a failed poll status = %v, want unreachable without the passcode", state.GetStatus())
			}
		})
	}
}

// A command that reached the phone but got no readable answer has an
// unknown outcome: a reboot or a dial must not be repeated blindly, and the
// error says so, in the host's words for a driver that died. An idempotent
// command keeps the plain advice.
func TestUnreadableAnswersToUnsafeCommandsSayTheOutcomeIsUnknown(t *testing.T) {
	ctx := context.Background()
	const unknown = "the command's outcome is unknown, check the device state before retrying"
	for _, fault := range []gssim.Fault{gssim.FaultGarbage, gssim.FaultHTML, gssim.FaultHTTP500, gssim.FaultDrop, gssim.FaultSlow} {
		t.Run(fault.String(), func(t *testing.T) {
			r := newRig(t, map[string]string{"gxp": "GXP2135"})
			r.sims["gxp"].SetFault(fault)
			unsafe := map[string]error{}
			_, unsafe["reboot"] = r.d.Reboot(ctx, &ctiv1.DeviceRequest{Device: "gxp"})
			_, unsafe["dial"] = r.d.Dial(ctx, &ctiv1.DialRequest{Device: "gxp", Destination: "100"})
			_, unsafe["keys"] = r.d.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "gxp", Keys: []string{"VUP"}})
			for op, err := range unsafe {
				if st := sdk.Status(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), unknown) {
					t.Errorf("%s: %v %q, want Unavailable saying %q", op, st.Code(), st.Message(), unknown)
				}
			}
		})
	}
	r := newRig(t, map[string]string{"dect": "DP750"})
	r.sims["dect"].SetFault(gssim.FaultGarbage)
	_, err := r.d.SetDND(ctx, &ctiv1.SetDNDRequest{Device: "dect", Enabled: true})
	if st := sdk.Status(err); strings.Contains(st.Message(), "outcome is unknown") {
		t.Errorf("set dnd, which is safe to repeat: %q", st.Message())
	}
}

// A call the phone reports connected at the first poll after a dial (no
// calling state seen) is that dial's call: Dial returns its id and it is
// OUTBOUND.
func TestDialedCallConnectedAtOnceHasItsIDAndDirection(t *testing.T) {
	ctx := context.Background()
	r := newRigWith(t, map[string]string{"gxp": "GXP2135", "dect": "DP750"}, func(o *gssim.Options) { o.AnswerAtOnce = true })
	for _, dev := range []string{"gxp", "dect"} {
		resp, err := r.d.Dial(ctx, &ctiv1.DialRequest{Device: dev, Destination: "5551234"})
		if err != nil {
			t.Fatalf("%s: %v", dev, err)
		}
		calls := r.poll(t, dev).GetCalls()
		if resp.GetCallId() == "" || len(calls) != 1 || calls[0].GetCallId() != resp.GetCallId() ||
			calls[0].GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND || calls[0].GetState() != ctiv1.CallState_CALL_STATE_CONNECTED {
			t.Errorf("%s: dial answered call %q; calls %v, want that call OUTBOUND and CONNECTED", dev, resp.GetCallId(), calls)
		}
	}
}

// Hangup of a ringing call declines it with rejectcall, on GXP and DP.
func TestHangupOfARingingCallRejectsIt(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, map[string]string{"gxp": "GXP2135", "dect": "DP750"})
	for dev, want := range map[string]string{"gxp": "cmd=rejectcall", "dect": "cmd=rejectcall"} {
		if _, err := r.sims[dev].RingIn("5550100", "Bob"); err != nil {
			t.Fatal(err)
		}
		call := r.poll(t, dev).GetCalls()[0]
		if _, err := r.d.Hangup(ctx, &ctiv1.CallRequest{Device: dev, CallId: call.GetCallId()}); err != nil {
			t.Fatalf("%s: Hangup of a ringing call: %v", dev, err)
		}
		if got := r.lastCommand(dev); !strings.Contains(got, want) {
			t.Errorf("%s: sent %q, want %s", dev, got, want)
		}
		if calls := r.poll(t, dev).GetCalls(); len(calls) != 0 {
			t.Errorf("%s: the ringing call is still there: %v", dev, calls)
		}
	}
}

// Hangup of a call still being set up sends cancel: an outbound call the
// far end has not answered (RINGBACK, "calling") on GXP and DP, and digits
// typed but not sent (DIALING) on GXP.
func TestHangupOfACallBeingSetUpCancelsIt(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, map[string]string{"gxp": "GXP2135", "dect": "DP750"})
	hangUp := func(dev string, want ctiv1.CallState) {
		t.Helper()
		calls := r.poll(t, dev).GetCalls()
		if len(calls) != 1 || calls[0].GetState() != want {
			t.Fatalf("%s: calls %v, want one %v", dev, calls, want)
		}
		if _, err := r.d.Hangup(ctx, &ctiv1.CallRequest{Device: dev, CallId: calls[0].GetCallId()}); err != nil {
			t.Fatalf("%s: Hangup of a %v call: %v", dev, want, err)
		}
		if got := r.lastCommand(dev); !strings.Contains(got, "cmd=cancel") {
			t.Errorf("%s: Hangup of a %v call sent %q, want cmd=cancel", dev, want, got)
		}
		if calls := r.poll(t, dev).GetCalls(); len(calls) != 0 {
			t.Errorf("%s: after cancel the phone still has %v", dev, calls)
		}
	}
	for _, dev := range []string{"gxp", "dect"} {
		if _, err := r.d.Dial(ctx, &ctiv1.DialRequest{Device: dev, Destination: "5551234"}); err != nil {
			t.Fatal(err)
		}
		hangUp(dev, ctiv1.CallState_CALL_STATE_RINGBACK)
	}
	if _, err := r.d.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "gxp", Keys: []string{"5", "5"}}); err != nil {
		t.Fatal(err)
	}
	hangUp("gxp", ctiv1.CallState_CALL_STATE_DIALING)
}

func TestRefusedCommandIsFailedPreconditionWithVendorBody(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, map[string]string{"gxp": "GXP2135"})
	if _, err := r.sims["gxp"].RingIn("5550100", "Bob"); err != nil {
		t.Fatal(err)
	}
	st := r.poll(t, "gxp")
	call := st.GetCalls()[0]
	r.sims["gxp"].RemoteHangup(int(call.GetLine())) // the caller gives up before the app answers
	_, err := r.d.Answer(ctx, &ctiv1.CallRequest{Device: "gxp", CallId: call.GetCallId()})
	if s := sdk.Status(err); s.Code() != codes.FailedPrecondition || sdk.VendorDetail(s.Err()).GetCode() != "false" {
		t.Errorf("answering a vanished call: %v (vendor %v), want FailedPrecondition with the phone's body false", s, sdk.VendorDetail(s.Err()))
	}
}

func TestCallStateRulesAreCheckedBeforeTheDeviceIsAsked(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, map[string]string{"gxp": "GXP1165"})
	if _, err := r.sims["gxp"].RingIn("5550100", ""); err != nil {
		t.Fatal(err)
	}
	call := r.poll(t, "gxp").GetCalls()[0]
	before := len(r.sims["gxp"].Requests())
	_, err := r.d.Hold(ctx, &ctiv1.CallRequest{Device: "gxp", CallId: call.GetCallId()})
	if status.Code(sdk.Status(err).Err()) != codes.FailedPrecondition {
		t.Errorf("hold of a ringing call: %v, want FailedPrecondition", err)
	}
	_, err = r.d.Hangup(ctx, &ctiv1.CallRequest{Device: "gxp", CallId: "7-77"})
	if sdk.Status(err).Code() != codes.NotFound {
		t.Errorf("unknown call: %v, want NotFound", err)
	}
	_, err = r.d.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "gxp", Keys: []string{"XFER", "FLASH"}})
	if s := sdk.Status(err); s.Code() != codes.InvalidArgument || !strings.Contains(s.Message(), "FLASH") {
		t.Errorf("FLASH on a GXP1165: %v, want InvalidArgument explaining FLASH", s)
	}
	if after := len(r.sims["gxp"].Requests()); after != before {
		t.Errorf("rejected commands reached the phone (%d requests)", after-before)
	}
}

func TestEveryModelDeclaresOnlyWhatItsFamilyHas(t *testing.T) {
	for _, m := range models() {
		has := map[ctiv1.Capability]bool{}
		for _, c := range m.GetCapabilities() {
			has[c] = true
		}
		dp := strings.HasPrefix(m.GetModel(), "DP")
		if has[ctiv1.Capability_CAPABILITY_SET_DND] != dp || has[ctiv1.Capability_CAPABILITY_BLIND_TRANSFER] == dp {
			t.Errorf("%s: DND %v, blind transfer %v", m.GetModel(), has[ctiv1.Capability_CAPABILITY_SET_DND], has[ctiv1.Capability_CAPABILITY_BLIND_TRANSFER])
		}
		if len(m.GetKeys()) == 0 || m.GetDescription() == "" {
			t.Errorf("%s lists no keys or no description", m.GetModel())
		}
	}
	if !strings.Contains(modelInfo("gxp1165").GetDescription(), "FLASH") {
		t.Errorf("the GXP1165 description does not explain the missing FLASH key")
	}
}

func TestStatusPollReportsRegistrationPresenceAndPairing(t *testing.T) {
	r := newRig(t, map[string]string{"gxp": "GXP2135", "dp": "DP750"})
	gxp := r.poll(t, "gxp").GetStatus()
	if !gxp.GetReachable() || gxp.GetRegistration() != ctiv1.Registration_REGISTRATION_REGISTERED || gxp.GetPresence() != ctiv1.Presence_PRESENCE_AVAILABLE {
		t.Errorf("GXP status = %v, want reachable, registered, available", gxp)
	}
	if dp := r.poll(t, "dp").GetStatus(); dp.GetRegistration() != ctiv1.Registration_REGISTRATION_REGISTERED || dp.GetDetail() != "" {
		t.Errorf("DP status = %v, want registered with handset 1 paired", dp)
	}
	r.sims["gxp"].SetFault(gssim.FaultDrop)
	if st := r.poll(t, "gxp").GetStatus(); st.GetReachable() || st.GetDetail() == "" {
		t.Errorf("dropped phone status = %v, want unreachable with a reason", st)
	}
	r.sims["gxp"].SetFault(gssim.FaultNone)
	if st := r.poll(t, "gxp").GetStatus(); !st.GetReachable() || st.GetDetail() != "" {
		t.Errorf("recovered phone status = %v, want reachable without the old reason", st)
	}
}

func TestHashOnlyEndsAGXPNumber(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, map[string]string{"gxp": "GXP2135"})
	if _, err := r.d.Dial(ctx, &ctiv1.DialRequest{Device: "gxp", Destination: "12#"}); err != nil {
		t.Fatalf("dial 12#: %v", err)
	}
	// # sends the number on the GXP keypad, so no SEND follows it.
	if got, want := r.lastCommand("gxp"), "/cgi-bin/api-send_key?passcode="+testPasscode+"&keys=1:2:%23"; got != want {
		t.Errorf("dial 12# sent %s, want %s", got, want)
	}
	if _, err := r.d.Dial(ctx, &ctiv1.DialRequest{Device: "gxp", Destination: "1#2"}); sdk.Status(err).Code() != codes.InvalidArgument {
		t.Errorf("dial 1#2: %v, want InvalidArgument", err)
	}
}

// A command asks for an early poll, and a burst of commands (keys typed one
// by one) settles into far fewer polls than commands.
func TestABurstOfCommandsSettlesIntoFewPolls(t *testing.T) {
	r := newRig(t, map[string]string{"desk": "GXP2135"})
	const presses = 20
	began := time.Now()
	for i := range presses {
		if _, err := r.d.SendKeys(context.Background(), &ctiv1.SendKeysRequest{Device: "desk", Keys: []string{"VUP"}}); err != nil {
			t.Fatalf("press %d: %v", i, err)
		}
	}
	burst := time.Since(began)
	lineReads := func() int {
		n := 0
		for _, req := range r.sims["desk"].Requests() {
			if strings.Contains(req, "line_status") {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for lineReads() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no early poll after the commands (the poll interval is an hour)")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * commandSettle) // room for any poll still owed
	// At most one poll per settle period the burst lasted, plus the last.
	if n, most := lineReads(), 2+int(burst/commandSettle); n > most {
		t.Errorf("%d line reads after %d commands sent in %s: want at most %d", n, presses, burst, most)
	}
}
