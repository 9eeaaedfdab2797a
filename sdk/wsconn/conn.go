package wsconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/ctihost/ctihost/sdk"
)

// Errors Dial and Conn wrap, for errors.Is.
var (
	// ErrUnauthorized: the server refused the credentials (HTTP 401 or
	// 403). Retrying will not help; the configuration must change.
	ErrUnauthorized = errors.New("credentials refused")
	// ErrTLS: the TLS handshake failed, mostly because the server's
	// certificate is not trusted (see TLSOptions).
	ErrTLS = errors.New("tls failed")
	// ErrUnreachable: no connection could be made (refused, no route, DNS,
	// timeout). Retry with Backoff.
	ErrUnreachable = errors.New("unreachable")
	// ErrHandshake: the server answered but did not open the websocket
	// asked for (wrong path, not a websocket, another subprotocol).
	ErrHandshake = errors.New("websocket handshake refused")
	// ErrPingTimeout: the peer did not answer a ping within PingTimeout and
	// the connection was closed.
	ErrPingTimeout = errors.New("no pong within the ping timeout")
	// ErrTextMessage: the peer sent a text message where only binary ones
	// are expected.
	ErrTextMessage = errors.New("unexpected text message")
	// ErrMessageTooBig: a message exceeded Options.ReadLimit; the
	// connection is closed.
	ErrMessageTooBig = websocket.ErrMessageTooBig
)

// Defaults for the zero fields of Options.
const (
	DefaultReadLimit    = 1 << 20 // a full snapshot of a busy PBX user fits
	DefaultPingInterval = 30 * time.Second
	DefaultPingTimeout  = 10 * time.Second
	DefaultDialTimeout  = 15 * time.Second
)

// closeGrace bounds Close's wait for the peer's half of the close
// handshake.
const closeGrace = 5 * time.Second

// Options says how to Dial.
type Options struct {
	// URL is ws:// or wss://. Userinfo in it is used as the credentials
	// when Username and Password are empty, and never sent or shown
	// otherwise.
	URL string
	// Subprotocol, when set, must be the one the server selects; Dial
	// fails otherwise (a server that ignores it speaks something else).
	Subprotocol string
	// Username and Password are sent as HTTP Basic authorization in the
	// handshake.
	Username, Password string
	// TLS is the trust for wss:// URLs.
	TLS TLSOptions
	// ReadLimit is the largest message Read accepts, in bytes; 0 means
	// DefaultReadLimit.
	ReadLimit int64
	// PingInterval is how often the connection pings the peer; 0 means
	// DefaultPingInterval, negative turns pings off.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take before the connection is
	// closed; 0 means DefaultPingTimeout.
	PingTimeout time.Duration
	// DialTimeout bounds the connection and the handshake; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// Header holds extra handshake headers. Authorization, if set here,
	// is replaced when Username or Password is set.
	Header http.Header
}

// Conn is an open websocket. Read from one goroutine (the driver's read
// loop, which must keep reading: pongs are only seen while a Read is in
// progress); Write and Close from any.
type Conn struct {
	ws   *websocket.Conn
	raw  *rawConn
	url  string // as shown in errors: no userinfo
	stop context.CancelFunc
	done chan struct{} // closed when the keepalive loop has ended

	mu    sync.Mutex
	cause error // why the connection closed itself, e.g. ErrPingTimeout
}

// Dial opens a websocket as o says. The error is classified (see the
// package doc), names the URL without userinfo, says what to do, and never
// contains the password or the Authorization header.
func Dial(ctx context.Context, o Options) (*Conn, error) {
	target, user, pass, err := splitUserinfo(o)
	if err != nil {
		return nil, err
	}
	shown := sdk.RedactURL(target.String())
	if o.ReadLimit < 0 {
		return nil, fmt.Errorf("websocket %s: the read limit %d is negative", shown, o.ReadLimit)
	}
	tlsConf, err := o.TLS.Config()
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", shown, err)
	}
	header := o.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	var basic string
	if user != "" || pass != "" {
		basic = base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		header.Set("Authorization", "Basic "+basic)
	}
	// Neither the password nor its Basic form appears in any text the
	// library produces; the redactor makes sure of it for the texts this
	// package quotes.
	redact := sdk.NewRedactor(pass, basic)

	raw := &rawConn{}
	transport := &http.Transport{
		// A PBX sits on the site's network: no proxy from the
		// environment, and HTTP/1.1 only (the websocket upgrade).
		Proxy:           nil,
		DialContext:     raw.dial,
		TLSClientConfig: tlsConf,
	}
	// A refused handshake (401) leaves its connection idle in the pool:
	// close it rather than keep one per attempt of a reconnect loop. An
	// open websocket is no longer the transport's.
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		// A redirect would send the credentials on to wherever it points;
		// a PBX web service has no reason to redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var protocols []string
	if o.Subprotocol != "" {
		protocols = []string{o.Subprotocol}
	}
	dialCtx, cancel := context.WithTimeout(ctx, orDefault(o.DialTimeout, DefaultDialTimeout))
	defer cancel()
	ws, resp, err := websocket.Dial(dialCtx, target.String(), &websocket.DialOptions{
		HTTPClient:   client,
		HTTPHeader:   header,
		Subprotocols: protocols,
	})
	if err != nil {
		return nil, classify(ctx, err, resp, shown, redact)
	}
	if o.Subprotocol != "" && !strings.EqualFold(ws.Subprotocol(), o.Subprotocol) {
		// The library accepts a server that selects no subprotocol; a
		// server that does not speak the one asked for is the wrong
		// service.
		_ = ws.CloseNow()
		return nil, &dialError{
			msg:  fmt.Sprintf("websocket %s: the server did not accept subprotocol %q (it selected %q): check the URL path", shown, o.Subprotocol, ws.Subprotocol()),
			kind: ErrHandshake,
		}
	}
	ws.SetReadLimit(orDefault(o.ReadLimit, DefaultReadLimit))

	loopCtx, stop := context.WithCancel(context.Background())
	c := &Conn{ws: ws, raw: raw, url: shown, stop: stop, done: make(chan struct{})}
	interval := orDefault(o.PingInterval, DefaultPingInterval)
	if interval < 0 {
		close(c.done)
	} else {
		go c.keepalive(loopCtx, interval, orDefault(o.PingTimeout, DefaultPingTimeout))
	}
	return c, nil
}

// splitUserinfo checks o.URL and returns it without userinfo, with the
// credentials to send: the library would otherwise put the URL, password
// included, into its error texts.
func splitUserinfo(o Options) (*url.URL, string, string, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, "", "", fmt.Errorf("websocket URL %q is not a URL", sdk.NewRedactor(o.Password).Redact(o.URL))
	}
	user, pass := o.Username, o.Password
	if u.User != nil && user == "" && pass == "" {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	u.User = nil
	if u.Scheme != "ws" && u.Scheme != "wss" || u.Host == "" {
		return nil, "", "", fmt.Errorf("websocket URL %s: want ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH", sdk.RedactURL(u.String()))
	}
	return u, user, pass, nil
}

// rawConn keeps the TCP connection under the websocket, so that Close can
// always end it: the library's close handshake can otherwise block on a
// silent peer without a deadline (v1.8.15, waitCloseHandshake skipping the
// rest of a refused message byte by byte).
type rawConn struct {
	mu   sync.Mutex
	conn net.Conn
}

func (r *rawConn) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		r.mu.Lock()
		r.conn = conn
		r.mu.Unlock()
	}
	return conn, err
}

func (r *rawConn) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		_ = r.conn.Close()
	}
}

// dialError carries a message built and redacted here, and the
// classification and cause for errors.Is and errors.As.
type dialError struct {
	msg   string
	kind  error
	cause error
}

func (e *dialError) Error() string { return e.msg }

func (e *dialError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// classify turns a failed websocket.Dial into a dialError.
func classify(ctx context.Context, err error, resp *http.Response, shown string, redact *sdk.Redactor) error {
	detail := err
	var ue *url.Error
	if errors.As(err, &ue) {
		detail = ue.Err // the URL is already in the message
	}
	text := redact.Redact(detail.Error())
	e := &dialError{cause: err}
	switch {
	case resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		e.kind = ErrUnauthorized
		e.msg = fmt.Sprintf("websocket %s refused the credentials (http %d): check the username and password, and that the user may use this service",
			shown, resp.StatusCode)
	case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
		e.kind = ErrHandshake
		e.msg = fmt.Sprintf("websocket %s answered http %d instead of opening a websocket: check the URL path", shown, resp.StatusCode)
	case resp != nil:
		e.kind = ErrHandshake
		e.msg = fmt.Sprintf("websocket %s: the handshake failed: %s", shown, text)
	case errors.Is(err, ErrTLS): // the pin check, which says what to do
		e.kind = ErrTLS
		e.msg = fmt.Sprintf("websocket %s: %s", shown, text)
	case isTLS(err):
		e.kind = ErrTLS
		e.msg = fmt.Sprintf("websocket %s: %s: check the TLS trust (CA file or certificate pin) and the server name", shown, text)
	case ctx.Err() != nil:
		// The caller gave up (shutdown); not the server's fault.
		e.kind = ctx.Err()
		e.msg = fmt.Sprintf("websocket %s: dial abandoned: %v", shown, ctx.Err())
	default:
		e.kind = ErrUnreachable
		e.msg = fmt.Sprintf("websocket %s is unreachable: %s: check the address and port, and that the service runs", shown, text)
	}
	return e
}

// isTLS reports a failed TLS handshake: an untrusted or mismatched
// certificate, a pin mismatch, the peer's alert, or a server that does not
// speak TLS on that port.
func isTLS(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		op        *net.OpError
	)
	switch {
	case errors.Is(err, ErrTLS), errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &alert):
		return true
	case errors.As(err, &op) && op.Op == "remote error": // crypto/tls reports the peer's alert so
		return true
	}
	// crypto/tls reports most local handshake failures ("tls: server
	// selected unsupported protocol version") as plain errors, and net/http
	// a plain HTTP server on a wss:// port too.
	text := err.Error()
	return strings.Contains(text, "tls: ") || strings.Contains(text, "HTTP response to HTTPS client")
}

// keepalive pings every interval until stopped; a ping without a pong
// within timeout closes the connection, which ends a pending Read.
func (c *Conn) keepalive(ctx context.Context, interval, timeout time.Duration) {
	defer close(c.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pingCtx, cancel := context.WithTimeout(ctx, timeout)
		err := c.ws.Ping(pingCtx)
		cancel()
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil: // Close
			return
		case errors.Is(err, context.DeadlineExceeded):
			c.setCause(ErrPingTimeout)
			_ = c.ws.CloseNow()
		}
		return // closed by the peer or by the above: Read reports it
	}
}

func (c *Conn) setCause(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause == nil {
		c.cause = err
	}
}

// fail wraps an error of the library with the reason the connection
// closed itself, if it did.
func (c *Conn) fail(op string, err error) error {
	c.mu.Lock()
	cause := c.cause
	c.mu.Unlock()
	if cause != nil {
		return fmt.Errorf("websocket %s: %s: %w: %w", c.url, op, cause, err)
	}
	return fmt.Errorf("websocket %s: %s: %w", c.url, op, err)
}

// Read returns the next binary message. A text message is an error
// wrapping ErrTextMessage (the connection stays open); a message bigger
// than the read limit is an error wrapping ErrMessageTooBig and closes the
// connection. Cancelling ctx closes the connection too: a websocket read
// cannot be abandoned halfway. Not for concurrent use.
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	typ, b, err := c.ws.Read(ctx)
	if err != nil {
		// Every read error ends the connection. The library leaves one
		// open after a message over the limit, waiting for the peer to
		// answer its close frame, and a driver reconnects anyway.
		_ = c.ws.CloseNow()
		return nil, c.fail("read", err)
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("websocket %s: %w of %d bytes: the peer speaks another protocol", c.url, ErrTextMessage, len(b))
	}
	return b, nil
}

// Write sends p as one binary message. Safe for concurrent use: messages
// never interleave. Cancelling ctx during the write closes the connection.
func (c *Conn) Write(ctx context.Context, p []byte) error {
	if err := c.ws.Write(ctx, websocket.MessageBinary, p); err != nil {
		return c.fail("write", err)
	}
	return nil
}

// Subprotocol returns the subprotocol the server selected.
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// Close stops the pings and closes the connection with a normal close
// handshake (waiting a few seconds at most for the peer). Safe to call
// more than once and concurrently with Read and Write, which then fail.
func (c *Conn) Close() error {
	c.stop()
	<-c.done
	force := time.AfterFunc(closeGrace, c.raw.close)
	defer force.Stop()
	err := c.ws.Close(websocket.StatusNormalClosure, "")
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return c.fail("close", err)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
