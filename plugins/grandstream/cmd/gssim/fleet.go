package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
)

// maxFleet bounds one -fleet flag. Each phone holds a listener and, while a
// driver polls it, one keep-alive connection: two file descriptors. 16384
// phones would need more descriptors than a common hard limit allows anyway;
// run several gssim processes for more.
const maxFleet = 16384

// fleet is one -fleet COUNT=MODEL@FIRSTIP:PORT: count phones of one model on
// consecutive loopback addresses (first, first+1, ...), all on one port, so
// that a benchmark can start thousands of phones without thousands of
// arguments. Loopback only: a fleet is a load test, never a service.
type fleet struct {
	count int
	model string
	first netip.Addr
	port  uint16
}

// loopback is 127.0.0.0/8, which Linux routes to lo as a whole: any address
// in it can be listened on without configuring an interface.
var loopback = netip.MustParsePrefix("127.0.0.0/8")

// parseFleet parses and checks COUNT=MODEL@FIRSTIP:PORT, e.g.
// 3000=GXP2135@127.1.0.1:18080.
func parseFleet(s string) (fleet, error) {
	bad := func(format string, args ...any) (fleet, error) {
		return fleet{}, fmt.Errorf("%q: %s; want COUNT=MODEL@FIRSTIP:PORT such as 1000=GXP2135@127.1.0.1:18080", s, fmt.Sprintf(format, args...))
	}
	countText, rest, ok := strings.Cut(s, "=")
	if !ok {
		return bad("no =")
	}
	model, addrText, ok := strings.Cut(rest, "@")
	if !ok {
		return bad("no @")
	}
	count, err := strconv.Atoi(countText)
	if err != nil || count < 1 || count > maxFleet {
		return bad("COUNT must be a whole number from 1 to %d (run several gssim processes for more)", maxFleet)
	}
	if _, err := gsapi.FamilyOf(model); err != nil {
		return bad("%v", err)
	}
	ap, err := netip.ParseAddrPort(addrText)
	if err != nil {
		return bad("FIRSTIP:PORT %q is not an IPv4 address and port", addrText)
	}
	f := fleet{count: count, model: model, first: ap.Addr(), port: ap.Port()}
	if f.port == 0 {
		return bad("PORT must be 1..65535: every phone of the fleet listens on the same, known port")
	}
	if !f.first.Is4() || !loopback.Contains(f.first) || f.first == loopback.Addr() {
		return bad("FIRSTIP %s is not an IPv4 loopback address (127.0.0.1 to 127.255.255.254): a fleet never listens beyond this machine", f.first)
	}
	// 127.255.255.255 is lo's broadcast address: the last phone must stay
	// below it.
	last := f.first.As4()
	n := uint32(last[0])<<24 | uint32(last[1])<<16 | uint32(last[2])<<8 | uint32(last[3])
	if end := uint64(n) + uint64(count) - 1; end >= 0x7fffffff {
		return bad("%d phones from %s run past 127.255.255.254", count, f.first)
	}
	return f, nil
}

// addrs returns the fleet's listen addresses, phone 0 first.
func (f fleet) addrs() []string {
	out := make([]string, 0, f.count)
	a := f.first
	for range f.count {
		out = append(out, netip.AddrPortFrom(a, f.port).String())
		a = a.Next()
	}
	return out
}

// checkDescriptors fails early, with the reason, when phones phones would
// exhaust the process's file descriptors: each needs a listener and a
// connection from its poller. Go raises the soft limit to the hard one at
// start, so the soft limit read here is what the process has.
func checkDescriptors(phones int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // unknown: let the listens fail on their own
	}
	const spare = 64 // stdio, the poller, the runtime's own descriptors
	if need := uint64(2*phones + spare); need > lim.Cur {
		return fmt.Errorf("%d phones need about %d file descriptors (a listener and a connection each) but this process may open %d: raise ulimit -n or split the phones over several gssim processes",
			phones, need, lim.Cur)
	}
	return nil
}

var errNoPhones = errors.New("give one or more -phone ADDR=MODEL or -fleet COUNT=MODEL@FIRSTIP:PORT and no other arguments")
