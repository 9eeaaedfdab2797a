package checker

import (
	"context"
	"strings"
	"testing"
	"time"
)

type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// The short version of make chaos: three hosts of one cluster, four
// phones, 22 seconds of a driver and a host killed, a host paused and a
// link cut or delayed (seed 56)
// under calls and commands, then every check against the phones' ground
// truth.
func TestShortChaosRunHasNoViolation(t *testing.T) {
	rep, err := Run(context.Background(), Options{Root: "../../..", Duration: 22 * time.Second, Hosts: 3, Phones: 4, Pauses: true, Seed: 56, Out: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) > 0 {
		t.Errorf("%d violations (the report above has the schedule and each call's events)", len(rep.Violations))
	}
	if len(rep.Schedule) < 2 || rep.Seen == 0 || rep.Events == 0 {
		t.Errorf("the run proved little: %d faults, %d calls reached the apps, %d events", len(rep.Schedule), rep.Seen, rep.Events)
	}
}
