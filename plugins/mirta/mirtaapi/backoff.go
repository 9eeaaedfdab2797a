package mirtaapi

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces out retries of a poller after temporary failures
// (APIError.Temporary): exponential from Base, capped at Max, with "equal
// jitter" (each delay is uniformly between half and all of the
// exponential step) so that many drivers polling one PBX do not retry in
// step. The client itself never retries; writes (DIAL, HANGUP, TRANSFER)
// must not be retried blindly at all, since the PBX may have acted before
// the answer was lost.
//
// The zero value uses DefaultBackoffBase and DefaultBackoffMax. A Backoff
// is not safe for concurrent use: keep one per poller.
type Backoff struct {
	Base time.Duration // first step (OPTIONAL, default DefaultBackoffBase)
	Max  time.Duration // cap (OPTIONAL, default DefaultBackoffMax)
	// Rand returns a number in [0, 1) (OPTIONAL, default math/rand/v2);
	// tests set it to make delays exact.
	Rand func() float64

	attempt int
}

// Backoff defaults: the first retry comes after 0.5-1 s, later ones after
// at most 30 s, a period at which polling a recovering PBX costs little.
const (
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 30 * time.Second
)

// Next returns the delay before the next retry and counts the attempt.
func (b *Backoff) Next() time.Duration {
	base, ceil := b.Base, b.Max
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if ceil <= 0 {
		ceil = DefaultBackoffMax
	}
	if ceil < base {
		ceil = base
	}
	step := base
	for i := 0; i < b.attempt && step < ceil; i++ {
		step *= 2
	}
	if step > ceil || step <= 0 {
		step = ceil
	}
	if b.attempt < 64 {
		b.attempt++
	}
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	f := r()
	if f < 0 || f >= 1 {
		f = 0
	}
	half := step / 2
	return half + time.Duration(f*float64(step-half))
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Attempts returns the retries counted since the last Reset.
func (b *Backoff) Attempts() int { return b.attempt }
