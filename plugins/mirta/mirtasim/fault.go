package mirtasim

import (
	"strings"

	"github.com/ctihost/ctihost/sdk/simfault"
)

// Fault is a set of ways the PBX misbehaves; combine them with |. Set them
// for every request with SetFault, for one reqtype with SetReqtypeFault,
// or over HTTP with POST /sim/fault. The /sim/ controls are never
// affected.
type Fault uint

const (
	// FaultWrongKey refuses every request as a bad key: HTTP 200 and
	// "Too bad... you mistaken the security api key." (facts §0, OBSERVED).
	FaultWrongKey Fault = 1 << iota
	// FaultSlow delays every answer by Options.SlowDelay; a request
	// cancelled meanwhile gets no answer and has no effect.
	FaultSlow
	// FaultHTTP500 answers HTTP 500 with an HTML page and does nothing.
	FaultHTTP500
	// FaultGarbage answers HTTP 200 with an HTML page (as a web server's
	// error or login page would) and does nothing.
	FaultGarbage
	// FaultTruncated cuts the answer (JSON or plain) in half, after the
	// request took effect.
	FaultTruncated
	// FaultOverload answers HTTP 503 with an HTML page and does nothing
	// (facts §0, MODELLED overload).
	FaultOverload
)

// FaultNone is the empty set: the PBX behaves.
const FaultNone Fault = 0

var faultNames = []simfault.Name[Fault]{
	{Fault: FaultWrongKey, Name: "wrong-key"},
	{Fault: FaultSlow, Name: "slow"},
	{Fault: FaultHTTP500, Name: "http500"},
	{Fault: FaultGarbage, Name: "garbage"},
	{Fault: FaultTruncated, Name: "truncated"},
	{Fault: FaultOverload, Name: "overload"},
}

// String returns the names of the faults joined by commas, or "none".
func (f Fault) String() string { return simfault.Format(f, faultNames) }

// ParseFault parses a comma-separated list of fault names (see String);
// "none" or "" is FaultNone.
func ParseFault(s string) (Fault, error) { return simfault.Parse("mirtasim", s, faultNames) }

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

// SetFault sets how every request misbehaves from now on; FaultNone
// restores normal behaviour (per-reqtype faults stay).
func (p *PBX) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// SetReqtypeFault sets how requests of one reqtype (e.g. "GETCURRENTCALLS",
// any case) misbehave, on top of SetFault's; FaultNone clears it.
func (p *PBX) SetReqtypeFault(reqtype string, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := strings.ToUpper(strings.TrimSpace(reqtype))
	if f == FaultNone {
		delete(p.faultReq, rt)
		return
	}
	if len(p.faultReq) < 256 {
		p.faultReq[rt] = f
	}
}

// Faults returns the global fault set and the per-reqtype ones.
func (p *PBX) Faults() (Fault, map[string]Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]Fault{}
	for k, v := range p.faultReq {
		m[k] = v
	}
	return p.fault, m
}
