package mirtaapi

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ctihost/ctihost/sdk"
)

// Kind classifies an *APIError. A driver maps kinds to its own status codes.
type Kind int

const (
	// KindBadKey: the PBX refused the key. proxyapi.php answers HTTP 200
	// with the fixed text "Too bad... you mistaken the security api key."
	// for a wrong key, for a missing or unknown tenant, and for a
	// read-only key used on a reqtype it may not use (observed, not
	// published: github.com/ivgi1com/1com-doco-api
	// source-docs/DOCS_AUDIT.md A-48, and a GVoIPC troubleshooting note).
	// The text does not say which, so a write refused this way may also
	// be a read-only key; the error text says so. HTTP 401/403 also land
	// here.
	KindBadKey Kind = iota + 1
	// KindReadOnlyKey: the answer says explicitly that the key is
	// read-only (openapi.php's "read_only_api_key", or an "Error|...|"
	// line naming a read-only key). proxyapi.php was never observed to
	// say so; see KindBadKey.
	KindReadOnlyKey
	// KindUnknownTenant: "Wrong or missing tenant" (observed on
	// COUNTCHANNELS, DOCS_AUDIT.md A-69) or an OpenAPI-style
	// tenant_not_found / tenant_required error.
	KindUnknownTenant
	// KindNotFound: the channel, extension, queue, flow or record does not
	// exist ("Error|... not found|", an empty answer where one record was
	// asked for, HTTP 404: a wrong Config.Path).
	KindNotFound
	// KindBadRequest: the PBX named a missing or invalid parameter ("No id
	// specified", observed A-60; "No extension specified", A-68) or
	// answered "Error|...|" for another reason, or HTTP 400.
	KindBadRequest
	// KindUnavailable: no answer (connection refused or reset, DNS, TLS),
	// no answer in time, HTTP 5xx or 429. Temporary() is true unless the
	// caller cancelled; retry after Backoff.
	KindUnavailable
	// KindGarbage: an answer that is not proxyapi.php's: HTML (a login
	// page, a proxy error page, the HELP page), a redirect, JSON that does
	// not parse or has the wrong shape, an answer above the size limit.
	// Never parsed as success.
	KindGarbage
)

// String returns a short lower-case name such as "bad key".
func (k Kind) String() string {
	switch k {
	case KindBadKey:
		return "bad key"
	case KindReadOnlyKey:
		return "read-only key"
	case KindUnknownTenant:
		return "unknown tenant"
	case KindNotFound:
		return "not found"
	case KindBadRequest:
		return "bad request"
	case KindUnavailable:
		return "unavailable"
	case KindGarbage:
		return "garbage"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// hint says what to check for each kind.
func (k Kind) hint() string {
	switch k {
	case KindBadKey:
		return "key refused; check the api key and the tenant code (a read-only key gets the same answer for a write)"
	case KindReadOnlyKey:
		return "read-only key used for a write; configure the read/write api key"
	case KindUnknownTenant:
		return "unknown or missing tenant; check the tenant code"
	case KindNotFound:
		return "not found"
	case KindBadRequest:
		return "request refused"
	case KindUnavailable:
		return "pbx unavailable; retry later"
	case KindGarbage:
		return "unexpected answer; check the base url and path point at proxyapi.php"
	}
	return "failed"
}

// Sentinels matched by errors.Is against an *APIError of the same kind.
var (
	ErrBadKey        = errors.New("mirtaapi: api key refused")
	ErrReadOnlyKey   = errors.New("mirtaapi: read-only api key")
	ErrUnknownTenant = errors.New("mirtaapi: unknown tenant")
	ErrNotFound      = errors.New("mirtaapi: not found")
	ErrBadRequest    = errors.New("mirtaapi: request refused")
	ErrUnavailable   = errors.New("mirtaapi: pbx unavailable")
	ErrGarbage       = errors.New("mirtaapi: unexpected answer")
	// ErrTooLarge is wrapped (with KindGarbage) when an answer exceeds
	// Config.MaxBody.
	ErrTooLarge = errors.New("answer too large")
	// ErrInvalidArgument is wrapped by errors for arguments refused
	// before any request is sent.
	ErrInvalidArgument = errors.New("invalid argument")
)

func (k Kind) sentinel() error {
	switch k {
	case KindBadKey:
		return ErrBadKey
	case KindReadOnlyKey:
		return ErrReadOnlyKey
	case KindUnknownTenant:
		return ErrUnknownTenant
	case KindNotFound:
		return ErrNotFound
	case KindBadRequest:
		return ErrBadRequest
	case KindUnavailable:
		return ErrUnavailable
	case KindGarbage:
		return ErrGarbage
	}
	return nil
}

// APIError is a failed proxyapi.php request. Its text is lower-case, names
// the reqtype and host, and never contains the key in any form (raw,
// URL-escaped, quoted): every string in it passed through the client's
// redactor, and no request URL is kept.
type APIError struct {
	Reqtype    string // "DIAL", "INFO extensions", ...
	Host       string // host[:port] of Config.BaseURL
	HTTPStatus int    // 0 when no HTTP answer arrived
	Kind       Kind
	// Message is what the PBX said (or what was wrong with its answer):
	// at most maxMessage bytes, control characters removed, the key
	// redacted. Never the whole body.
	Message string
	// Err is the cause (a transport error with its URL removed, a
	// context error, ErrTooLarge); may be nil.
	Err error
	// cancelled is set when the caller's context ended the request.
	cancelled bool
}

// maxMessage bounds APIError.Message.
const maxMessage = 64

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("mirtaapi: ")
	b.WriteString(e.Reqtype)
	if e.Host != "" {
		b.WriteString(" on ")
		b.WriteString(e.Host)
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.hint())
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (http %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Err }

// Is matches the sentinel of e.Kind.
func (e *APIError) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && target == s
}

// Temporary reports whether retrying later may succeed: the PBX was
// unavailable (5xx, 429, timeout, no connection) and the caller did not
// cancel.
func (e *APIError) Temporary() bool { return e.Kind == KindUnavailable && !e.cancelled }

// KindOf returns the Kind of the *APIError in err's chain, or 0.
func KindOf(err error) Kind {
	var e *APIError
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// IsTemporary reports whether err is an *APIError whose Temporary is true.
func IsTemporary(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Temporary()
}

// IsAuth reports whether err is a refusal of the key or tenant
// (KindBadKey, KindReadOnlyKey or KindUnknownTenant): retrying is useless
// until the configuration changes.
func IsAuth(err error) bool {
	switch KindOf(err) {
	case KindBadKey, KindReadOnlyKey, KindUnknownTenant:
		return true
	}
	return false
}

// IsNotFound reports whether err is a KindNotFound *APIError.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// sanitize makes s fit for APIError.Message: the key redacted, control
// characters and invalid UTF-8 removed, cut to maxMessage bytes at a rune
// boundary. Redaction runs before and after cutting, so a key cut in half
// by the limit cannot survive either.
func sanitize(r *sdk.Redactor, s string) string {
	if len(s) > 4*maxMessage {
		s = s[:4*maxMessage]
	}
	s = r.Redact(strings.ToValidUTF8(s, ""))
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) || c == utf8.RuneError {
			return ' '
		}
		return c
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return r.Redact(s)
}

// Error texts of proxyapi.php, matched case-insensitively.
var (
	// "Too bad... you mistaken the security api key." (46 bytes, HTTP 200;
	// DOCS_AUDIT.md A-48).
	reBadKey = regexp.MustCompile(`(?i)^too bad\b.*security api key`)
	// "Wrong or missing tenant" (DOCS_AUDIT.md A-69).
	reTenant = regexp.MustCompile(`(?i)^wrong or missing tenant`)
	// "No id specified", "No extension specified", "No queue (id or
	// number) specified" (DOCS_AUDIT.md A-60, A-68, A-75).
	reMissing = regexp.MustCompile(`(?i)^no [^|\n]{1,80} specified`)
	reRO      = regexp.MustCompile(`(?i)read[ _-]?only`)
)

// classifyText returns the kind of a plain error text, or 0 when text is
// not one.
func classifyText(text string) Kind {
	switch {
	case reBadKey.MatchString(text):
		return KindBadKey
	case reTenant.MatchString(text):
		return KindUnknownTenant
	case reMissing.MatchString(text):
		return KindBadRequest
	}
	return 0
}

// classifyMessage returns the kind of an "Error|message|" line's message
// (the modelled failure line: the mirror of DIAL's published "Success|...|").
func classifyMessage(msg string) Kind {
	l := strings.ToLower(msg)
	switch {
	case reRO.MatchString(l):
		return KindReadOnlyKey
	case reBadKey.MatchString(msg), strings.Contains(l, "api key"), strings.Contains(l, "apikey"):
		return KindBadKey
	case strings.Contains(l, "tenant") && (strings.Contains(l, "unknown") || strings.Contains(l, "not found") || strings.Contains(l, "wrong") || strings.Contains(l, "missing")):
		return KindUnknownTenant
	case strings.Contains(l, "not found"), strings.Contains(l, "no such"), strings.Contains(l, "not exist"), strings.Contains(l, "unknown"):
		return KindNotFound
	}
	return KindBadRequest
}

// classifyCode maps the error codes of openapi.php's JSON error envelope
// {"error":{"code":...,"message":...}} (Published:
// https://mirtapbx.com/manual/index.php?title=OpenAPI, "Error Responses";
// https://manual.mirtapbx.com/books/api/export/markdown). proxyapi.php
// was never seen to use it; it is accepted so that a PBX fronted by
// openapi.php-style errors is not mistaken for success.
func classifyCode(code string) Kind {
	switch strings.ToLower(code) {
	case "missing_api_key", "invalid_api_key", "admin_required", "api_ip_not_allowed":
		return KindBadKey
	case "read_only_api_key":
		return KindReadOnlyKey
	case "tenant_not_found", "tenant_required", "single_tenant_required":
		return KindUnknownTenant
	case "not_found", "object_not_found":
		return KindNotFound
	}
	return KindBadRequest
}
