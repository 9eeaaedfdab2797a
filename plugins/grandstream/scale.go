package grandstream

import (
	"net"
	"net/http"
	"time"
)

// What the driver does so that one site can poll thousands of phones (the
// benchmark's phone rows poll 10,000 at 1s: examples/bench/rows_phones.go).

// newHTTPClient returns the client every phone of a configuration shares.
//
// Each phone is polled every poll_interval, so between two polls the client
// must keep one idle keep-alive connection per phone. http.DefaultTransport
// keeps at most 100 idle connections in all (MaxIdleConns): past 100 phones
// it would close connections after each poll and open a new one for the
// next, a TCP handshake per poll for the phone's small web server and a
// TIME_WAIT socket left on this host each time, which at thousands of polls
// a second exhausts the ephemeral ports. Hence no overall limit, and 2 per
// phone (a command may overlap a poll). Each of these connections also pays
// for its buffers: CTI requests and answers are a few hundred bytes, so 1
// and 2 KiB instead of the default 4 and 4 save about 50 MB at 10,000
// phones (longer answers still work, in more reads).
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		// Phones are on the LAN: never through an HTTP_PROXY.
		Proxy:       nil,
		DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		// No limit in all: one idle connection per phone, however many.
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 2,
		// Longer than any sensible poll interval, so a polled phone keeps
		// its connection; a removed phone's connection goes after 90s.
		IdleConnTimeout: 90 * time.Second,
		ReadBufferSize:  2 << 10,
		WriteBufferSize: 1 << 10,
	}}
}

const (
	// minPollLimit is the smallest automatic max_concurrent_polls.
	minPollLimit = 64
	// assumedPollTime is the average poll time the automatic limit allows
	// for. Modeled: the guide says nothing about how fast a phone answers;
	// a phone on the LAN answers in milliseconds, a busy one in tens.
	assumedPollTime = 100 * time.Millisecond
)

// pollLimit is the automatic max_concurrent_polls (setting 0, the default):
// enough polls in flight for every phone to be polled once per interval
// when a poll takes assumedPollTime on average (Little's law: phones ×
// poll time / interval), and never fewer than minPollLimit. 10,000 phones
// at 1s get 1,000.
//
// A fixed limit caps a site at limit × interval / poll time phones: 64 at
// 1s serves 3,200 phones answering in 20 ms, and about 100 powered-off
// phones, each holding a slot for request_timeout, starve every other
// phone's polls. A slot itself costs nothing (each phone has its poller and
// connection anyway); the limit only bounds the burst a site sends at once,
// and under overload it makes polls wait for a slot, outside their request
// timeout, so that they come late rather than fail.
func pollLimit(phones int, interval time.Duration) int {
	if interval <= 0 {
		return minPollLimit
	}
	n := (int64(phones)*int64(assumedPollTime) + int64(interval) - 1) / int64(interval)
	return int(max(n, minPollLimit))
}
