//go:build !race

package acme_test

const raceEnabled = false
