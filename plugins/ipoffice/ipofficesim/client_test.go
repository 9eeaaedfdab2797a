package ipofficesim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// A real MTCTI3 client for the tests: coder/websocket over TLS with the
// simulator's certificate trusted, Basic authorization and the openapi
// subprotocol.

// wait bounds every wait of the tests; nothing is timed, only bounded.
const wait = 10 * time.Second

type dialOpts struct {
	user, pass  string
	noProto     bool
	framing     mtcti.Framing
	extraHeader http.Header
}

func httpClient(srv *Server) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertPEM())
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func rawDial(srv *Server, addr string, o dialOpts) (*websocket.Conn, *http.Response, error) {
	if o.user == "" && o.pass == "" {
		o.user, o.pass = DefaultUsername, DefaultPassword
	}
	hdr := http.Header{}
	for k, v := range o.extraHeader {
		hdr[k] = v
	}
	hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.user+":"+o.pass)))
	opts := &websocket.DialOptions{HTTPClient: httpClient(srv), HTTPHeader: hdr}
	if !o.noProto {
		opts.Subprotocols = []string{mtcti.Subprotocol}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return websocket.Dial(ctx, URL(addr, o.framing), opts)
}

type client struct {
	t       *testing.T
	ws      *websocket.Conn
	framing mtcti.Framing

	mu      sync.Mutex
	cond    *sync.Cond
	backlog []*mtcti.Message
	bad     [][]byte // frames that did not decode
	err     error    // the read loop's end
	nextReq int32
}

func dialClient(t *testing.T, srv *Server, addr string, f mtcti.Framing) *client {
	t.Helper()
	ws, _, err := rawDial(srv, addr, dialOpts{framing: f})
	if err != nil {
		t.Fatalf("dial %s: %v", f, err)
	}
	return startClient(t, ws, f)
}

func startClient(t *testing.T, ws *websocket.Conn, f mtcti.Framing) *client {
	ws.SetReadLimit(mtcti.MaxFrameSize)
	c := &client{t: t, ws: ws, framing: f, nextReq: 100}
	c.cond = sync.NewCond(&c.mu)
	go func() {
		for {
			_, b, err := ws.Read(context.Background())
			c.mu.Lock()
			if err != nil {
				c.err = err
				c.cond.Broadcast()
				c.mu.Unlock()
				return
			}
			if m, derr := mtcti.Decode(f, b); derr != nil {
				c.bad = append(c.bad, b)
			} else {
				c.backlog = append(c.backlog, m)
			}
			c.cond.Broadcast()
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) send(m *mtcti.Message) {
	c.t.Helper()
	b, err := mtcti.Encode(c.framing, m)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// until waits, bounded, for cond (called with c.mu held) to hold.
func (c *client) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	timer := time.AfterFunc(wait, func() { c.mu.Lock(); c.cond.Broadcast(); c.mu.Unlock() })
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !cond() {
		if c.err != nil || time.Now().After(deadline) {
			c.t.Fatalf("waiting for %s: %v (backlog %d messages: %v)", what, c.err, len(c.backlog), c.backlog)
		}
		c.cond.Wait()
	}
}

// take removes and returns the first message (in arrival order) matching
// pred, waiting for it.
func (c *client) take(what string, pred func(*mtcti.Message) bool) *mtcti.Message {
	c.t.Helper()
	var got *mtcti.Message
	c.until(what, func() bool {
		for i, m := range c.backlog {
			if pred(m) {
				got = m
				c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
				return true
			}
		}
		return false
	})
	return got
}

// pending returns, without waiting, the backlog messages matching pred.
func (c *client) pending(pred func(*mtcti.Message) bool) []*mtcti.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*mtcti.Message
	for _, m := range c.backlog {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

// sync makes sure everything the server sent before now has arrived: the
// server handles a connection's messages in order and writes in order, so
// once the answer to a getversioninfo arrives, so has all that preceded it.
func (c *client) sync() {
	c.t.Helper()
	id := c.req()
	c.send(&mtcti.Message{Payload: &mtcti.Message_Generalcmd{Generalcmd: &mtcti.GeneralCmd{Requestid: id, Payload: &mtcti.GeneralCmd_Getversioninfo{Getversioninfo: true}}}})
	c.take("sync generaldata", func(m *mtcti.Message) bool { return m.GetGeneraldata().GetResponseid() == id })
	c.take("sync response", isResponse(id))
}

func (c *client) req() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextReq++
	return c.nextReq
}

func isResponse(id int32) func(*mtcti.Message) bool {
	return func(m *mtcti.Message) bool { r := m.GetResponse(); return r != nil && r.Requestid == id }
}

func isNotify(sid int32) func(*mtcti.Message) bool {
	return func(m *mtcti.Message) bool { return m.GetNotify().GetSubscribeId() == sid }
}

func isCallNotify(sid int32) func(*mtcti.Message) bool {
	return func(m *mtcti.Message) bool {
		n := m.GetNotify()
		return n.GetSubscribeId() == sid && n.GetCallcontrol() != nil
	}
}

// result sends m (whose requestid is id) and returns the RequestResponse's
// result.
func (c *client) result(id int32, m *mtcti.Message) int32 {
	c.t.Helper()
	c.send(m)
	return c.take("response", isResponse(id)).GetResponse().GetResult()
}

func (c *client) subscribe(sub *mtcti.Subscribe) int32 {
	c.t.Helper()
	sub.Requestid = c.req()
	return c.result(sub.Requestid, &mtcti.Message{Payload: &mtcti.Message_Subscribe{Subscribe: sub}})
}

func (c *client) cmd(sid int32, cmd *mtcti.SubscribeCmd) int32 {
	c.t.Helper()
	cmd.Requestid, cmd.SubscribeId = c.req(), sid
	return c.result(cmd.Requestid, &mtcti.Message{Payload: &mtcti.Message_Subscribecmd{Subscribecmd: cmd}})
}

func (c *client) callFn(sid, callid int32, cf *mtcti.CallFunction) int32 {
	c.t.Helper()
	return c.cmd(sid, &mtcti.SubscribeCmd{Payload: &mtcti.SubscribeCmd_Callcontrol{Callcontrol: &mtcti.UpdateCallControl{Callid: callid, Callfunction: cf}}})
}

func (c *client) ack(n *mtcti.Notify) {
	if n.NotifyId != 0 {
		c.send(&mtcti.Message{Payload: &mtcti.Message_Notifyack{Notifyack: &mtcti.NotifyAck{SubscribeId: n.SubscribeId, NotifyId: n.NotifyId}}})
	}
}

// notify takes the next Notify of subscription sid and acks it.
func (c *client) notify(sid int32) *mtcti.Notify {
	c.t.Helper()
	n := c.take("notify", isNotify(sid)).GetNotify()
	c.ack(n)
	return n
}

// calls takes the next call-control Notify of sid and acks it.
func (c *client) calls(sid int32) *mtcti.NotifyCallControl {
	c.t.Helper()
	n := c.take("callcontrol notify", isCallNotify(sid)).GetNotify()
	c.ack(n)
	return n.GetCallcontrol()
}

// subscribeUser subscribes to user ext with ccflags and consumes the first
// user Notify.
func (c *client) subscribeUser(srv *Server, sid int32, ext string, flags, ccflags int32) *mtcti.NotifyUser {
	c.t.Helper()
	var guid []byte
	for _, u := range srv.Users() {
		if u.Extension == ext {
			guid = u.GUID
		}
	}
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: sid, Payload: &mtcti.Subscribe_User{User: &mtcti.SubscribeUser{Guid: guid, Flags: flags, Ccflags: ccflags}}}); r != 0 {
		c.t.Fatalf("subscribe user %s: %s", ext, mtcti.ResultName(r))
	}
	return c.notify(sid).GetUser()
}

func (c *client) subscribeQueue(sid int32, name string, flags, ccflags int32) *mtcti.NotifyQueue {
	c.t.Helper()
	if r := c.subscribe(&mtcti.Subscribe{SubscribeId: sid, Payload: &mtcti.Subscribe_Queue{Queue: &mtcti.SubscribeQueue{Name: name, Flags: flags, Ccflags: ccflags}}}); r != 0 {
		c.t.Fatalf("subscribe queue %s: %s", name, mtcti.ResultName(r))
	}
	return c.notify(sid).GetQueue()
}

// closeErr waits for the connection to end and returns why.
func (c *client) closeErr() error {
	c.t.Helper()
	c.until("connection end", func() bool { return c.err != nil })
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// testServer starts a simulator with users 201-205 and queues Sales (600:
// 201, 202, 203) and Support (601: 204, 205).
func testServer(t *testing.T, mod func(*Options)) (*Server, string) {
	t.Helper()
	o := Options{
		Users: []UserSpec{
			{Extension: "201", Name: "Alice"}, {Extension: "202", Name: "Bob"}, {Extension: "203", Name: "Carol"},
			{Extension: "204", Name: "Dave"}, {Extension: "205", Name: "Eve", NoVoicemail: true},
		},
		Queues: []QueueSpec{
			{Name: "Sales", Number: "600", Members: []string{"201", "202", "203"}},
			{Name: "Support", Number: "601", Members: []string{"204", "205"}},
		},
	}
	if mod != nil {
		mod(&o)
	}
	srv := New(o)
	addr, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, addr
}

// eventually polls cond, bounded, for state the server exposes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// manualClock is a Clock the test advances by hand.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	c    *manualClock
	at   time.Time
	f    func()
	done bool
}

func (m *manualClock) Now() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.now }

func (m *manualClock) AfterFunc(d time.Duration, f func()) Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &manualTimer{c: m, at: m.now.Add(d), f: f}
	m.timers = append(m.timers, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the clock and runs the timers that came due, in order.
func (m *manualClock) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	var due []*manualTimer
	for _, t := range m.timers {
		if !t.done && !t.at.After(m.now) {
			t.done = true
			due = append(due, t)
		}
	}
	m.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

func isCloseStatus(err error, code websocket.StatusCode) bool {
	var ce websocket.CloseError
	return errors.As(err, &ce) && ce.Code == code
}
