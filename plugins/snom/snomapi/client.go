package snomapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ctihost/ctihost/sdk"
)

// DefaultTimeout bounds each request when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Answer size limits: command pages are HTML pages the client does not
// need (read at most maxPage bytes, the rest is dropped); CSTA answers
// larger than maxXML are refused.
const (
	maxPage = 64 << 10
	maxXML  = 1 << 20
)

// Config configures a Client.
type Config struct {
	// BaseURL is the phone's web server, "http://192.168.0.10" or
	// "https://phone.example:8443" (REQUIRED): scheme and host only, no
	// user info, path, query or fragment.
	BaseURL string
	// Username and Password are the phone's HTTP user and password
	// (OPTIONAL: empty Username sends no credentials). The password never
	// appears in errors.
	Username, Password string
	// Auth selects the authentication answered (OPTIONAL, default AuthAuto).
	Auth AuthMode
	// Model is the phone model, such as "D785" (OPTIONAL). When set,
	// PressKeys checks keys against it; D8xx models are refused by New.
	Model string
	// Firmware is the phone's firmware version, such as "8.7.3.25"
	// (OPTIONAL). It selects the CSTA dialect and refuses requests the
	// firmware lacks. DetectDialect reads it from the phone.
	Firmware string
	// Dialect forces the CSTA ConnectionID form (OPTIONAL; overrides the
	// one derived from Firmware, e.g. for csta_legacy_control).
	Dialect Dialect
	// HTTPClient sends the requests (OPTIONAL). The client uses a copy
	// that does not follow redirects. Its Timeout, if any, also applies.
	HTTPClient *http.Client
	// Timeout bounds each request including reading the answer (OPTIONAL,
	// default DefaultTimeout). PressKeys adds the keys' own duration.
	Timeout time.Duration
}

// Client talks to one phone. It is safe for concurrent use; it keeps the
// answered authentication challenge and the detected firmware. PressKeys
// calls of one Client run one at a time, since key sequences sent to one
// phone must not interleave; a driver with several Clients for one phone
// must serialize them itself.
type Client struct {
	base     url.URL // scheme and host only
	hc       *http.Client
	timeout  time.Duration
	auth     *authState
	redactor *sdk.Redactor
	model    Model
	hasModel bool
	keys     chan struct{} // a one-slot semaphore that serializes PressKeys

	mu       sync.RWMutex
	firmware Firmware
	dialect  Dialect
	forced   bool // Config.Dialect was set
}

// New validates cfg and returns a Client. It does not contact the phone.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("snomapi: timeout for %s is negative (%v): %w", base.Host, cfg.Timeout, ErrInvalidArgument)
	}
	if cfg.Auth < AuthAuto || cfg.Auth > AuthBasic {
		return nil, fmt.Errorf("snomapi: unknown auth mode %d: %w", cfg.Auth, ErrInvalidArgument)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, fmt.Errorf("snomapi: password for %s without a username; set the phone's http user: %w", base.Host, ErrInvalidArgument)
	}
	if strings.ContainsAny(cfg.Username, ":\r\n") {
		return nil, fmt.Errorf("snomapi: username for %s contains ':' or a line break: %w", base.Host, ErrInvalidArgument)
	}
	c := &Client{
		base:     *base,
		timeout:  cfg.Timeout,
		auth:     &authState{mode: cfg.Auth, user: cfg.Username, pass: cfg.Password},
		redactor: sdk.NewRedactor(cfg.Password),
		dialect:  cfg.Dialect,
		forced:   cfg.Dialect != DialectUnknown,
		keys:     make(chan struct{}, 1),
	}
	if cfg.Dialect < DialectUnknown || cfg.Dialect > DialectCallID {
		return nil, fmt.Errorf("snomapi: unknown dialect %d: %w", cfg.Dialect, ErrInvalidArgument)
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if cfg.Model != "" {
		if c.model, err = LookupModel(cfg.Model); err != nil {
			return nil, err
		}
		c.hasModel = true
	}
	if cfg.Firmware != "" {
		if c.firmware, err = ParseFirmware(cfg.Firmware); err != nil {
			return nil, err
		}
		if !c.forced {
			// An unsupported firmware leaves the dialect unknown; CSTA
			// requests then report the firmware as the cause.
			c.dialect, _ = DialectForFirmware(c.firmware)
		}
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	// A command page answers a redirect to a page that may ask for
	// credentials again; the command itself is done.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = hc
	return c, nil
}

// parseBaseURL accepts http(s)://host[:port] with an optional "/".
func parseBaseURL(raw string) (*url.URL, error) {
	bad := func(why string) (*url.URL, error) {
		return nil, fmt.Errorf("snomapi: base url %q %s; want http://host or https://host:port: %w", showURL(raw), why, ErrInvalidArgument)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return bad("is not a url")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("has no http or https scheme")
	case u.User != nil:
		return bad("has user info; set Username and Password instead")
	case u.Hostname() == "":
		return bad("has no host")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		return bad("has a path, query or fragment")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// showURL returns raw for an error message: user info, which may hold a
// password url.Parse cannot find (one with a space), is cut out whole.
func showURL(raw string) string {
	if at := strings.LastIndexByte(raw, '@'); at >= 0 {
		scheme := ""
		if i := strings.Index(raw, "://"); i >= 0 && i < at {
			scheme = raw[:i+3]
		}
		raw = scheme + sdk.Redacted + raw[at:]
	}
	return truncateText(sdk.RedactURL(raw))
}

// Host returns the host[:port] of the base URL.
func (c *Client) Host() string { return c.base.Host }

// Model returns the configured model and whether one was set.
func (c *Client) Model() (Model, bool) { return c.model, c.hasModel }

// answer is what do read of the phone's answer.
type answer struct {
	status    int
	header    http.Header
	body      []byte
	truncated bool // the body was longer than the limit
}

// do sends one request, answering one 401 challenge, and reads at most
// limit bytes of the answer. Errors are *Error (transport and auth).
func (c *Client) do(ctx context.Context, op, method, path, rawQuery string, body []byte, contentType string, limit int, extra time.Duration) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout+extra)
	defer cancel()
	u := c.base
	u.Path, u.RawQuery = path, rawQuery
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			return answer{}, c.fail(KindBadResponse, op, 0, redactErr(c.redactor, err))
		}
		req.Header.Set("User-Agent", "ctihost-snomapi")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if c.auth.user != "" && (attempt > 0 || c.auth.hasAnswer()) {
			if err := c.auth.authorize(req); err != nil {
				return answer{}, c.fail(KindAuth, op, 0, err)
			}
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return answer{}, c.transportError(op, 0, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
		resp.Body.Close()
		if err != nil {
			return answer{}, c.transportError(op, resp.StatusCode, err)
		}
		a := answer{status: resp.StatusCode, header: resp.Header, body: data}
		if len(data) > limit {
			a.body, a.truncated = data[:limit], true
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 {
			return a, nil
		}
		if c.auth.user == "" {
			return a, c.fail(KindAuth, op, http.StatusUnauthorized, errors.New("the phone requires credentials; set Username and Password"))
		}
		if err := c.auth.accept(resp.Header.Values("WWW-Authenticate")); err != nil {
			return a, c.fail(KindAuth, op, http.StatusUnauthorized, err)
		}
	}
}

// fail builds an *Error for this client.
func (c *Client) fail(kind ErrorKind, op string, status int, err error) *Error {
	return &Error{Kind: kind, Op: op, Host: c.base.Host, HTTPStatus: status, Err: err, redactor: c.redactor}
}

// transportError classifies a failure to get an answer.
func (c *Client) transportError(op string, status int, err error) *Error {
	kind := KindUnreachable
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || (errors.As(err, &ne) && ne.Timeout()) {
		kind = KindTimeout
	}
	return c.fail(kind, op, status, redactErr(c.redactor, err))
}

// statusError maps the statuses every page shares: 401/403 auth, 404
// unsupported. It returns nil for any other status.
func (c *Client) statusError(op string, a answer) *Error {
	switch a.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return c.fail(KindAuth, op, a.status, nil)
	case http.StatusNotFound:
		return c.fail(KindUnsupported, op, a.status, nil)
	}
	return nil
}

// command sends GET path?rawQuery to a web page of the phone. Success is
// any 2xx (the phone answers an HTML page, which is ignored) or a 302/303
// redirect, which is not followed.
func (c *Client) command(ctx context.Context, op, path, rawQuery string, extra time.Duration) error {
	a, err := c.do(ctx, op, http.MethodGet, path, rawQuery, nil, "", maxPage, extra)
	if err != nil {
		return err
	}
	if e := c.statusError(op, a); e != nil {
		return e
	}
	switch {
	case a.status >= 200 && a.status <= 299, a.status == http.StatusFound, a.status == http.StatusSeeOther:
		return nil
	}
	e := c.fail(KindBadResponse, op, a.status, nil)
	e.Body = truncateText(string(a.body))
	return e
}

// queryValue percent-encodes every byte but letters, digits and "-._~":
// "#" would end the URL, "*" is the document's %2A, "+" would read as a
// space, "&", "=", "@" and ":" would end or split the value.
func queryValue(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', strings.IndexByte("-._~", ch) >= 0:
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}
