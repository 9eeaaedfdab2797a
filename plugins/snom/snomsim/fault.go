package snomsim

import (
	"fmt"
	"strings"
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

var faultNames = []struct {
	f    Fault
	name string
}{
	{FaultWrongCredentials, "wrong-credentials"},
	{FaultCSTA500, "csta500"},
	{FaultCallbacksDropped, "callbacks-dropped"},
	{FaultCallbacksUnreachable, "callbacks-unreachable"},
	{FaultSlow, "slow"},
}

// String returns the names of the faults joined by commas, or "none".
func (f Fault) String() string {
	var names []string
	for _, n := range faultNames {
		if f&n.f != 0 {
			names = append(names, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		names = append(names, fmt.Sprintf("Fault(%#x)", uint(f)))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// ParseFault parses a comma-separated list of fault names (see String);
// "none" or "" is FaultNone.
func ParseFault(s string) (Fault, error) {
	var f Fault
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || strings.EqualFold(part, "none") {
			continue
		}
		found := false
		for _, n := range faultNames {
			if strings.EqualFold(part, n.name) {
				f |= n.f
				found = true
			}
		}
		if !found {
			all := make([]string, len(faultNames))
			for i, n := range faultNames {
				all[i] = n.name
			}
			return 0, fmt.Errorf("snomsim: unknown fault %q; want none or a comma-separated list of %s", part, strings.Join(all, ", "))
		}
	}
	return f, nil
}

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
