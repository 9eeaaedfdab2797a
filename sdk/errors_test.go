package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

func TestStatusMapsErrorsToCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code codes.Code
		msg  string
	}{
		{"not found", NotFound("call %q not found on device %q", "1-1", "desk"), codes.NotFound, `call "1-1" not found on device "desk"`},
		{"invalid argument", InvalidArgument("digits are required"), codes.InvalidArgument, "digits are required"},
		{"unimplemented", Unimplemented("use SendKeys"), codes.Unimplemented, "use SendKeys"},
		{"failed precondition", FailedPrecondition("call is ringing"), codes.FailedPrecondition, "call is ringing"},
		{"unavailable", Unavailable("device is unreachable"), codes.Unavailable, "device is unreachable"},
		{"permission denied", PermissionDenied("device refused the token"), codes.PermissionDenied, "device refused the token"},
		{"aborted", Aborted("device refused"), codes.Aborted, "device refused"},
		{"wrapped sdk error keeps its code", fmt.Errorf("hold: %w", NotFound("call gone")), codes.NotFound, "call gone"},
		{"deadline", fmt.Errorf("poll: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "poll: context deadline exceeded"},
		{"canceled", context.Canceled, codes.Canceled, "context canceled"},
		{"status error passes through", status.Error(codes.ResourceExhausted, "slow"), codes.ResourceExhausted, "slow"},
		{"anything else is unknown", io.ErrUnexpectedEOF, codes.Unknown, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Status(tt.err)
			if st.Code() != tt.code || st.Message() != tt.msg {
				t.Fatalf("Status = %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
		})
	}
	if Status(nil) != nil {
		t.Error("Status(nil) is not nil")
	}
}

func TestErrorKeepsCauses(t *testing.T) {
	err := Unavailable("device %q is unreachable: %w", "desk", os.ErrDeadlineExceeded)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("errors.Is lost the single %w cause")
	}
	two := Aborted("refused: %w, %w", io.EOF, os.ErrClosed)
	if !errors.Is(two, io.EOF) || !errors.Is(two, os.ErrClosed) {
		t.Error("errors.Is lost a cause of a two-%w format")
	}
	if plain := NotFound("no cause"); plain.Unwrap() != nil {
		t.Errorf("an error without %%w has cause %v", plain.Unwrap())
	}
}

func TestVendorDetailRoundTrips(t *testing.T) {
	err := Status(PermissionDenied("device %q refused the token", "desk").WithVendor("acme", "desk", "http 401", "bad token")).Err()
	v := VendorDetail(err)
	if v.GetVendor() != "acme" || v.GetDevice() != "desk" || v.GetCode() != "http 401" || v.GetMessage() != "bad token" {
		t.Fatalf("VendorDetail = %v", v)
	}
	if VendorDetail(errors.New("plain")) != nil || VendorDetail(status.Error(codes.NotFound, "x")) != nil {
		t.Error("VendorDetail invents a detail")
	}
}

func TestVendorDetailSurvivesBadText(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes: the cut falls inside a rune
	for name, text := range map[string]string{"long multibyte text": long, "invalid utf-8": "busy \xff\xfe line"} {
		t.Run(name, func(t *testing.T) {
			e := Aborted("device said %s", text).WithVendor("acme", "desk", "409", text)
			v := VendorDetail(e.GRPCStatus().Err())
			if v == nil {
				t.Fatal("the vendor detail was dropped")
			}
			if !utf8.ValidString(v.GetMessage()) || len(v.GetMessage()) > 210 {
				t.Errorf("detail message is %d bytes, valid utf-8 %v", len(v.GetMessage()), utf8.ValidString(v.GetMessage()))
			}
		})
	}
}

func TestCapabilityForCoversEveryCommand(t *testing.T) {
	notCommands := map[string]bool{"GetInfo": true, "GetConfigSchema": true, "Configure": true, "ListDevices": true, "GetDeviceState": true, "ListConnections": true, "HandleCallback": true}
	for _, m := range ctiv1.Driver_ServiceDesc.Methods {
		c, ok := CapabilityFor(m.MethodName)
		switch {
		case notCommands[m.MethodName] && ok:
			t.Errorf("%s needs capability %v, want none", m.MethodName, c)
		case !notCommands[m.MethodName] && !ok:
			t.Errorf("command %s has no capability", m.MethodName)
		}
	}
	if _, ok := CapabilityFor("WatchEvents"); ok {
		t.Error("WatchEvents needs a capability")
	}
	if got := CapabilityName(ctiv1.Capability_CAPABILITY_BLIND_TRANSFER); got != "blind_transfer" {
		t.Errorf("CapabilityName = %q", got)
	}
}

// A vendor's code and message are one line whatever the device sent.
func TestWithVendorKeepsOneLine(t *testing.T) {
	e := Unavailable("x").WithVendor("acme\n", "desk", "<html>\n<body>\x00", "line one\r\n\tline two\u2028three")
	v := e.Vendor
	if v.GetVendor() != "acme" || v.GetCode() != "<html> <body>" || v.GetMessage() != "line one line two three" {
		t.Errorf("vendor detail = %v", v)
	}
}
