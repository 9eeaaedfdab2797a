package sdk

import (
	"fmt"
	"strconv"

	"google.golang.org/grpc/codes"
)

// VendorCode is one result code of a vendor's protocol (an IP Office
// RequestResponse result, a CSTA error value) and what it means to a caller.
type VendorCode struct {
	// Code is the vendor's number.
	Code int
	// Name is the vendor's name for it, as its documentation prints it
	// (MTCTISESS_CALLCONTROL_CALLNOTFOUND).
	Name string
	// GRPC is the code the caller sees. codes.OK marks a success code.
	GRPC codes.Code
	// Message is what it means and what to do, lower-case, for a person:
	// "the call no longer exists; refresh with GetDeviceState".
	Message string
	// AlreadyDone marks a code that says the requested state already
	// holds (IP Office ALREADYDONE: "the command would have no effect"):
	// success for an idempotent request such as Hold or SetDND, the GRPC
	// code for any other.
	AlreadyDone bool
}

// ErrorTable maps a vendor's result codes to SDK errors, so that a driver
// keeps its vendor's code list as one table next to the protocol it cites,
// and every error carries the right gRPC code, an actionable message and
// the vendor's code as a detail. Build it once with NewErrorTable; safe for
// concurrent use.
type ErrorTable struct {
	// Vendor is VendorError.vendor on every error, e.g. "ipoffice".
	Vendor string

	byCode map[int]VendorCode
}

// NewErrorTable returns the table of vendor's codes. It panics on a code
// listed twice: the table is a literal in the driver, and its first test
// finds the mistake.
func NewErrorTable(vendor string, codes ...VendorCode) *ErrorTable {
	t := &ErrorTable{Vendor: vendor, byCode: make(map[int]VendorCode, len(codes))}
	for _, c := range codes {
		if _, dup := t.byCode[c.Code]; dup {
			panic(fmt.Sprintf("sdk: %s error table lists code %d twice", vendor, c.Code))
		}
		t.byCode[c.Code] = c
	}
	return t
}

// Lookup returns the entry for code.
func (t *ErrorTable) Lookup(code int) (VendorCode, bool) {
	c, ok := t.byCode[code]
	return c, ok
}

// IsSuccess reports whether code means the request succeeded: a code whose
// GRPC is OK, or an AlreadyDone code for an idempotent request. Check it
// before calling Error.
func (t *ErrorTable) IsSuccess(code int, idempotent bool) bool {
	c, ok := t.byCode[code]
	return ok && (c.GRPC == codes.OK || idempotent && c.AlreadyDone)
}

// Error returns the error for a failed request of device (empty when the
// request concerned no device) that the vendor answered with code. The
// message is the table's, naming the device and the vendor's code; the
// VendorError detail carries the vendor, the device, the code as
// "NAME (N)" and detail, the vendor's own text, which must already be
// redacted. A code the table lacks gives UNKNOWN with its number.
func (t *ErrorTable) Error(device string, code int, detail string) *Error {
	subject := ""
	if device != "" {
		subject = fmt.Sprintf("device %q: ", device)
	}
	c, ok := t.byCode[code]
	var e *Error
	switch {
	case !ok:
		e = newError(codes.Unknown, "%s%s answered error %d, which the driver does not know; see the vendor's documentation", subject, t.Vendor, code)
		return e.WithVendor(t.Vendor, device, strconv.Itoa(code), detail)
	case c.GRPC == codes.OK:
		// A driver bug: IsSuccess says this code is no failure.
		e = newError(codes.Unknown, "%s%s answered %s (%d), a success, which the driver took for an error", subject, t.Vendor, c.Name, code)
	default:
		msg := c.Message
		if msg == "" {
			msg = "the request failed"
		}
		e = newError(c.GRPC, "%s%s (%s %s %d)", subject, msg, t.Vendor, c.Name, code)
	}
	return e.WithVendor(t.Vendor, device, vendorCode(c.Name, code), detail)
}

// vendorCode formats "NAME (N)" within VendorError.code's 64 bytes,
// shortening the name rather than losing the number.
func vendorCode(name string, code int) string {
	num := " (" + strconv.Itoa(code) + ")"
	if len(name)+len(num) > 64 {
		name = truncate(name, 64-len(num)-len("…"))
	}
	return name + num
}
