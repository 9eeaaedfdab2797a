package snomsim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Callback is one firing of an action URL, for tests.
type Callback struct {
	Seq    int    `json:"seq"`     // 1, 2, ... in event order
	Event  string `json:"event"`   // the setting, e.g. "action_incoming_url"
	CSTAID string `json:"csta_id"` // the call's $csta_id; "" for events without a call
	// URL is the configured URL with the variables substituted, before
	// escaping for the request line.
	URL string `json:"url"`
	// Outcome: "pending", "sent" (any HTTP answer), "failed" (no answer
	// within the timeout, refused, bad URL), "dropped" (FaultCallbacksDropped:
	// not sent) or "unreachable" (FaultCallbacksUnreachable: not sent,
	// recorded as failed to connect).
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"` // HTTP status when sent
	Err     string `json:"error,omitempty"`
}

// RuntimeVariables are the runtime variables of Snom's action URLs as the
// public "Action URLs" page (service.snom.com/display/wiki/Action+URLs)
// lists them. Settings are variables too ("$mac", "$user_name1"); private
// ones such as passwords become empty strings.
var RuntimeVariables = []string{
	"local", "remote", "active_url", "active_user", "active_host", "csta_id",
	"call-id", "display_local", "display_remote", "expansion_module",
	"active_key", "phone_ip", "local_ip", "nr_ongoing_calls", "context_url",
	"cancel_reason", "longpress_key",
}

// emit queues the action URL of event, if configured, with the variables
// of call c (nil for none) taken now. p.mu is held, so callbacks are
// queued in event order; one sender per phone sends them in that order.
func (p *Phone) emit(event string, c *call) {
	tmpl := strings.TrimSpace(p.settings[event])
	if tmpl == "" || p.cb.closed {
		return
	}
	p.cb.seq++
	cb := Callback{Seq: p.cb.seq, Event: event, URL: p.substitute(tmpl, p.variables(c)), Outcome: "pending"}
	if c != nil {
		cb.CSTAID = strconv.Itoa(c.csta)
	}
	switch {
	case p.fault&FaultCallbacksDropped != 0:
		cb.Outcome = "dropped"
	case p.fault&FaultCallbacksUnreachable != 0:
		cb.Outcome, cb.Err = "unreachable", "connect: connection refused (simulated)"
	default:
		p.cb.queue = append(p.cb.queue, len(p.cb.log))
	}
	p.cb.log = append(p.cb.log, cb)
	if len(p.cb.queue) > 0 {
		select {
		case p.cb.wake <- struct{}{}:
		default:
		}
	}
}

// variables returns the runtime variables for call c. p.mu is held.
// Modelled details: $remote is the other party and $local the phone's
// identity whatever the direction; $active_key, $expansion_module,
// $context_url, $cancel_reason and $longpress_key are empty.
func (p *Phone) variables(c *call) map[string]string {
	ident := p.activeIdentity()
	if c != nil {
		ident = c.ident
	}
	id := p.identity(ident)
	v := map[string]string{
		"phone_ip":         p.opts.PhoneIP,
		"local_ip":         p.opts.PhoneIP,
		"nr_ongoing_calls": strconv.Itoa(len(p.dev.calls)),
		"expansion_module": "", "active_key": "", "context_url": "",
		"cancel_reason": "", "longpress_key": "",
		"active_user": id.User, "active_host": id.Host,
		"local": "", "remote": "", "csta_id": "", "call-id": "",
		"display_local": "", "display_remote": "",
	}
	if id.configured() {
		v["active_url"] = id.URI()
	} else {
		v["active_url"] = ""
	}
	if c != nil {
		v["local"], v["display_local"] = id.URI(), id.RealName
		v["remote"], v["display_remote"] = c.remote, c.remoteName
		v["csta_id"], v["call-id"] = strconv.Itoa(c.csta), c.sipID
	}
	return v
}

// substitute replaces $name in tmpl textually, without escaping: a value
// with spaces stays with spaces. At each $ it takes the longest known
// name (runtime variable or setting) that starts there, so "$call-id&x"
// and "$mac&/settings.xml" work, as in Snom's examples; an unknown $word
// stays as it is (modelled). Settings whose name contains "pass" become
// empty ("private settings like passwords would be replaced by empty
// strings", wiki.snom.com/Web_Interface/V8/Action_URL_Settings).
func (p *Phone) substitute(tmpl string, runtime map[string]string) string {
	names := make([]string, 0, len(runtime)+len(p.settings))
	lookup := map[string]string{}
	for k, v := range p.settings {
		names = append(names, k)
		lookup[k] = v
	}
	for k, v := range runtime {
		if _, dup := lookup[k]; !dup {
			names = append(names, k)
		}
		lookup[k] = v
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '$' {
			b.WriteByte(tmpl[i])
			continue
		}
		rest := tmpl[i+1:]
		matched := ""
		for _, n := range names {
			if strings.HasPrefix(rest, n) && (len(rest) == len(n) || !nameByte(rest[len(n)])) {
				matched = n
				break
			}
		}
		if matched == "" {
			b.WriteByte('$')
			continue
		}
		val := lookup[matched]
		if strings.Contains(matched, "pass") {
			val = ""
		}
		b.WriteString(val)
		i += len(matched)
	}
	return b.String()
}

// nameByte reports whether b can continue a variable name, so "$remote"
// does not match inside "$remotes".
func nameByte(b byte) bool {
	return b == '_' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// callbackState is the sender's state, guarded by Phone.mu.
type callbackState struct {
	seq    int
	log    []Callback
	queue  []int // indices into log still to send, oldest first
	busy   bool  // one being sent
	closed bool
	wake   chan struct{}
	stop   context.CancelFunc
	done   chan struct{}
}

// sendCallbacks is the phone's one sender: it sends queued callbacks
// oldest first, each as an HTTP GET with Options.CallbackTimeout, so a
// slow receiver delays the following ones as on a real phone.
func (p *Phone) sendCallbacks(ctx context.Context) {
	defer close(p.cb.done)
	for {
		p.mu.Lock()
		if len(p.cb.queue) == 0 {
			p.cb.busy = false
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-p.cb.wake:
				continue
			}
		}
		i := p.cb.queue[0]
		p.cb.queue = p.cb.queue[1:]
		p.cb.busy = true
		target := p.cb.log[i].URL
		p.mu.Unlock()

		status, err := p.fire(ctx, target)

		p.mu.Lock()
		cb := &p.cb.log[i]
		if err != nil {
			cb.Outcome, cb.Err = "failed", err.Error()
		} else {
			cb.Outcome, cb.Status = "sent", status
		}
		p.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// fire sends one GET. The URL was substituted textually; characters a
// request line cannot carry (spaces, non-ASCII) are percent-escaped here,
// as any HTTP client must.
func (p *Phone) fire(ctx context.Context, target string) (int, error) {
	u, err := url.Parse(escapeLoose(target))
	if err != nil {
		return 0, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return 0, errors.New("action url is not http(s): " + u.Scheme)
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "Mozilla/4.0 (compatible; snom"+p.prof.Model+"-SIP "+p.prof.Firmware+")")
	resp, err := p.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// escapeLoose percent-escapes bytes that may not appear in a URL: space,
// controls, non-ASCII, and a few delimiters; everything else is kept.
func escapeLoose(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' || c == '}' || c == '|' || c == '\\' || c == '^' {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)>>4, 16)+strconv.FormatInt(int64(c)&15, 16)))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Callbacks returns every action URL firing so far, in event order.
func (p *Phone) Callbacks() []Callback {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Callback(nil), p.cb.log...)
}

// Flush waits until every queued callback has been sent or has failed, or
// ctx is done.
func (p *Phone) Flush(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		p.mu.Lock()
		idle := len(p.cb.queue) == 0 && !p.cb.busy
		p.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
