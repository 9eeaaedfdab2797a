//go:build race

package buggy_test

const raceEnabled = true
