package wsconn

import (
	"testing"
	"time"
)

func TestBackoffGrowsCapsAndResets(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Factor: 2}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.Next(); got != w*time.Millisecond {
			t.Errorf("attempt %d: %v, want %v", i, got, w*time.Millisecond)
		}
	}
	b.Reset()
	if got := b.Next(); got != 100*time.Millisecond {
		t.Errorf("after Reset: %v", got)
	}
}

func TestBackoffZeroValue(t *testing.T) {
	var b Backoff
	for i, w := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
		if got := b.Next(); got != w*time.Second {
			t.Errorf("attempt %d: %v, want %v", i, got, w*time.Second)
		}
	}
}

func TestBackoffNeverOverflows(t *testing.T) {
	b := Backoff{Min: time.Hour, Max: 1 << 62, Factor: 10}
	for range 1000 {
		if d := b.Next(); d <= 0 || d > 1<<62 {
			t.Fatalf("delay %v", d)
		}
	}
}

func TestBackoffJitter(t *testing.T) {
	for name, tc := range map[string]struct {
		jitter, r float64
		want      time.Duration
	}{
		"none":                     {0, 0.99, 800 * time.Millisecond},
		"proportional, r=0":        {0.25, 0, 800 * time.Millisecond},
		"proportional, r=0.5":      {0.25, 0.5, 700 * time.Millisecond},
		"full, r=0.5":              {1, 0.5, 400 * time.Millisecond},
		"full, r near 1 stays > 0": {1, 0.999999999999, time.Nanosecond},
		"clamped above 1":          {3, 0.5, 400 * time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			b := Backoff{Min: 800 * time.Millisecond, Jitter: tc.jitter, Rand: func() float64 { return tc.r }}
			got := b.Next()
			if tc.want == time.Nanosecond {
				if got <= 0 {
					t.Errorf("got %v, want > 0", got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoffJitterStaysInRange(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 8 * time.Second, Jitter: 0.2}
	for i := range 200 {
		d := b.Next()
		ceil := min(time.Second<<min(i, 3), 8*time.Second)
		if d > ceil || d <= ceil*8/10 {
			t.Fatalf("attempt %d: %v outside (%v, %v]", i, d, ceil*8/10, ceil)
		}
	}
}
