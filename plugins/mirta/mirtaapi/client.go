package mirtaapi

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
	"time"

	"github.com/ctihost/ctihost/sdk"
)

// Defaults for the zero values of Config.
const (
	// DefaultPath is where production MiRTA installs serve the API; the
	// vendor's demo server uses "/mirtapbx/proxyapi.php" ("the URL on the
	// demo server is slightly different than on production servers -
	// mirtapbx/pbx", https://www.mirtapbx.com/manual/index.php?title=Proxyapi).
	DefaultPath          = "/pbx/proxyapi.php"
	DefaultTimeout       = 5 * time.Second
	DefaultMaxConcurrent = 4
	// DefaultMaxBody bounds list answers. A tenant's extension list in
	// format=json is large (about 148 fields per extension, DOCS_AUDIT.md
	// A-51) but far below this.
	DefaultMaxBody = 4 << 20
)

// KeyIn says where the key travels.
type KeyIn int

const (
	// KeyInQuery sends the key as the "key" query parameter, the only
	// form published for proxyapi.php (LEGACY "Common Parameters"). The
	// URL is never shown in errors.
	KeyInQuery KeyIn = iota
	// KeyInHeader sends it as an "X-API-Key" header, which keeps it out
	// of access logs. Published for openapi.php only
	// (https://mirtapbx.com/manual/index.php?title=OpenAPI,
	// "Authentication"); whether a given proxyapi.php accepts it is
	// unknown, so it is opt-in.
	KeyInHeader
)

// Format is the answer format asked for with the "format" parameter.
type Format int

const (
	// FormatJSON asks for format=json: named fields, so new columns do
	// not shift anything.
	FormatJSON Format = iota
	// FormatPlain asks for format=plain, the PBX's default: pipe-delimited
	// text.
	FormatPlain
)

func (f Format) param() string {
	if f == FormatPlain {
		return "plain"
	}
	return "json"
}

// Config configures a Client.
type Config struct {
	// BaseURL is the PBX's web server, "https://pbx.example" (REQUIRED):
	// scheme and host[:port] only.
	BaseURL string
	// Path is the API path (OPTIONAL, default DefaultPath).
	Path string
	// Key is the tenant or admin API key (REQUIRED). It never appears in
	// errors. A read-only key is enough for the read methods.
	Key string
	// Tenant is the tenant code (REQUIRED with a tenant key; OPTIONAL
	// with the admin key, which then sees every tenant).
	Tenant string
	// KeyIn selects query or header (OPTIONAL, default KeyInQuery).
	KeyIn KeyIn
	// Format selects json or plain answers (OPTIONAL, default FormatJSON).
	// Both are parsed whatever is configured.
	Format Format
	// Timeout bounds each request including reading the answer
	// (OPTIONAL, default DefaultTimeout).
	Timeout time.Duration
	// MaxConcurrent bounds requests in flight to this PBX (OPTIONAL,
	// default DefaultMaxConcurrent). Further calls wait for a slot or
	// their context.
	MaxConcurrent int
	// MaxBody bounds an answer in bytes (OPTIONAL, default
	// DefaultMaxBody); larger answers are refused with ErrTooLarge.
	MaxBody int64
	// HTTPClient sends the requests (OPTIONAL). The client uses a copy
	// that does not follow redirects. When nil, the client builds one
	// with its own keep-alive transport sized for MaxConcurrent.
	HTTPClient *http.Client
}

// Client talks to one proxyapi.php endpoint for one tenant. It is safe for
// concurrent use. It never retries: reads are left to the caller's poller
// (see Backoff), and the writes DIAL, HANGUP and TRANSFER are not
// idempotent.
type Client struct {
	base     url.URL // scheme and host
	path     string
	key      string
	tenant   string
	keyIn    KeyIn
	format   Format
	timeout  time.Duration
	maxBody  int64
	hc       *http.Client
	sem      chan struct{}
	redactor *sdk.Redactor
}

// New validates cfg and returns a Client. It does not contact the PBX.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:     *base,
		path:     cfg.Path,
		key:      cfg.Key,
		tenant:   cfg.Tenant,
		keyIn:    cfg.KeyIn,
		format:   cfg.Format,
		timeout:  cfg.Timeout,
		maxBody:  cfg.MaxBody,
		redactor: sdk.NewRedactor(cfg.Key),
	}
	switch {
	case cfg.Key == "":
		return nil, fmt.Errorf("mirtaapi: no api key for %s; set the tenant's (or admin) api key: %w", base.Host, ErrInvalidArgument)
	case strings.ContainsAny(cfg.Key, "\r\n\x00"):
		return nil, fmt.Errorf("mirtaapi: api key for %s contains a line break or NUL: %w", base.Host, ErrInvalidArgument)
	case len(cfg.Key) < 3:
		// sdk.Redactor ignores secrets under 3 bytes; such a key could
		// not be kept out of error texts.
		return nil, fmt.Errorf("mirtaapi: api key for %s is shorter than 3 characters: %w", base.Host, ErrInvalidArgument)
	case cfg.KeyIn != KeyInQuery && cfg.KeyIn != KeyInHeader:
		return nil, fmt.Errorf("mirtaapi: unknown KeyIn %d: %w", cfg.KeyIn, ErrInvalidArgument)
	case cfg.Format != FormatJSON && cfg.Format != FormatPlain:
		return nil, fmt.Errorf("mirtaapi: unknown Format %d: %w", cfg.Format, ErrInvalidArgument)
	case cfg.Timeout < 0, cfg.MaxConcurrent < 0, cfg.MaxBody < 0:
		return nil, fmt.Errorf("mirtaapi: negative timeout, max concurrent or max body for %s: %w", base.Host, ErrInvalidArgument)
	}
	if c.path == "" {
		c.path = DefaultPath
	}
	if !strings.HasPrefix(c.path, "/") || strings.ContainsAny(c.path, "?#") {
		return nil, fmt.Errorf("mirtaapi: path %q must start with / and have no query: %w", c.redactor.Redact(c.path), ErrInvalidArgument)
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBody
	}
	n := cfg.MaxConcurrent
	if n == 0 {
		n = DefaultMaxConcurrent
	}
	c.sem = make(chan struct{}, n)
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		c.hc = &copied
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = max(tr.MaxIdleConns, 2*n)
		tr.MaxIdleConnsPerHost = n
		tr.IdleConnTimeout = 90 * time.Second
		c.hc = &http.Client{Transport: tr}
	}
	// A redirect is a login page or a moved install, never an answer.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// parseBaseURL accepts http(s)://host[:port] with an optional "/".
func parseBaseURL(raw string) (*url.URL, error) {
	bad := func(why string) (*url.URL, error) {
		return nil, fmt.Errorf("mirtaapi: base url %q %s; want https://host[:port]: %w", sdk.RedactURL(cut(raw, 80)), why, ErrInvalidArgument)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return bad("is not a url")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("has no http or https scheme")
	case u.User != nil:
		return bad("has user info")
	case u.Hostname() == "":
		return bad("has no host")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		return bad("has a path, query or fragment; set Path instead")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Host returns the host[:port] of the base URL.
func (c *Client) Host() string { return c.base.Host }

// Tenant returns the configured tenant code.
func (c *Client) Tenant() string { return c.tenant }

// param is one query parameter, in order.
type param struct{ name, value string }

// request describes one call.
type request struct {
	reqtype string  // "DIAL"
	label   string  // "INFO extensions", for errors; reqtype when empty
	params  []param // after reqtype and tenant; empty values are skipped
	write   bool    // a write (DIAL, HANGUP, ...): never retried
	// sendEmpty names the one parameter sent even when empty.
	sendEmpty string
}

func (r request) name() string {
	if r.label != "" {
		return r.label
	}
	return r.reqtype
}

// fail builds an *APIError for r.
func (c *Client) fail(r request, kind Kind, status int, msg string, cause error) *APIError {
	return &APIError{Reqtype: r.name(), Host: c.base.Host, HTTPStatus: status, Kind: kind, Message: sanitize(c.redactor, msg), Err: cause}
}

// get sends r and returns the body of a 200 answer that is not an error
// text or HTML. The caller parses it and must not keep it.
func (c *Client) get(ctx context.Context, r request) ([]byte, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		e := c.fail(r, KindUnavailable, 0, "", ctx.Err())
		e.cancelled = errors.Is(ctx.Err(), context.Canceled)
		return nil, e
	}
	defer func() { <-c.sem }()

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	q := make([]string, 0, len(r.params)+5)
	add := func(name, value string) { q = append(q, url.QueryEscape(name)+"="+url.QueryEscape(value)) }
	add("reqtype", r.reqtype)
	if c.tenant != "" {
		add("tenant", c.tenant)
	}
	for _, p := range r.params {
		if p.value != "" || p.name == r.sendEmpty {
			add(p.name, p.value)
		}
	}
	add("format", c.format.param())
	if c.keyIn == KeyInQuery {
		add("key", c.key)
	}
	u := c.base
	u.Path = c.path
	u.RawQuery = strings.Join(q, "&")
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, c.fail(r, KindGarbage, 0, "", c.scrub(err))
	}
	if c.keyIn == KeyInHeader {
		req.Header.Set("X-API-Key", c.key)
	}
	req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.1")
	resp, err := c.hc.Do(req)
	if err != nil {
		e := c.fail(r, KindUnavailable, 0, "", c.scrub(err))
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			e.cancelled = true
		}
		return nil, e
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		e := c.fail(r, KindUnavailable, resp.StatusCode, "", c.scrub(err))
		e.cancelled = ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled)
		return nil, e
	}
	if int64(len(body)) > c.maxBody {
		clear(body)
		return nil, c.fail(r, KindGarbage, resp.StatusCode, fmt.Sprintf("answer larger than %d bytes", c.maxBody), ErrTooLarge)
	}
	if err := c.check(r, resp.StatusCode, body); err != nil {
		clear(body)
		return nil, err
	}
	return body, nil
}

// check classifies an answer by status and body; nil means the body is a
// candidate for the parser. proxyapi.php answers errors with HTTP 200 and
// a text (DOCS_AUDIT.md A-48), so the body decides more often than the
// status.
func (c *Client) check(r request, status int, body []byte) error {
	switch {
	case status == http.StatusTooManyRequests, status >= 500:
		return c.fail(r, KindUnavailable, status, textOf(body), nil)
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return c.fail(r, kindOfBody(body, KindBadKey), status, textOf(body), nil)
	case status == http.StatusNotFound:
		return c.fail(r, KindNotFound, status, "no proxyapi.php at this path", nil)
	case status >= 300 && status < 400:
		return c.fail(r, KindGarbage, status, "redirect", nil)
	case status != http.StatusOK:
		return c.fail(r, kindOfBody(body, KindBadRequest), status, textOf(body), nil)
	}
	switch sniff(body) {
	case bodyHTML:
		return c.fail(r, KindGarbage, status, "html page instead of an answer", nil)
	case bodyText:
		t := strings.TrimSpace(string(body))
		if k := classifyText(t); k != 0 {
			// A bad key, an unknown tenant and a read-only key used
			// where it may not be all get the same text; KindBadKey's
			// hint names all three.
			return c.fail(r, k, status, t, nil)
		}
		if res, err := parseResult(body); err == nil && !res.ok {
			return c.fail(r, classifyMessage(res.msg), status, res.msg, nil)
		}
	case bodyJSON:
		if !isObject(body) {
			break // an error answer is an object; lists are data
		}
		if code, msg, ok := jsonError(body); ok {
			return c.fail(r, classifyCode(code), status, code+": "+msg, nil)
		}
		if res, err := parseResult(body); err == nil && !res.ok {
			return c.fail(r, classifyMessage(res.msg), status, res.msg, nil)
		}
	}
	return nil
}

// kindOfBody classifies an error status's body, or returns def.
func kindOfBody(body []byte, def Kind) Kind {
	if sniff(body) == bodyJSON {
		if code, _, ok := jsonError(body); ok {
			return classifyCode(code)
		}
	}
	if k := classifyText(strings.TrimSpace(string(body))); k != 0 {
		return k
	}
	return def
}

// textOf returns the start of body for a message (HTML is not shown).
func textOf(body []byte) string {
	if sniff(body) == bodyHTML {
		return ""
	}
	return string(body[:min(len(body), 4*maxMessage)])
}

// isObject reports whether body is a JSON object. Only an object can be
// an error or result answer: lists (most answers, some hundreds of KiB)
// are not parsed twice.
func isObject(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// jsonError recognises {"error":{"code":...,"message":...}} and
// {"error":"..."} (openapi.php's envelope, Published:
// https://mirtapbx.com/manual/index.php?title=OpenAPI "Error Responses").
func jsonError(body []byte) (code, msg string, ok bool) {
	if !isObject(body) {
		return "", "", false
	}
	n, err := parseJSON(body)
	if err != nil || n.kind != 'o' {
		return "", "", false
	}
	for i, k := range n.keys {
		if !strings.EqualFold(k, "error") {
			continue
		}
		v := n.vals[i]
		switch v.kind {
		case 'o':
			r := objectRecord(v)
			return r.get("code"), r.get("message"), true
		case 's':
			return "error", v.s, true
		}
	}
	return "", "", false
}

// scrub returns err without the request URL: a *url.Error names the whole
// URL, key included. The chain below it (net.OpError, context errors)
// stays reachable for errors.Is/As; its text is redacted.
func (c *Client) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &scrubbed{text: c.redactor.Redact(err.Error()), err: err}
}

// scrubbed is an error with a redacted text that still unwraps to its
// cause.
type scrubbed struct {
	text string
	err  error
}

func (s *scrubbed) Error() string { return s.text }
func (s *scrubbed) Unwrap() error { return s.err }

// Timeout reports whether the cause was a timeout (net.Error style).
func (s *scrubbed) Timeout() bool {
	var ne net.Error
	return errors.As(s.err, &ne) && ne.Timeout() || errors.Is(s.err, context.DeadlineExceeded)
}

// read sends a read request and parses its body with parse.
func read[T any](ctx context.Context, c *Client, r request, parse func([]byte) (T, error)) (T, error) {
	var zero T
	body, err := c.get(ctx, r)
	if err != nil {
		return zero, err
	}
	defer clear(body) // the answer may hold secrets the parser dropped
	v, err := parse(body)
	if err != nil {
		return zero, c.fail(r, KindGarbage, http.StatusOK, "answer of an unexpected shape", nil)
	}
	return v, nil
}

// act sends a write request and returns its "Success|message|data|" line.
func (c *Client) act(ctx context.Context, r request) (result, error) {
	r.write = true
	body, err := c.get(ctx, r)
	if err != nil {
		return result{}, err
	}
	defer clear(body)
	res, err := parseResult(body)
	if err != nil {
		if sniff(body) == bodyEmpty {
			// proxyapi.php answers an empty 200 for an unknown target, a
			// missing parameter and some permission misses alike
			// (DOCS_AUDIT.md, GVoIPC note).
			return result{}, c.fail(r, KindNotFound, http.StatusOK, "empty answer: unknown target, missing parameter or permission", nil)
		}
		return result{}, c.fail(r, KindGarbage, http.StatusOK, "answer is not a Success|...| line", nil)
	}
	return res, nil
}
