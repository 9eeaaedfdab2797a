package ipofficesim

import (
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// Faults and observability, for tests of a driver's recovery.

// DropConnections closes every client's websocket abruptly (no close
// frame), as a network failure or an IP Office restart would. Their
// subscriptions are forgotten.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.CloseNow()
	}
}

// TerminateSubscriptions ends every subscription of every client with a
// SubscribeTerminated (lines 549-565); Notifies held for an ack are
// dropped. The connections stay up.
func (s *Server) TerminateSubscriptions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.connList() {
		for _, sub := range c.subList() {
			s.terminate(sub, true)
		}
	}
	s.settle()
}

// RefuseLogin makes every new upgrade fail with HTTP 401, whatever the
// credentials, until called with false. Connections already up stay.
func (s *Server) RefuseLogin(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

// SetSlowAnswers delays every RequestResponse and GeneralData by d (0
// answers at once). Notifies are not delayed, so an app can see an
// action's effect before its answer, which the document allows: a
// response means "received", not "done".
func (s *Server) SetSlowAnswers(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = int64(d)
}

// Garbage is the frame SendGarbage sends after the framing header (if
// any): a length-delimited field 1 whose length runs past the end, which
// mtcti.Decode reports as ErrTruncated.
var Garbage = []byte{0x0a, 0x7f, 0x01}

// SendGarbage sends every client a binary message that is not a valid
// Message, with the framing header on framed connections.
func (s *Server) SendGarbage() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.connList() {
		b := Garbage
		if c.framing == mtcti.Framed {
			b = append([]byte{0, 0, 0, 1}, Garbage...)
		}
		c.sendRaw(append([]byte(nil), b...))
	}
}

// SendRaw sends every client b as one binary websocket message, exactly
// as given.
func (s *Server) SendRaw(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.connList() {
		c.sendRaw(append([]byte(nil), b...))
	}
}

// PendingNotifies returns the number of Notifies generated but held back,
// over all subscriptions, because an earlier Notify of the same
// subscription waits for its NotifyAck.
func (s *Server) PendingNotifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		for _, sub := range c.subs {
			n += len(sub.held)
		}
	}
	return n
}

// SubscriptionInfo describes one live subscription.
type SubscriptionInfo struct {
	// Conn numbers the connection, from 1 in order of arrival.
	Conn        int
	SubscribeID int32
	// Kind is "presence", "lines", "user", "queue", "parkserver" or
	// "refreshwrapper".
	Kind string
	// Target is the user's extension or the queue's name.
	Target string
	// Timeout is the current timeout (0: never) and Expires when it runs
	// out (zero: never).
	Timeout time.Duration
	Expires time.Time
	// AwaitingAck is the notify_id waiting for a NotifyAck (0: none) and
	// Held the Notifies queued behind it.
	AwaitingAck int32
	Held        int
}

// Subscriptions returns every live subscription, by connection and
// subscribe_id.
func (s *Server) Subscriptions() []SubscriptionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SubscriptionInfo
	for _, c := range s.connList() {
		for _, sub := range c.subList() {
			si := SubscriptionInfo{Conn: c.id, SubscribeID: sub.id, Kind: sub.kind.String(), Timeout: sub.timeout,
				Expires: sub.expires, AwaitingAck: sub.awaiting, Held: len(sub.held)}
			switch {
			case sub.user != nil:
				si.Target = sub.user.ext
			case sub.queue != nil:
				si.Target = sub.queue.name
			}
			out = append(out, si)
		}
	}
	return out
}

// Connections returns the number of MTCTI3 connections up.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
