package snomsim

import (
	"github.com/ctihost/ctihost/sdk/simfault"
)

// Fault is a set of ways the phone misbehaves; combine them with |. Set
// them with SetFault or POST /sim/fault?mode=NAME[,NAME...]. The /sim/
// controls are never affected.
type Fault uint

const (
	// FaultWrongCredentials answers every request 401 with a challenge, as
	// if the HTTP user or password were wrong.
	FaultWrongCredentials Fault = 1 << iota
	// FaultCSTA500 answers every /csta request 500 with a CSTA error
	// (operation "generic") in the firmware's dialect, and does nothing.
	// FailNextCSTA fails single requests with a chosen operation instead.
	FaultCSTA500
	// FaultCallbacksDropped fires no action URL: each is logged with
	// outcome "dropped" and never sent.
	FaultCallbacksDropped
	// FaultCallbacksUnreachable fires no action URL: each is logged with
	// outcome "unreachable", as if the receiver refused the connection.
	FaultCallbacksUnreachable
	// FaultSlow delays every answer by Options.SlowDelay; a request
	// cancelled meanwhile gets no answer and has no effect.
	FaultSlow
)

// FaultNone is the empty set: the phone behaves.
const FaultNone Fault = 0

var faultNames = []simfault.Name[Fault]{
	{Fault: FaultWrongCredentials, Name: "wrong-credentials"},
	{Fault: FaultCSTA500, Name: "csta500"},
	{Fault: FaultCallbacksDropped, Name: "callbacks-dropped"},
	{Fault: FaultCallbacksUnreachable, Name: "callbacks-unreachable"},
	{Fault: FaultSlow, Name: "slow"},
}

// String returns the names of the faults joined by commas, or "none".
func (f Fault) String() string { return simfault.Format(f, faultNames) }

// ParseFault parses a comma-separated list of fault names (see String);
// "none" or "" is FaultNone.
func ParseFault(s string) (Fault, error) { return simfault.Parse("snomsim", s, faultNames) }

// MarshalText encodes the fault set as its names.
func (f Fault) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText decodes names as ParseFault does.
func (f *Fault) UnmarshalText(b []byte) error {
	v, err := ParseFault(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// SetFault sets how the phone misbehaves from now on; FaultNone restores
// normal behaviour.
func (p *Phone) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// FailNextCSTA makes the next /csta request that parses fail with HTTP
// 500 and the CSTA operation error op (e.g. "invalidCallID"), without
// effect; calls queue up, one per request.
func (p *Phone) FailNextCSTA(op string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = append(p.failNext, op)
}
