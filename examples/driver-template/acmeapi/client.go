package acmeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// LineState is a line's state word (ACME API §2).
type LineState string

// The line states of ACME API §2.
const (
	Idle      LineState = "idle"
	Ringing   LineState = "ringing"
	Dialing   LineState = "dialing"
	Ringback  LineState = "ringback"
	Connected LineState = "connected"
	Held      LineState = "held"
)

// Line is one line of GET /state.
type Line struct {
	Line   int       `json:"line"`
	State  LineState `json:"state"`
	Remote string    `json:"remote,omitempty"`
}

// State is the answer of GET /state.
type State struct {
	DND   bool   `json:"dnd"`
	Lines []Line `json:"lines"`
}

// StatusError is the phone's refusal of a request (ACME API §6).
type StatusError struct {
	// StatusCode is the HTTP status, e.g. 409.
	StatusCode int
	// Message is the phone's own text. It may quote the token (§1).
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("phone answered http %d: %s", e.StatusCode, e.Message)
}

// maxBody bounds how much of an answer is read.
const maxBody = 64 << 10

// Client talks to one phone. Safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client for the phone at host ("10.0.0.5", "10.0.0.5:8080"
// or a full "http://..." base URL) that authenticates with token. hc bounds
// each request with its Timeout; nil means http.DefaultClient.
func New(host, token string, hc *http.Client) (*Client, error) {
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	base, err := url.Parse(host)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("host %q is not a host, host:port or http URL", host)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: base, token: token, http: hc}, nil
}

// State reads GET /state.
func (c *Client) State(ctx context.Context) (*State, error) {
	var st State
	if err := c.do(ctx, http.MethodGet, "/state", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Dial places a call to number and returns the line it is on.
func (c *Client) Dial(ctx context.Context, number string) (int, error) {
	var answer struct {
		Line int `json:"line"`
	}
	if err := c.do(ctx, http.MethodPost, "/dial", url.Values{"number": {number}}, &answer); err != nil {
		return 0, err
	}
	return answer.Line, nil
}

// Answer answers the ringing call on line.
func (c *Client) Answer(ctx context.Context, line int) error { return c.onLine(ctx, "/answer", line) }

// Hangup ends the call on line; on a ringing line it declines the call
// (ACME API §4).
func (c *Client) Hangup(ctx context.Context, line int) error { return c.onLine(ctx, "/hangup", line) }

// Hold holds the connected call on line.
func (c *Client) Hold(ctx context.Context, line int) error { return c.onLine(ctx, "/hold", line) }

// Resume takes the held call on line off hold.
func (c *Client) Resume(ctx context.Context, line int) error { return c.onLine(ctx, "/resume", line) }

// SetDND switches do-not-disturb on or off.
func (c *Client) SetDND(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return c.do(ctx, http.MethodPost, "/dnd", url.Values{"on": {v}}, nil)
}

func (c *Client) onLine(ctx context.Context, path string, line int) error {
	return c.do(ctx, http.MethodPost, path, url.Values{"line": {strconv.Itoa(line)}}, nil)
}

// do sends one request and decodes a 200 answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read %s answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(body))
		}
		return &StatusError{StatusCode: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s answer: %w", path, err)
	}
	return nil
}
