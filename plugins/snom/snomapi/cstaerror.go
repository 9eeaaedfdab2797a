package snomapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ctihost/ctihost/sdk"
)

// ErrCSTA is matched by errors.Is against every *CSTAError.
var ErrCSTA = errors.New("snomapi: csta request refused by the phone")

// CSTAError is the phone's CSTA error answer (HTTP 500 with a SOAP Fault
// or a bare CSTAErrorCode). Class tells a driver what kind of failure it
// is.
type CSTAError struct {
	Request    string // "AnswerCall"; empty from ParseResponse
	Host       string // empty from ParseResponse
	HTTPStatus int    // 500 as the document says, or whatever came
	// Category is the element inside CSTAErrorCode: "operation" in every
	// example of the document, or another ECMA-323 category such as
	// "stateIncompatibility", "security", "systemResourceAvailability";
	// empty when the answer carried no CSTAErrorCode child element.
	Category string
	// Operation is the error value, "invalidCallID", or the text form
	// "Invalid CallID" one firmware sends; at most 200 bytes.
	Operation string
	// FaultCode and FaultString are the SOAP fault's, if any ("Client",
	// "CSTA Error").
	FaultCode, FaultString string

	redactor *sdk.Redactor
}

// setCode fills Category and Operation from a CSTAErrorCode element (nil
// for a fault without one).
func (e *CSTAError) setCode(code *xnode) {
	if code == nil {
		return
	}
	if len(code.kids) > 0 {
		e.Category = truncateText(code.kids[0].name)
		e.Operation = truncateText(code.kids[0].trimmed())
		return
	}
	e.Operation = truncateText(code.trimmed())
}

// Class returns the class of the error (see Classify).
func (e *CSTAError) Class() Class { return classify(e.Category, e.Operation) }

func (e *CSTAError) Error() string {
	var b strings.Builder
	b.WriteString("snomapi: csta")
	if e.Request != "" {
		b.WriteString(" " + e.Request)
	}
	if e.Host != "" {
		b.WriteString(" on " + e.Host)
	}
	b.WriteString(": the phone refused the request")
	if e.Operation != "" {
		fmt.Fprintf(&b, " with %q", e.Operation)
	} else if e.FaultString != "" {
		fmt.Fprintf(&b, " with fault %q", e.FaultString)
	}
	if e.Category != "" && e.Category != "operation" {
		fmt.Fprintf(&b, " (%s)", e.Category)
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (http %d)", e.HTTPStatus)
	}
	b.WriteString("; ")
	b.WriteString(e.Class().hint())
	return e.redactor.Redact(b.String())
}

// Is matches ErrCSTA.
func (e *CSTAError) Is(target error) bool { return target == ErrCSTA }

// Class groups CSTA error values by what the caller should do; a driver
// maps them to its codes (NotFound, FailedPrecondition, InvalidArgument,
// Unimplemented, PermissionDenied, Unknown).
type Class int

const (
	// ClassUnknown: "generic" or a value this package does not know.
	ClassUnknown Class = iota
	// ClassNotFound: the call, connection or device named does not exist
	// (invalidCallID, "Invalid CallID", invalidConnectionID,
	// invalidDeviceID, objectNotKnown...). The call has usually ended.
	ClassNotFound
	// ClassWrongState: the object exists but is not in a state for the
	// request (stateIncompatibleWithObject, invalidObjectState,
	// noActiveCall, noCallToAnswer, any stateIncompatibility value, and
	// requestIncompatibleWithObject, which a phone answers for a call that
	// changed state under the request: a hold of a held call).
	ClassWrongState
	// ClassInvalidArgument: a value of the request is wrong
	// (valueOutOfRange, invalidCalledDevice, invalidDestination,
	// invalidCSTAApplicationCorrelator...).
	ClassInvalidArgument
	// ClassUnsupported: the phone does not do this request or parameter
	// (invalidFeature, serviceNotSupported, a request incompatible with
	// the calling or called device...).
	ClassUnsupported
	// ClassDenied: a privilege or security violation (privilegeViolation*,
	// securityViolation, any security value).
	ClassDenied
)

// String returns a lower-case name such as "not found".
func (c Class) String() string {
	switch c {
	case ClassNotFound:
		return "not found"
	case ClassWrongState:
		return "wrong state"
	case ClassInvalidArgument:
		return "invalid argument"
	case ClassUnsupported:
		return "unsupported"
	case ClassDenied:
		return "denied"
	}
	return "unknown"
}

func (c Class) hint() string {
	switch c {
	case ClassNotFound:
		return "check the call id (the action url's $csta_id); the call may have ended"
	case ClassWrongState:
		return "the call is not in a state for this request; check its state"
	case ClassInvalidArgument:
		return "check the request's arguments"
	case ClassUnsupported:
		return "the phone does not support this request here; check model and firmware"
	case ClassDenied:
		return "the phone denied the request; check its csta and security settings"
	}
	return "the phone gave no specific reason"
}

// classes maps normalized error values (see normalizeCSTA) to classes:
// ECMA-323's operation errors (and the ECMA-269 names of the same), the
// state incompatibility values, and the values the vendor document shows.
var classes = map[string]Class{}

func init() {
	for class, values := range map[Class][]string{
		ClassNotFound: {"invalidCallID", "invalidConnectionID", "invalidDeviceID", "objectNotKnown",
			"invalidCrossRefID", "invalidMonitorCrossRefID", "invalidCstaCallIdentifier",
			"invalidCstaConnectionIdentifier", "invalidCstaDeviceIdentifier"},
		ClassWrongState: {"stateIncompatibleWithObject", "invalidObjectState", "incorrectObjectState",
			"invalidAllocationState", "invalidConnectionState", "noActiveCall", "noHeldCall",
			"noCallToClear", "noConnectionToClear", "noCallToAnswer", "noCallToComplete",
			"requestIncompatibleWithObject"},
		ClassInvalidArgument: {"valueOutOfRange", "invalidCallingDevice", "invalidCalledDevice",
			"invalidForwardingDestination", "invalidDestination", "invalidObjectType",
			"invalidCSTAApplicationCorrelator", "invalidAccountCode", "invalidAuthorisationCode",
			"invalidAuthorizationCode", "invalidMessageIdentifier", "messageIdentifierRequired",
			"mediaIncompatible", "invalidParameterValue"},
		ClassUnsupported: {"requestIncompatibleWithCallingDevice",
			"requestIncompatibleWithCalledDevice", "invalidFeature", "serviceNotSupported",
			"parameterNotSupported"},
		ClassDenied: {"privilegeViolationOnSpecifiedDevice", "privilegeViolationOnCalledDevice",
			"privilegeViolationOnCallingDevice", "securityViolation"},
	} {
		for _, v := range values {
			classes[normalizeCSTA(v)] = class
		}
	}
}

// normalizeCSTA lower-cases v and drops spaces, "_" and "-", so that the
// text form "Invalid CallID" matches invalidCallID.
func normalizeCSTA(v string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t':
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, v)
}

// Classify returns the class of a CSTA error value such as "invalidCallID"
// or "Invalid CallID" (case, spaces, "_" and "-" are ignored).
func Classify(value string) Class { return classify("", value) }

// classify also uses the error's category when the value is unknown.
func classify(category, value string) Class {
	if c, ok := classes[normalizeCSTA(value)]; ok {
		return c
	}
	switch normalizeCSTA(category) {
	case "stateincompatibility":
		return ClassWrongState
	case "security":
		return ClassDenied
	}
	return ClassUnknown
}
