package main

import (
	"strings"
	"testing"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 50: "50", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRowsFlag(t *testing.T) {
	rows, err := parseRows("phones, faults")
	if err != nil {
		t.Fatal(err)
	}
	o := options{rows: rows}
	for group, want := range map[string]bool{"phones": true, "faults": true, "command": true, "events": false} {
		if got := o.measures(group); got != want {
			t.Errorf("-rows phones,faults measures %s = %v, want %v (faults needs the command host)", group, got, want)
		}
	}
	if !(options{}).measures("events") {
		t.Error("no -rows must measure everything")
	}
	for _, bad := range []string{"", "phone", "phones,,events"} {
		if _, err := parseRows(bad); err == nil || !strings.Contains(err.Error(), "command, events, faults, phones") {
			t.Errorf("parseRows(%q) = %v, want an error listing the groups", bad, err)
		}
	}
}
