package acme_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"

	acme "github.com/ctihost/ctihost/examples/driver-template"
	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
)

// configured returns a driver configured for one phone, in process.
func configured(t *testing.T, phone *acmesim.Phone, token string) *acme.Driver {
	t.Helper()
	srv := httptest.NewServer(phone)
	t.Cleanup(srv.Close)
	d := acme.New(hclog.NewNullLogger())
	_, err := d.Configure(t.Context(), &ctiv1.ConfigureRequest{
		Settings: map[string]string{"poll_interval": "20ms"},
		Devices:  []*ctiv1.DeviceConfig{{Device: "desk", Model: acme.Model, Settings: map[string]string{"host": srv.URL, "token": token}}},
	})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { _, _ = d.Configure(t.Context(), &ctiv1.ConfigureRequest{}) }) // stops the poller
	return d
}

// state polls GetDeviceState until cond holds.
func state(t *testing.T, d *acme.Driver, cond func(*ctiv1.DeviceState) bool) *ctiv1.DeviceState {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state never matched: %v, %v", st, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRefusedTokenIsPermissionDeniedAndNeverShown(t *testing.T) {
	const secret = "wrong-s3cret-token"
	d := configured(t, acmesim.NewPhone("right-token", 2), secret)
	st := state(t, d, func(st *ctiv1.DeviceState) bool { return st.GetStatus().GetDetail() != "not polled yet" })
	if st.GetStatus().GetReachable() || strings.Contains(st.GetStatus().GetDetail(), secret) || !strings.Contains(st.GetStatus().GetDetail(), "401") {
		t.Errorf("status %v: want unreachable, http 401, no token", st.GetStatus())
	}
	_, err := d.SetDND(t.Context(), &ctiv1.SetDNDRequest{Device: "desk", Enabled: true})
	s := sdk.Status(err)
	if s.Code() != codes.PermissionDenied || !strings.Contains(s.Message(), `"desk"`) || !strings.Contains(s.Message(), "config.hcl") {
		t.Errorf("SetDND with a refused token: %v %q", s.Code(), s.Message())
	}
	v := sdk.VendorDetail(s.Err())
	if v.GetCode() != "http 401" || v.GetDevice() != "desk" || strings.Contains(v.GetMessage(), secret) || !strings.Contains(v.GetMessage(), sdk.Redacted) {
		t.Errorf("vendor detail %v: want http 401 for desk with the token redacted", v)
	}
}

func TestUnreachablePhoneIsUnavailable(t *testing.T) {
	phone := acmesim.NewPhone("tok-123", 2)
	d := configured(t, phone, "tok-123")
	state(t, d, func(st *ctiv1.DeviceState) bool { return st.GetStatus().GetReachable() })
	phone.SetReachable(false)
	_, err := d.SetDND(t.Context(), &ctiv1.SetDNDRequest{Device: "desk", Enabled: true})
	if s := sdk.Status(err); s.Code() != codes.Unavailable || !strings.Contains(s.Message(), `"desk"`) {
		t.Errorf("SetDND on an unreachable phone: %v %q", s.Code(), s.Message())
	}
	state(t, d, func(st *ctiv1.DeviceState) bool { return !st.GetStatus().GetReachable() })
}

func TestHangupDeclinesARingingCallAndRejectNeedsOne(t *testing.T) {
	phone := acmesim.NewPhone("tok-123", 2)
	d := configured(t, phone, "tok-123")
	if err := phone.RingIn("2001"); err != nil {
		t.Fatal(err)
	}
	st := state(t, d, func(st *ctiv1.DeviceState) bool { return len(st.GetCalls()) == 1 })
	call := &ctiv1.CallRequest{Device: "desk", CallId: st.GetCalls()[0].GetCallId()}
	// Hangup of a ringing call declines it, as Reject would (driver.proto).
	if _, err := d.Hangup(t.Context(), call); err != nil {
		t.Errorf("Hangup of a ringing call: %v, want it declined", err)
	}
	state(t, d, func(st *ctiv1.DeviceState) bool { return len(st.GetCalls()) == 0 })

	if err := phone.RingIn("2002"); err != nil {
		t.Fatal(err)
	}
	st = state(t, d, func(st *ctiv1.DeviceState) bool { return len(st.GetCalls()) == 1 })
	call = &ctiv1.CallRequest{Device: "desk", CallId: st.GetCalls()[0].GetCallId()}
	if _, err := d.Answer(t.Context(), call); err != nil {
		t.Fatalf("Answer: %v", err)
	}
	_, err := d.Reject(t.Context(), call)
	if s := sdk.Status(err); s.Code() != codes.FailedPrecondition || !strings.Contains(s.Message(), "Hangup") {
		t.Errorf("Reject of a connected call: %v %q", s.Code(), s.Message())
	}
}

func TestConfigureReportsEveryProblem(t *testing.T) {
	d := acme.New(hclog.NewNullLogger())
	_, err := d.Configure(t.Context(), &ctiv1.ConfigureRequest{Devices: []*ctiv1.DeviceConfig{
		{Device: "a", Model: "ACME-9", Settings: map[string]string{"host": "h", "token": "t"}},
		{Device: "b", Model: acme.Model, Settings: map[string]string{"token": "t"}},
		{Device: "c", Model: acme.Model, Settings: map[string]string{"host": "h"}},
	}})
	s := sdk.Status(err)
	if s.Code() != codes.InvalidArgument {
		t.Fatalf("Configure: %v", err)
	}
	for _, want := range []string{`device "a": model "ACME-9"`, `device "b": setting host`, `device "c": setting token`} {
		if !strings.Contains(s.Message(), want) {
			t.Errorf("message %q does not report %q", s.Message(), want)
		}
	}
	_, err = d.Configure(t.Context(), &ctiv1.ConfigureRequest{Settings: map[string]string{"poll_interval": "soon"}})
	if s := sdk.Status(err); s.Code() != codes.InvalidArgument || !strings.Contains(s.Message(), "poll_interval") {
		t.Errorf("bad poll_interval: %v %q", s.Code(), s.Message())
	}
}
