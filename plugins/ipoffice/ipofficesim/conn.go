package ipofficesim

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// outLimit bounds the messages waiting to be written to one client; a
// client that reads nothing for that long is disconnected.
const outLimit = 100000

// writeTimeout bounds one websocket write.
const writeTimeout = 10 * time.Second

// conn is one MTCTI3 connection.
type conn struct {
	s       *Server
	id      int
	ws      *websocket.Conn
	framing mtcti.Framing

	// guarded by s.mu
	subs   map[int32]*subscription
	closed bool

	outMu   sync.Mutex
	out     [][]byte
	outDone bool
	delayed []delayedReply // SetSlowAnswers: answers not yet due, in order
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
}

func newConn(s *Server, id int, ws *websocket.Conn, f mtcti.Framing) *conn {
	c := &conn{s: s, id: id, ws: ws, framing: f, subs: map[int32]*subscription{}, wake: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	return c
}

// send queues m for writing. It never blocks and may be called with or
// without s.mu.
func (c *conn) send(m *mtcti.Message) {
	b, err := mtcti.Encode(c.framing, m)
	if err != nil {
		c.s.log.Error("encode", "conn", c.id, "err", err)
		return
	}
	c.sendRaw(b)
}

// sendRaw queues a websocket binary message as it is.
func (c *conn) sendRaw(b []byte) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.outDone {
		return
	}
	if len(c.out) >= outLimit {
		c.outDone = true
		c.s.log.Warn("client does not read; disconnecting", "conn", c.id)
		go c.ws.CloseNow()
		return
	}
	c.out = append(c.out, b)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

type delayedReply struct {
	due  time.Time
	msgs []*mtcti.Message
}

// reply sends msgs now, or after the delay of SetSlowAnswers. Answers keep
// their order even when the delay changes. Caller holds s.mu.
func (c *conn) reply(msgs ...*mtcti.Message) {
	d := time.Duration(c.s.slow)
	c.outMu.Lock()
	queued := len(c.delayed) > 0
	if d > 0 || queued {
		c.delayed = append(c.delayed, delayedReply{due: c.s.clock.Now().Add(d), msgs: msgs})
	}
	c.outMu.Unlock()
	if d > 0 || queued {
		c.s.clock.AfterFunc(d, c.releaseDelayed)
		return
	}
	for _, m := range msgs {
		c.send(m)
	}
}

// releaseDelayed sends the delayed answers that are due, oldest first, and
// stops at the first that is not.
func (c *conn) releaseDelayed() {
	now := c.s.clock.Now()
	for {
		c.outMu.Lock()
		if len(c.delayed) == 0 || c.delayed[0].due.After(now) {
			c.outMu.Unlock()
			return
		}
		r := c.delayed[0]
		c.delayed = c.delayed[1:]
		c.outMu.Unlock()
		for _, m := range r.msgs {
			c.send(m)
		}
	}
}

// respond sends the RequestResponse for requestid, if it is not 0
// (lines 365-366). A success carries no result field. Caller holds s.mu.
func (c *conn) respond(requestid int32, result int32) {
	if requestid == 0 {
		return
	}
	c.reply(response(requestid, result))
}

func response(requestid, result int32) *mtcti.Message {
	return &mtcti.Message{Payload: &mtcti.Message_Response{Response: &mtcti.RequestResponse{Requestid: requestid, Result: result}}}
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		}
		c.outMu.Lock()
		batch := c.out
		c.out = nil
		c.outMu.Unlock()
		for _, b := range batch {
			ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
			err := c.ws.Write(ctx, websocket.MessageBinary, b)
			cancel()
			if err != nil {
				c.ws.CloseNow()
				return
			}
		}
	}
}

func (c *conn) readLoop() {
	defer c.drop()
	for {
		typ, b, err := c.ws.Read(c.ctx)
		if err != nil {
			// An oversized message (read limit mtcti.MaxFrameSize) has
			// already been answered with close code 1009 by the library.
			c.s.log.Debug("read", "conn", c.id, "err", err)
			return
		}
		if typ != websocket.MessageBinary {
			// Modelled: the document only speaks of binary messages.
			c.send(mtcti.UnpackError(0))
			continue
		}
		m, err := mtcti.Decode(c.framing, b)
		if err != nil {
			// Modelled: the document defines MTCTISESS_UNPACKERR (line
			// 3029) but not when it is sent; the frame's requestid cannot be
			// read, so 0 is echoed.
			c.s.log.Debug("undecodable frame", "conn", c.id, "err", err)
			c.send(mtcti.UnpackError(0))
			continue
		}
		c.s.handle(c, m)
	}
}

// drop forgets a closed connection and its subscriptions.
func (c *conn) drop() {
	c.cancel()
	c.ws.CloseNow()
	c.outMu.Lock()
	c.outDone = true
	c.out = nil
	c.outMu.Unlock()
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c.closed = true
	for _, sub := range c.subs {
		sub.stop()
	}
	c.subs = nil
	delete(s.conns, c.id)
	s.settle() // app handlers may have gone (noapphandler)
	s.log.Debug("disconnected", "conn", c.id)
}

// handle dispatches one message from the app.
func (s *Server) handle(c *conn, m *mtcti.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return
	}
	switch p := m.Payload.(type) {
	case *mtcti.Message_Subscribe:
		s.onSubscribe(c, p.Subscribe)
	case *mtcti.Message_Subscribecmd:
		s.onSubscribeCmd(c, p.Subscribecmd)
	case *mtcti.Message_Subscribeend:
		s.onSubscribeEnd(c, p.Subscribeend)
	case *mtcti.Message_Notifyack:
		s.onNotifyAck(c, p.Notifyack)
	case *mtcti.Message_Generalcmd:
		s.onGeneralCmd(c, p.Generalcmd)
	default:
		// No payload, an unknown one, or one only IP Office sends.
		// Modelled: answered like an undecodable frame.
		c.send(mtcti.UnpackError(0))
	}
	s.settle()
}

// onGeneralCmd answers getversioninfo and GetFile (lines 4700-4727,
// 3893-3896).
func (s *Server) onGeneralCmd(c *conn, g *mtcti.GeneralCmd) {
	var data *mtcti.GeneralData
	switch p := g.Payload.(type) {
	case *mtcti.GeneralCmd_Getversioninfo:
		data = &mtcti.GeneralData{Responseid: g.Requestid, Payload: &mtcti.GeneralData_Versioninfo{Versioninfo: s.version}}
	case *mtcti.GeneralCmd_Getfile:
		r := &mtcti.GetFileResponse{Cmdinst: p.Getfile.Cmdinst, Fname: p.Getfile.Fname}
		if p.Getfile.Fname == "nasystem/AccountCode" {
			// Modelled: the document names the file, not its format; one
			// code a line.
			for _, a := range s.opts.AccountCodes {
				r.Payload = append(r.Payload, a+"\n"...)
			}
		} else {
			r.Result = mtcti.ResultNotFound
		}
		data = &mtcti.GeneralData{Responseid: g.Requestid, Payload: &mtcti.GeneralData_Getfile{Getfile: r}}
	default:
		c.respond(g.Requestid, mtcti.ResultGenCmdInvalidPayload)
		return
	}
	var msgs []*mtcti.Message
	if g.Requestid != 0 && !s.opts.NoGeneralCmdResponse {
		msgs = append(msgs, response(g.Requestid, mtcti.ResultSuccess))
	}
	msgs = append(msgs, &mtcti.Message{Payload: &mtcti.Message_Generaldata{Generaldata: data}})
	c.reply(msgs...)
}
