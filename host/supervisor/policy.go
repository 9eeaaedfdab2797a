package supervisor

import (
	"math/rand/v2"
	"time"
)

// Policy says how an instance is supervised. The zero value of a field
// means its default.
type Policy struct {
	// CommandTimeout bounds every call the supervisor makes (GetInfo,
	// Configure, GetDeviceState). Default 5s.
	CommandTimeout time.Duration
	// StartTimeout bounds the go-plugin handshake. Default 10s.
	StartTimeout time.Duration
	// RestartBackoff is the first restart's delay; each further crash in the
	// window doubles it, up to MaxRestartBackoff, with ±20% jitter so that
	// many instances do not restart in step. Default 100ms.
	RestartBackoff time.Duration
	// MaxRestartBackoff caps the delay. Default 30s.
	MaxRestartBackoff time.Duration
	// CrashLoopRestarts crashes within CrashLoopWindow stop the restarts:
	// the instance is CRASH_LOOP until an operator restarts it. Default 5.
	CrashLoopRestarts int
	// CrashLoopWindow is the window crashes are counted in. Default 1m.
	CrashLoopWindow time.Duration
	// CommandGrace is how long a command waits for a restarting instance
	// before it fails UNAVAILABLE. Default 2s.
	CommandGrace time.Duration
	// ProbeInterval is how often a running instance is probed (GetInfo).
	// Default 2s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a probe may take; two failed probes in a row
	// kill the process, which is then restarted. Default 1s.
	ProbeTimeout time.Duration
}

// withDefaults returns p with every zero field set to its default.
func (p Policy) withDefaults() Policy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.CommandTimeout, 5*time.Second)
	def(&p.StartTimeout, 10*time.Second)
	def(&p.RestartBackoff, 100*time.Millisecond)
	def(&p.MaxRestartBackoff, 30*time.Second)
	def(&p.CrashLoopWindow, time.Minute)
	def(&p.CommandGrace, 2*time.Second)
	def(&p.ProbeInterval, 2*time.Second)
	def(&p.ProbeTimeout, time.Second)
	if p.CrashLoopRestarts <= 0 {
		p.CrashLoopRestarts = 5
	}
	return p
}

// backoff is the delay before the restart that follows the n-th crash in
// the window (n >= 1).
func (p Policy) backoff(n int) time.Duration {
	d := p.RestartBackoff
	for i := 1; i < n && d < p.MaxRestartBackoff; i++ {
		d *= 2
	}
	if d > p.MaxRestartBackoff {
		d = p.MaxRestartBackoff
	}
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) * 2
	return d - d/5 + jitter
}
