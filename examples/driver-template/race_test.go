//go:build race

package acme_test

const raceEnabled = true
