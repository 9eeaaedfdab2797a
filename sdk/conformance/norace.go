//go:build !race

package conformance

// raceEnabled says the test binary runs with the race detector.
const raceEnabled = false
