// Package ipoapi is the client side of one MTCTI3 link to an Avaya IP
// Office: the secure websocket, request ids and their RequestResponses,
// subscriptions and the prompt NotifyAck every acknowledged Notify needs. It
// knows nothing of gRPC or of ctihost's call model; the driver
// (plugins/ipoffice) maps what it reads.
//
// A Session is one connected websocket. Reconnecting, resubscribing and
// resynchronising after a loss are the driver's: a Session that is done
// stays done.
package ipoapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	"github.com/ctihost/ctihost/sdk"
	"github.com/ctihost/ctihost/sdk/wsconn"
)

// DefaultPort is the MTCTI3 port when an address has none: wss on 443
// (vendor document, lines 197-205).
const DefaultPort = "443"

// Options says how to reach one IP Office.
type Options struct {
	// Address is host or host:port of the IP Office (port 443 if absent).
	Address string
	// Username and Password are the service user's, sent as HTTP Basic
	// authorization in the websocket handshake (document, lines 207-215).
	Username, Password string
	// TLS is the trust: system roots, a CA file or a pinned certificate.
	TLS wsconn.TLSOptions
	// Framing picks the endpoint: /tpkt/openapi (Framed, the default) or
	// /tpkt/openapinoframing.
	Framing mtcti.Framing
	// Logger receives what the Session notices but cannot return: garbage
	// frames, late answers. Never passwords.
	Logger hclog.Logger
}

// URL is the websocket URL of o, without credentials.
func (o Options) URL() string {
	host := o.Address
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, DefaultPort)
	}
	return "wss://" + host + o.Framing.Path()
}

// Handler receives what IP Office sends on its own. The Session calls it
// from its read loop, one message at a time, after it has acknowledged the
// Notify: a handler must not block for long, but a slow one never stalls
// IP Office's subscription.
type Handler interface {
	// Notify is an event of a subscription.
	Notify(n *mtcti.Notify)
	// Terminated says IP Office ended subscription id on its own.
	Terminated(id int32)
}

// Session is one open MTCTI3 link. Safe for concurrent use.
type Session struct {
	conn    *wsconn.Conn
	framing mtcti.Framing
	handler Handler
	logger  hclog.Logger

	answers sdk.Correlator[*mtcti.Message] // RequestResponse or GeneralData, by requestid
	subIDs  atomic.Int32
	// general are the requestids of GeneralCmds: their answer is the
	// GeneralData; a successful RequestResponse before it only says
	// "received".
	general sync.Map

	done    chan struct{}
	errOnce sync.Once
	err     error

	// Garbage counts frames from IP Office that could not be decoded.
	Garbage atomic.Uint64
}

// Dial opens a Session: the TLS websocket with Basic authorization and the
// `openapi` subprotocol. Errors wrap wsconn's classes (ErrUnauthorized,
// ErrTLS, ErrUnreachable) and never contain the password.
func Dial(ctx context.Context, o Options, h Handler) (*Session, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	conn, err := wsconn.Dial(ctx, wsconn.Options{
		URL: o.URL(), Subprotocol: mtcti.Subprotocol,
		Username: o.Username, Password: o.Password, TLS: o.TLS,
		ReadLimit: mtcti.MaxFrameSize,
	})
	if err != nil {
		return nil, err
	}
	s := &Session{conn: conn, framing: o.Framing, handler: h, logger: o.Logger, done: make(chan struct{})}
	s.answers.MaxID = math.MaxInt32 // requestid is an int32; 0 means "no answer"
	s.answers.Max = maxPending
	go s.read()
	return s, nil
}

// Done is closed when the link is gone; Err then says why.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the link ended, or nil while it is up.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the link. Requests waiting fail.
func (s *Session) Close() error {
	err := s.conn.Close()
	s.fail(errors.New("the link was closed"))
	return err
}

func (s *Session) fail(err error) {
	s.errOnce.Do(func() {
		s.err = err
		s.answers.FailAll(fmt.Errorf("%w: %v", ErrLinkDown, err))
		close(s.done)
	})
}

// read is the read loop: it decodes every frame, acknowledges Notifies at
// once, hands answers to their waiters and the rest to the handler.
func (s *Session) read() {
	for {
		b, err := s.conn.Read(context.Background())
		if err != nil {
			s.fail(err)
			_ = s.conn.Close()
			return
		}
		m, err := mtcti.Decode(s.framing, b)
		if err != nil {
			// A frame IP Office should not have sent: say so, sparingly,
			// and read on; the link itself is still good.
			if n := s.Garbage.Add(1); n == 1 || n%100 == 0 {
				s.logger.Warn("undecodable frame from IP Office; ignored", "error", err, "count", n)
			}
			continue
		}
		s.dispatch(m)
	}
}

func (s *Session) dispatch(m *mtcti.Message) {
	switch p := m.GetPayload().(type) {
	case *mtcti.Message_Response:
		id := p.Response.GetRequestid()
		if _, isGeneral := s.general.Load(id); isGeneral && p.Response.GetResult() == mtcti.ResultSuccess {
			return // the GeneralData follows
		}
		s.deliver(id, m)
	case *mtcti.Message_Generaldata:
		s.deliver(p.Generaldata.GetResponseid(), m)
	case *mtcti.Message_Notify:
		n := p.Notify
		if n.GetNotifyId() != 0 {
			// IP Office sends nothing more on the subscription until this
			// ack (document, lines 484-495): send it before anything else.
			s.send(&mtcti.Message{Payload: &mtcti.Message_Notifyack{Notifyack: &mtcti.NotifyAck{
				SubscribeId: n.GetSubscribeId(), NotifyId: n.GetNotifyId(),
			}}})
		}
		if n.GetPayload() != nil {
			s.handler.Notify(n) // a Notify without payload is ignored (document, line 484)
		}
	case *mtcti.Message_Subscribeterminated:
		s.handler.Terminated(p.Subscribeterminated.GetSubscribeId())
	default:
		s.logger.Debug("unexpected message from IP Office; ignored", "type", fmt.Sprintf("%T", p))
	}
}

func (s *Session) deliver(id int32, m *mtcti.Message) {
	if id <= 0 || !s.answers.Deliver(uint32(id), m) {
		s.logger.Debug("answer nobody waits for; ignored", "requestid", id)
	}
}

// send writes one message without waiting for an answer.
func (s *Session) send(m *mtcti.Message) {
	if err := s.write(context.Background(), m); err != nil {
		s.logger.Warn("cannot send to IP Office", "error", err)
	}
}

func (s *Session) write(ctx context.Context, m *mtcti.Message) error {
	b, err := mtcti.Encode(s.framing, m)
	if err != nil {
		return err
	}
	if err := s.conn.Write(ctx, b); err != nil {
		s.fail(err)
		return fmt.Errorf("%w: %v", ErrLinkDown, err)
	}
	return nil
}

// request sends m with a fresh requestid (set by stamp) and waits for its
// answer within ctx.
func (s *Session) request(ctx context.Context, m *mtcti.Message, stamp func(id int32)) (*mtcti.Message, error) {
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLinkDown, err)
	}
	id := s.answers.Next()
	p, err := s.answers.Expect(id)
	if err != nil {
		return nil, err
	}
	defer p.Cancel()
	stamp(int32(id))
	if err := s.write(ctx, m); err != nil {
		return nil, err
	}
	answer, err := p.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: no answer to request %d: %v", ErrNoAnswer, id, ctx.Err())
		}
		return nil, err
	}
	return answer, nil
}

// result turns a RequestResponse into nil or a *ResultError.
func result(m *mtcti.Message) error {
	r := m.GetResponse()
	if r == nil {
		return fmt.Errorf("%w: the answer is not a RequestResponse", ErrNoAnswer)
	}
	if r.GetResult() == mtcti.ResultSuccess {
		return nil
	}
	return &ResultError{Code: r.GetResult(), Additional: r.GetAdditional()}
}

// NewSubscribeID returns a subscribe_id not used before on this Session:
// ids are the app's, unique per connection (document, lines 357-360).
func (s *Session) NewSubscribeID() int32 { return s.subIDs.Add(1) }

// Subscribe sends sub (its requestid set here) and waits for IP Office's
// RequestResponse. A refresh is a Subscribe with the same subscribe_id, a
// timeout and no payload (document, lines 378-410).
func (s *Session) Subscribe(ctx context.Context, sub *mtcti.Subscribe) error {
	m, err := s.request(ctx, &mtcti.Message{Payload: &mtcti.Message_Subscribe{Subscribe: sub}}, func(id int32) { sub.Requestid = id })
	if err != nil {
		return err
	}
	return result(m)
}

// End ends a subscription.
func (s *Session) End(ctx context.Context, id int32) error {
	end := &mtcti.SubscribeEnd{SubscribeId: id}
	m, err := s.request(ctx, &mtcti.Message{Payload: &mtcti.Message_Subscribeend{Subscribeend: end}}, func(id int32) { end.Requestid = id })
	if err != nil {
		return err
	}
	return result(m)
}

// Command sends a SubscribeCmd on subscription id and waits for its
// RequestResponse. Success means IP Office received the command, not that
// it took effect (document, line 366): the Notifies say what happened.
func (s *Session) Command(ctx context.Context, cmd *mtcti.SubscribeCmd) error {
	m, err := s.request(ctx, &mtcti.Message{Payload: &mtcti.Message_Subscribecmd{Subscribecmd: cmd}}, func(id int32) { cmd.Requestid = id })
	if err != nil {
		return err
	}
	return result(m)
}

// Version asks getversioninfo (IP Office 11.1 and later; document, lines
// 4694-4731) and returns the version text.
func (s *Session) Version(ctx context.Context) (string, error) {
	cmd := &mtcti.GeneralCmd{Payload: &mtcti.GeneralCmd_Getversioninfo{Getversioninfo: true}}
	m, err := s.request(ctx, &mtcti.Message{Payload: &mtcti.Message_Generalcmd{Generalcmd: cmd}}, func(id int32) {
		cmd.Requestid = id
		s.general.Store(id, true)
	})
	s.general.Delete(cmd.Requestid)
	if err != nil {
		return "", err
	}
	if r := m.GetResponse(); r != nil { // an older IP Office refuses it
		return "", result(m)
	}
	return m.GetGeneraldata().GetVersioninfo(), nil
}

// Errors of a Session.
var (
	// ErrLinkDown: the websocket is gone; the outcome of a command in
	// flight is unknown.
	ErrLinkDown = errors.New("the link to IP Office is down")
	// ErrNoAnswer: IP Office did not answer a request in time.
	ErrNoAnswer = errors.New("IP Office did not answer")
)

// ResultError is a RequestResponse with a result other than success.
type ResultError struct {
	// Code is the document's result code (mtcti.Result*).
	Code int32
	// Additional is IP Office's optional text.
	Additional string
}

func (e *ResultError) Error() string {
	msg := "IP Office answered " + mtcti.ResultName(e.Code) + " (" + strconv.Itoa(int(e.Code)) + ")"
	if e.Additional != "" {
		msg += ": " + e.Additional
	}
	return msg
}

// maxPending bounds the requests waiting for an answer: at connect a
// driver subscribes every user and queue of a large system at once.
const maxPending = 16384
