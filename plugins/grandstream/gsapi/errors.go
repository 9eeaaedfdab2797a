package gsapi

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ErrorKind classifies an *Error. A driver maps kinds to its own error codes.
type ErrorKind int

const (
	// KindRefused: the phone answered {"response": "error", ...}; it did not
	// accept the command, usually because it does not apply to the current
	// call state. Error.Body keeps the vendor's body (false, "unknown",
	// "failed"). Retrying without changing the state will not help.
	KindRefused ErrorKind = iota + 1
	// KindAuth: HTTP 401/403, or an error body saying unauthorized or
	// forbidden. The passcode (the phone's admin password) is wrong, or the
	// caller's IP is not in the "Action URI Allowed IP List".
	KindAuth
	// KindUnreachable: the connection could not be made or was dropped
	// (refused, reset, closed without an answer). The phone may be off,
	// rebooting or behind a firewall.
	KindUnreachable
	// KindTimeout: no answer before the deadline (Config.Timeout or the
	// caller's context). errors.Is(err, context.Canceled) tells a cancelled
	// caller apart from a slow phone.
	KindTimeout
	// KindBadResponse: the answer was not the guide's JSON: an HTML page
	// (often a login page when CTI / Action URI support is disabled), bytes
	// that are not JSON, an unexpected JSON shape, an oversized body, or an
	// HTTP status other than 2xx, 401, 403 and 404.
	KindBadResponse
	// KindUnsupported: HTTP 404, the function does not exist on this model
	// (for example a DP function sent to a GXP phone).
	KindUnsupported
)

// String returns a short lower-case name such as "refused".
func (k ErrorKind) String() string {
	switch k {
	case KindRefused:
		return "refused"
	case KindAuth:
		return "auth"
	case KindUnreachable:
		return "unreachable"
	case KindTimeout:
		return "timeout"
	case KindBadResponse:
		return "bad response"
	case KindUnsupported:
		return "unsupported"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Sentinels matched by errors.Is against an *Error of the same kind, so that
// errors.Is(err, gsapi.ErrBadResponse) works through any wrapping.
var (
	ErrRefused     = errors.New("gsapi: command refused by the phone")
	ErrAuth        = errors.New("gsapi: authentication failed")
	ErrUnreachable = errors.New("gsapi: phone unreachable")
	ErrTimeout     = errors.New("gsapi: phone timed out")
	ErrBadResponse = errors.New("gsapi: bad response from the phone")
	ErrUnsupported = errors.New("gsapi: function not supported by this model")
	// ErrInvalidArgument is wrapped by errors for arguments rejected before
	// any request is sent (unknown cmd, bad key, handset 0, bad host...).
	ErrInvalidArgument = errors.New("invalid argument")
)

func (k ErrorKind) sentinel() error {
	switch k {
	case KindRefused:
		return ErrRefused
	case KindAuth:
		return ErrAuth
	case KindUnreachable:
		return ErrUnreachable
	case KindTimeout:
		return ErrTimeout
	case KindBadResponse:
		return ErrBadResponse
	case KindUnsupported:
		return ErrUnsupported
	}
	return nil
}

// Error is a failed CTI request. Its text is lower-case, names the function
// and host, says what to check, and never contains the passcode.
type Error struct {
	Kind       ErrorKind
	Function   string // CTI function, e.g. "api-phone_operation"
	Host       string // Config.Host of the client
	HTTPStatus int    // 0 when no HTTP answer arrived
	// Body is the vendor's body text, truncated to 200 bytes: the "body"
	// value of a JSON answer (false, "unknown", "failed", "unauthorized"),
	// or the start of a non-JSON answer.
	Body string
	Err  error // underlying cause, URLs redacted; may be nil
}

// maxBodyText bounds Error.Body.
const maxBodyText = 200

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("gsapi: ")
	b.WriteString(e.Function)
	if e.Host != "" {
		b.WriteString(" on ")
		b.WriteString(e.Host)
	}
	b.WriteString(": ")
	switch e.Kind {
	case KindRefused:
		b.WriteString("the phone refused the command; check that it applies to the current call state")
	case KindAuth:
		b.WriteString("authentication failed; check the admin passcode and the phone's action uri allowed ip list")
	case KindUnreachable:
		b.WriteString("phone unreachable; check that it is powered, on the network and that the host is right")
	case KindTimeout:
		b.WriteString("no answer in time")
	case KindBadResponse:
		b.WriteString("bad response; check that cti (action uri support) is enabled and the host is a grandstream phone")
	case KindUnsupported:
		b.WriteString("function not supported by this model; check the model family")
	default:
		b.WriteString("failed")
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (http %d)", e.HTTPStatus)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, " (body %q)", e.Body)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return redact(b.String())
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e.Kind (ErrRefused, ErrAuth...).
func (e *Error) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && target == s
}

// passcodeParam matches a passcode query parameter and its value.
var passcodeParam = regexp.MustCompile(`(?i)(passcode=)[^&\s"'<>]*`)

// redact replaces the value of every passcode= parameter in s by REDACTED.
func redact(s string) string {
	return passcodeParam.ReplaceAllString(s, "${1}REDACTED")
}

// redactErr returns err with the URL of a *url.Error redacted, keeping the
// chain below it (net.Error, context errors) intact for errors.Is/As.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redact(ue.URL), Err: ue.Err}
	}
	return err
}

// truncateText makes s valid UTF-8 and at most maxBodyText bytes long,
// cutting at a rune boundary.
func truncateText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxBodyText {
		return s
	}
	cut := maxBodyText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
