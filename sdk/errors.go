package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Error is a driver error that carries its gRPC code and, when the device or
// vendor system caused it, the vendor's own answer. Drivers build it with the
// constructors below; the SDK turns it into a gRPC status exactly once, in
// Status, and the host turns it back with FromStatus.
type Error struct {
	// Code is the gRPC code the caller sees.
	Code codes.Code
	// Msg is lower-case, names the object and says what to do. It MUST NOT
	// contain secrets.
	Msg string
	// Vendor is the vendor's own code and text, attached as a status detail.
	Vendor *ctiv1.VendorError
	// Err is the underlying cause, kept for errors.Is/As; never shown.
	Err error
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// GRPCStatus makes *Error usable wherever grpc-go expects a status error.
func (e *Error) GRPCStatus() *status.Status {
	// The message travels in a proto string when details are attached, so it
	// must be valid UTF-8 even if it quotes a device's bytes.
	st := status.New(e.Code, strings.ToValidUTF8(e.Msg, "\uFFFD"))
	if e.Vendor != nil {
		if withDetails, err := st.WithDetails(e.Vendor); err == nil {
			return withDetails
		}
	}
	return st
}

func newError(code codes.Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Msg: err.Error()}
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		// Keep the fmt error itself as the cause: errors.Unwrap would drop
		// every cause of a format with more than one %w.
		e.Err = err
	}
	return e
}

// NotFound reports an unknown device, call, queue or slot.
func NotFound(format string, args ...any) *Error { return newError(codes.NotFound, format, args...) }

// InvalidArgument reports a malformed request field; name the field.
func InvalidArgument(format string, args ...any) *Error {
	return newError(codes.InvalidArgument, format, args...)
}

// Unimplemented reports an operation the device's model cannot do; say what
// to use instead.
func Unimplemented(format string, args ...any) *Error {
	return newError(codes.Unimplemented, format, args...)
}

// FailedPrecondition reports a call or device in the wrong state.
func FailedPrecondition(format string, args ...any) *Error {
	return newError(codes.FailedPrecondition, format, args...)
}

// Unavailable reports a device that cannot be reached or answers nonsense.
func Unavailable(format string, args ...any) *Error {
	return newError(codes.Unavailable, format, args...)
}

// PermissionDenied reports a device that refused the configured credentials.
func PermissionDenied(format string, args ...any) *Error {
	return newError(codes.PermissionDenied, format, args...)
}

// Aborted reports a device that refused a command for its own reasons.
func Aborted(format string, args ...any) *Error { return newError(codes.Aborted, format, args...) }

// WithVendor attaches the vendor's answer to e and returns e. code is the
// vendor's own code ("http 500", "609"), not a body; code and message are
// made one line (every run of whitespace and control characters becomes a
// space, so a device's HTML never spans lines in an app's error) and cut
// short.
func (e *Error) WithVendor(vendor, device, code, message string) *Error {
	e.Vendor = &ctiv1.VendorError{
		Vendor:  truncate(oneLine(vendor), 64),
		Device:  truncate(device, 128),
		Code:    truncate(oneLine(code), 64),
		Message: truncate(oneLine(message), 200),
	}
	return e
}

// oneLine turns every run of whitespace and control characters in s into
// one space and trims the ends.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Status converts any error a driver returns into the status the caller
// sees: *Error keeps its code and vendor detail, status errors pass through,
// context errors become DEADLINE_EXCEEDED or CANCELED and anything else is
// UNKNOWN with its message.
func Status(err error) *status.Status {
	if err == nil {
		return nil
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.GRPCStatus()
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, err.Error())
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	return status.New(codes.Unknown, err.Error())
}

// VendorDetail returns the VendorError attached to a status error, or nil.
func VendorDetail(err error) *ctiv1.VendorError {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, d := range st.Details() {
		if v, ok := d.(*ctiv1.VendorError); ok {
			return v
		}
	}
	return nil
}

// truncate shortens s to at most n bytes plus an ellipsis, without cutting
// a UTF-8 sequence, and replaces invalid UTF-8: a proto string field (such as
// VendorError.message) that is not valid UTF-8 cannot be marshalled, and the
// detail would be lost.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
