//go:build !linux

package sdk

// setParentDeathSignal has no portable equivalent; watchParent's ppid poll
// does the work.
func setParentDeathSignal() {}
