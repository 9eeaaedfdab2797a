package simfault

import (
	"strings"
	"testing"
)

type fault uint

const (
	slow fault = 1 << iota
	broken
)

var names = []Name[fault]{{slow, "slow"}, {broken, "http500"}}

func TestFormatAndParseRoundTrip(t *testing.T) {
	for set, want := range map[fault]string{0: "none", slow: "slow", slow | broken: "slow,http500", broken | 8: "http500,Fault(0x8)"} {
		if got := Format(set, names); got != want {
			t.Errorf("Format(%d) = %q, want %q", set, got, want)
		}
	}
	for in, want := range map[string]fault{"": 0, "none": 0, "SLOW": slow, " http500 , slow ": slow | broken, "none,slow": slow} {
		got, err := Parse("sim", in, names)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseNamesTheSimulatorAndTheKnownFaults(t *testing.T) {
	_, err := Parse("snomsim", "slow,fire", names)
	if err == nil || !strings.Contains(err.Error(), `snomsim: unknown fault "fire"`) || !strings.Contains(err.Error(), "slow, http500") {
		t.Errorf("Parse of an unknown fault: %v", err)
	}
}
