package sdk

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ipoCodes are a few IP Office MTCTI3 RequestResponse results (MTCTI3
// appendix, "Specific Error codes for Call Control").
var ipoCodes = []VendorCode{
	{Code: 0, Name: "MTCTISESS_SUCCESS", GRPC: codes.OK},
	{Code: 602, Name: "MTCTISESS_CALLCONTROL_CALLNOTFOUND", GRPC: codes.NotFound, Message: "the call no longer exists; refresh with GetDeviceState"},
	{Code: 609, Name: "MTCTISESS_CALLCONTROL_INVALIDCALLSTATE", GRPC: codes.FailedPrecondition, Message: "the call is in the wrong state for this; refresh with GetDeviceState"},
	{Code: 617, Name: "MTCTISESS_CALLCONTROL_ALREADYDONE", GRPC: codes.FailedPrecondition, Message: "the command would have no effect", AlreadyDone: true},
	{Code: 999, Name: "NO_MESSAGE", GRPC: codes.Aborted},
}

func TestErrorTableMapsKnownCodes(t *testing.T) {
	tab := NewErrorTable("ipoffice", ipoCodes...)
	e := tab.Error("201", 609, "call 7 is ringing")
	if e.Code != codes.FailedPrecondition {
		t.Errorf("code %v", e.Code)
	}
	for _, want := range []string{`device "201"`, "wrong state", "MTCTISESS_CALLCONTROL_INVALIDCALLSTATE", "609", "ipoffice"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("message %q lacks %q", e.Error(), want)
		}
	}
	v := e.Vendor
	if v.GetVendor() != "ipoffice" || v.GetDevice() != "201" || v.GetCode() != "MTCTISESS_CALLCONTROL_INVALIDCALLSTATE (609)" || v.GetMessage() != "call 7 is ringing" {
		t.Errorf("vendor detail %v", v)
	}
	// Through the SDK's status mapping, as the caller sees it.
	st := status.Convert(e)
	if st.Code() != codes.FailedPrecondition || VendorDetail(st.Err()).GetCode() != "MTCTISESS_CALLCONTROL_INVALIDCALLSTATE (609)" {
		t.Errorf("status %v", st)
	}
	if e := tab.Error("", 999, ""); e.Code != codes.Aborted || strings.Contains(e.Error(), "device") || !strings.Contains(e.Error(), "NO_MESSAGE") {
		t.Errorf("entry without a message, no device: %v %q", e.Code, e.Error())
	}
}

func TestErrorTableUnknownCode(t *testing.T) {
	tab := NewErrorTable("ipoffice", ipoCodes...)
	e := tab.Error("201", 4242, "")
	if e.Code != codes.Unknown || !strings.Contains(e.Error(), "4242") || e.Vendor.GetCode() != "4242" {
		t.Errorf("unknown code: %v %q %v", e.Code, e.Error(), e.Vendor)
	}
	if _, ok := tab.Lookup(4242); ok {
		t.Error("Lookup finds an unknown code")
	}
	if c, ok := tab.Lookup(602); !ok || c.GRPC != codes.NotFound {
		t.Errorf("Lookup(602) = %v, %v", c, ok)
	}
}

func TestErrorTableSuccess(t *testing.T) {
	tab := NewErrorTable("ipoffice", ipoCodes...)
	for _, tc := range []struct {
		code       int
		idempotent bool
		want       bool
	}{
		{0, false, true},
		{0, true, true},
		{617, true, true},   // hold an already held call: done
		{617, false, false}, // dial "already done" is no success
		{602, true, false},
		{4242, true, false},
	} {
		if got := tab.IsSuccess(tc.code, tc.idempotent); got != tc.want {
			t.Errorf("IsSuccess(%d, %v) = %v", tc.code, tc.idempotent, got)
		}
	}
	if e := tab.Error("201", 617, ""); e.Code != codes.FailedPrecondition {
		t.Errorf("ALREADYDONE as an error: %v", e.Code)
	}
	if e := tab.Error("201", 0, ""); e.Code != codes.Unknown || !strings.Contains(e.Error(), "success") {
		t.Errorf("a success code as an error: %v %q", e.Code, e.Error())
	}
}

func TestErrorTableKeepsTheNumberOfLongNames(t *testing.T) {
	long := strings.Repeat("VERY_LONG_NAME_", 10)
	tab := NewErrorTable("v", VendorCode{Code: 123456, Name: long, GRPC: codes.Internal})
	code := tab.Error("d", 123456, "").Vendor.GetCode()
	if len(code) > 64+len("…") || !strings.HasSuffix(code, "(123456)") {
		t.Errorf("code %q", code)
	}
}

func TestErrorTableRefusesDuplicateCodes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a duplicate code did not panic")
		}
	}()
	NewErrorTable("v", VendorCode{Code: 1, Name: "A"}, VendorCode{Code: 1, Name: "B"})
}
