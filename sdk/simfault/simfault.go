// Package simfault names the fault sets of vendor simulators: a simulator
// declares its faults as bits of its own type (FaultSlow = 1 << iota, ...)
// with one name each, and simfault turns a set into "slow,http500" and
// back, for its /sim/fault control, its flags and its JSON state.
package simfault

import (
	"fmt"
	"strings"
)

// Name is the name of one fault bit.
type Name[F ~uint] struct {
	Fault F
	Name  string
}

// Format returns the names of the faults in set joined by commas, in the
// order of names, or "none"; bits without a name show as Fault(0x…).
func Format[F ~uint](set F, names []Name[F]) string {
	var out []string
	for _, n := range names {
		if set&n.Fault != 0 {
			out = append(out, n.Name)
			set &^= n.Fault
		}
	}
	if set != 0 {
		out = append(out, fmt.Sprintf("Fault(%#x)", uint(set)))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

// Parse reads a comma-separated list of fault names, case-insensitive;
// "none" or "" is the empty set. An unknown name is an error that says
// which simulator (sim) refused it and lists the names it knows.
func Parse[F ~uint](sim, s string, names []Name[F]) (F, error) {
	var set F
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || strings.EqualFold(part, "none") {
			continue
		}
		found := false
		for _, n := range names {
			if strings.EqualFold(part, n.Name) {
				set |= n.Fault
				found = true
			}
		}
		if !found {
			all := make([]string, len(names))
			for i, n := range names {
				all[i] = n.Name
			}
			return 0, fmt.Errorf("%s: unknown fault %q; want none or a comma-separated list of %s", sim, part, strings.Join(all, ", "))
		}
	}
	return set, nil
}
