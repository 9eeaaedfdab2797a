package gssim

import (
	"fmt"
	"strings"
)

// Fault makes the phone misbehave on its /cgi-bin/ endpoints; /sim/ control
// endpoints are never affected. Set it with SetFault or POST
// /sim/fault?mode=NAME, where NAME is the String form.
type Fault int

const (
	// FaultNone answers normally.
	FaultNone Fault = iota
	// FaultWrongPasscode answers every request as if the passcode were
	// wrong (HTTP 401).
	FaultWrongPasscode
	// FaultSlow waits Options.SlowDelay (default 5s) before answering
	// normally; a request cancelled meanwhile gets no answer.
	FaultSlow
	// FaultHTTP500 answers HTTP 500 with a text body.
	FaultHTTP500
	// FaultGarbage answers 200 with bytes that are not JSON (labelled
	// application/json).
	FaultGarbage
	// FaultHTML answers 200 with an HTML login page, as a phone does when
	// CTI is disabled.
	FaultHTML
	// FaultDrop closes the connection without answering.
	FaultDrop
)

var faultNames = []string{"none", "wrong-passcode", "slow", "http500", "garbage", "html", "drop"}

// String returns the fault's name: none, wrong-passcode, slow, http500,
// garbage, html or drop.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault returns the Fault named s (case-insensitive).
func ParseFault(s string) (Fault, error) {
	for i, n := range faultNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Fault(i), nil
		}
	}
	return 0, fmt.Errorf("gssim: unknown fault %q; want one of %s", s, strings.Join(faultNames, ", "))
}

// MarshalText encodes the fault as its name.
func (f Fault) MarshalText() ([]byte, error) {
	if f < 0 || int(f) >= len(faultNames) {
		return nil, fmt.Errorf("gssim: invalid fault %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText decodes a fault name.
func (f *Fault) UnmarshalText(b []byte) error {
	v, err := ParseFault(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// The answers of the faults.
const (
	garbageAnswer = "\x00\x1f\x8b{{response: success,,]]\xff"
	htmlAnswer    = `<!DOCTYPE html>
<html><head><title>Grandstream Device Configuration</title></head>
<body><form action="/cgi-bin/dologin" method="post">
<p>Password <input type="password" name="P2"></p>
<p><input type="submit" value="Login"></p>
</form></body></html>
`
)
