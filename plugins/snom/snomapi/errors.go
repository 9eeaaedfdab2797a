package snomapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ctihost/ctihost/sdk"
)

// ErrorKind classifies an *Error. A driver maps kinds to its own codes.
type ErrorKind int

const (
	// KindAuth: HTTP 401 (after answering the challenge once) or 403. The
	// HTTP user or password is wrong, or the phone offered no
	// authentication scheme this package speaks.
	KindAuth ErrorKind = iota + 1
	// KindUnreachable: no connection, or it was refused, reset or closed
	// without an answer. The phone may be off, rebooting or firewalled.
	KindUnreachable
	// KindTimeout: no answer before Config.Timeout or the caller's
	// deadline. errors.Is(err, ErrUnreachable) is also true;
	// errors.Is(err, context.Canceled) tells a cancelled caller apart.
	KindTimeout
	// KindBadResponse: an answer that is not what the phone sends: a
	// redirect after a CSTA request, an unexpected status (500 on a
	// command page), a CSTA body that is not XML or names another
	// response, an oversized body.
	KindBadResponse
	// KindUnsupported: HTTP 404 (the page or /csta does not exist on this
	// model or firmware), or a request the known firmware does not have
	// (HTTP-CSTA before 7.3.4 and on 8.7.0-8.7.2, ConsultationCall before
	// 8.7.4), refused before sending.
	KindUnsupported
)

// String returns a short lower-case name such as "auth".
func (k ErrorKind) String() string {
	switch k {
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

// Sentinels matched by errors.Is against an *Error of the same kind.
var (
	ErrAuth        = errors.New("snomapi: credentials refused")
	ErrUnreachable = errors.New("snomapi: phone unreachable")
	ErrTimeout     = errors.New("snomapi: phone timed out")
	ErrBadResponse = errors.New("snomapi: unexpected answer from the phone")
	ErrUnsupported = errors.New("snomapi: not supported by this model or firmware")
	// ErrInvalidArgument is wrapped by errors for arguments rejected before
	// any request is sent (unknown key, bad call id, bad line number...).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrDialectUnknown is wrapped when a CSTA request needs a ConnectionID
	// and neither Config.Dialect nor Config.Firmware nor DetectDialect told
	// which form the phone expects.
	ErrDialectUnknown = errors.New("csta dialect unknown; set Config.Firmware or Config.Dialect, or call DetectDialect")
	// ErrInvalidCallback is wrapped by every ParseCallback error.
	ErrInvalidCallback = errors.New("invalid action url callback")
)

func (k ErrorKind) sentinel() error {
	switch k {
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

// Error is a failed request to the phone. Its text is lower-case, names
// the operation and host, says what to check, and never contains the
// password (every form of it is redacted, and so is any token= parameter).
type Error struct {
	Kind       ErrorKind
	Op         string // "command.htm key", "csta AnswerCall"...
	Host       string // host[:port] of Config.BaseURL
	HTTPStatus int    // 0 when no HTTP answer arrived
	// Body is the start of the answer (at most 200 bytes, valid UTF-8)
	// when it explains the failure; empty otherwise.
	Body string
	Err  error // underlying cause, URLs redacted; may be nil

	redactor *sdk.Redactor
}

// maxBodyText bounds Error.Body and CSTAError texts.
const maxBodyText = 200

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("snomapi: ")
	b.WriteString(e.Op)
	if e.Host != "" {
		b.WriteString(" on ")
		b.WriteString(e.Host)
	}
	b.WriteString(": ")
	switch e.Kind {
	case KindAuth:
		b.WriteString("credentials refused; check the phone's http user and password and its authentication scheme (basic or digest)")
	case KindUnreachable:
		b.WriteString("phone unreachable; check that it is powered, on the network and that the base url is right")
	case KindTimeout:
		b.WriteString("no answer in time; check the network or raise the timeout")
	case KindBadResponse:
		b.WriteString("unexpected answer; check that the base url points at a snom d3xx/d7xx phone with csta enabled")
	case KindUnsupported:
		b.WriteString("not supported by this model or firmware; check the model and firmware version")
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
	return e.redactor.Redact(b.String())
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e.Kind; a timeout also matches ErrUnreachable.
func (e *Error) Is(target error) bool {
	if e.Kind == KindTimeout && target == ErrUnreachable {
		return true
	}
	s := e.Kind.sentinel()
	return s != nil && target == s
}

// redactErr returns err with the URL of a *url.Error cut to scheme, host
// and path and redacted, keeping the chain below it (net.Error, context
// errors) for errors.Is/As. The query goes: it holds dialled numbers and
// DTMF digits (PINs), and Error.Op names the command already.
func redactErr(r *sdk.Redactor, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u := ue.URL
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		return &url.Error{Op: ue.Op, URL: r.Redact(u), Err: ue.Err}
	}
	return err
}

// truncateText makes s valid UTF-8 of at most maxBodyText bytes, cut at a
// rune boundary, with surrounding white space removed.
func truncateText(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= maxBodyText {
		return s
	}
	cut := maxBodyText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// invalid returns an argument error for op.
func invalid(op, format string, args ...any) error {
	return fmt.Errorf("snomapi: %s: %s: %w", op, fmt.Sprintf(format, args...), ErrInvalidArgument)
}
