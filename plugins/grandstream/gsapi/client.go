package gsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each request when Config.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// maxAnswer bounds how much of an answer is read; CTI answers are a few
// hundred bytes.
const maxAnswer = 1 << 20

// Config configures a Client.
type Config struct {
	// Host is the phone's address, "host" or "host:port" (REQUIRED), without
	// a scheme or path, e.g. "192.168.5.135".
	Host string
	// Passcode is the phone's admin-level password (REQUIRED). It is sent as
	// the passcode= parameter and never appears in errors.
	Passcode string
	// HTTPClient sends the requests (OPTIONAL); nil means a new http.Client
	// with the default transport. Its own Timeout, if any, also applies.
	HTTPClient *http.Client
	// Timeout bounds each request including reading the answer (OPTIONAL);
	// zero means DefaultTimeout.
	Timeout time.Duration
}

// Client talks to one phone. It is safe for concurrent use by multiple
// goroutines; it keeps no state besides its configuration.
type Client struct {
	host     string
	passcode string
	hc       *http.Client
	timeout  time.Duration
}

// New validates cfg and returns a Client. It does not contact the phone.
func New(cfg Config) (*Client, error) {
	host, err := validateHost(cfg.Host)
	if err != nil {
		return nil, err
	}
	if cfg.Passcode == "" {
		return nil, fmt.Errorf("gsapi: passcode for %s is empty; set the phone's admin password: %w", host, ErrInvalidArgument)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("gsapi: timeout for %s is negative (%v): %w", host, cfg.Timeout, ErrInvalidArgument)
	}
	c := &Client{host: host, passcode: cfg.Passcode, hc: cfg.HTTPClient, timeout: cfg.Timeout}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Host returns the configured host[:port].
func (c *Client) Host() string { return c.host }

// validateHost accepts "host" or "host:port" (IPv6 in brackets) and nothing
// else: no scheme, user info, path, query or spaces.
func validateHost(h string) (string, error) {
	h = strings.TrimSpace(h)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("gsapi: host %q %s; want host or host:port such as 192.168.5.135: %w", h, why, ErrInvalidArgument)
	}
	switch {
	case h == "":
		return bad("is empty")
	case strings.Contains(h, "://"):
		return bad("has a scheme")
	case strings.ContainsAny(h, "/?#@ \t\r\n\\%"):
		return bad("has a path, query, user info or space")
	}
	u, err := url.Parse("http://" + h)
	if err != nil || u.Host != h || u.Hostname() == "" {
		return bad("is not a valid address")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("has an invalid port")
		}
	} else if strings.HasSuffix(h, ":") {
		return bad("has an empty port")
	}
	return h, nil
}

// query builds a query string by hand, in the guide's parameter order.
type query struct{ b strings.Builder }

// newQuery starts a query with the passcode, always the first parameter.
func (c *Client) newQuery() *query {
	q := &query{}
	return q.raw("passcode", queryValue(c.passcode))
}

// queryValue escapes a query value the way least likely to be misread by
// a phone's small HTTP server. The guide gives no rule, and embedded
// servers differ: form encoding's "+" for a space is read as a plus by a
// server that only percent-decodes, so a space travels as %20; "*" is legal
// in a query (RFC 3986 sub-delims) and dial strings use it (*72), so it
// stays literal. Every other byte but letters, digits and "-._~" is
// percent-encoded, "&", "=", "+" and "#" included.
func queryValue(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~*", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// raw appends name=value with value already escaped.
func (q *query) raw(name, value string) *query {
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	q.b.WriteString(name)
	q.b.WriteByte('=')
	q.b.WriteString(value)
	return q
}

func (q *query) int(name string, v int) *query { return q.raw(name, strconv.Itoa(v)) }
func (q *query) str(name, v string) *query     { return q.raw(name, queryValue(v)) }
func (q *query) String() string                { return q.b.String() }

// get sends GET /cgi-bin/fn?query and decodes the answer. Any result other
// than {"response": "success"} is an *Error.
func (c *Client) get(ctx context.Context, fn string, q *query) (envelope, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := "http://" + c.host + "/cgi-bin/" + fn + "?" + q.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return envelope{}, &Error{Kind: KindUnreachable, Function: fn, Host: c.host, Err: redactErr(err)}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return envelope{}, c.transportError(fn, 0, err)
	}
	defer resp.Body.Close()
	data, err := readAnswer(io.LimitReader(resp.Body, maxAnswer+1), resp.ContentLength)
	if err != nil {
		return envelope{}, c.transportError(fn, resp.StatusCode, err)
	}
	if len(data) > maxAnswer {
		return envelope{}, &Error{Kind: KindBadResponse, Function: fn, Host: c.host, HTTPStatus: resp.StatusCode,
			Err: fmt.Errorf("answer is larger than %d bytes", maxAnswer)}
	}
	env, e := decodeResponse(resp.StatusCode, resp.Header.Get("Content-Type"), data)
	if e != nil {
		e.Function, e.Host = fn, c.host
		return envelope{}, e
	}
	return env, nil
}

// readAnswer is io.ReadAll that starts with room for the whole answer when
// its length is announced (-1 if not), plus one byte to find the end: a
// large site reads thousands of answers a second, and io.ReadAll's 512-byte
// start grows through two or three copies for a line status answer.
func readAnswer(r io.Reader, length int64) ([]byte, error) {
	size := 512
	if length >= 0 && length <= maxAnswer {
		size = int(length) + 1
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than announced: grow as io.ReadAll does
		}
	}
}

// transportError classifies a failure to get an answer.
func (c *Client) transportError(fn string, status int, err error) *Error {
	kind := KindUnreachable
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		kind = KindTimeout
	}
	return &Error{Kind: kind, Function: fn, Host: c.host, HTTPStatus: status, Err: redactErr(err)}
}

// badShape reports a success answer whose content is not what the guide
// shows.
func (c *Client) badShape(fn string, err error) *Error {
	return &Error{Kind: KindBadResponse, Function: fn, Host: c.host, HTTPStatus: http.StatusOK, Err: err}
}

// invalid returns an argument error for fn.
func invalid(fn, format string, args ...any) error {
	return fmt.Errorf("gsapi: %s: %s: %w", fn, fmt.Sprintf(format, args...), ErrInvalidArgument)
}

// System operations, answered by all models.
const (
	SysReboot = "REBOOT" // reboot; answers "savereboot", or "directreboot" on DP75x
	SysReset  = "RESET"  // factory reset; answers "reset"
)

// SysOperation sends api-sys_operation with request REBOOT or RESET (case
// insensitive) and returns the body of the success answer: "savereboot"
// (all models except DP75x) or "directreboot" (DP75x) for REBOOT, "reset"
// for RESET. Not idempotent: each call reboots or resets the phone.
func (c *Client) SysOperation(ctx context.Context, request string) (string, error) {
	const fn = "api-sys_operation"
	r := strings.ToUpper(strings.TrimSpace(request))
	if r != SysReboot && r != SysReset {
		return "", invalid(fn, "unknown request %q; want REBOOT or RESET", request)
	}
	env, err := c.get(ctx, fn, c.newQuery().str("request", r))
	if err != nil {
		return "", err
	}
	return bodyText(env.body), nil
}
