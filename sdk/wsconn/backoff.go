package wsconn

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff spaces reconnect attempts: Min, then Factor times longer each
// time, never more than Max, less a random part so that the drivers of a
// site that lost its PBX do not all come back in the same second. The zero
// value waits 1s, 2s, 4s … up to a minute, without jitter. One Backoff
// serves one reconnect loop; it is not safe for concurrent use.
type Backoff struct {
	// Min is the first delay; 0 means one second.
	Min time.Duration
	// Max caps every delay; 0 means one minute.
	Max time.Duration
	// Factor multiplies the delay after each attempt; below 1 means 2.
	Factor float64
	// Jitter is the part of each delay that is random, from 0 (none) to 1
	// ("full jitter": anywhere in (0, delay]). 0.2 gives delays in
	// (0.8·delay, delay].
	Jitter float64
	// Rand returns a number in [0, 1); nil means math/rand/v2. Tests set it
	// to make delays deterministic.
	Rand func() float64

	attempt int
}

// Next returns the delay before the next attempt and counts the attempt.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = time.Minute
	}
	if hi < lo {
		hi = lo
	}
	factor := b.Factor
	if factor < 1 {
		factor = 2
	}
	// In floating point and capped before converting: Min·Factor^attempt
	// overflows a Duration after a few dozen attempts.
	d := math.Min(float64(lo)*math.Pow(factor, float64(b.attempt)), float64(hi))
	if b.attempt < math.MaxInt32 {
		b.attempt++
	}
	if j := math.Min(math.Max(b.Jitter, 0), 1); j > 0 {
		r := rand.Float64
		if b.Rand != nil {
			r = b.Rand
		}
		d -= j * d * r()
	}
	return max(time.Duration(d), 1) // never 0: a zero delay would spin
}

// Reset starts over at Min, after a connection that worked.
func (b *Backoff) Reset() { b.attempt = 0 }
