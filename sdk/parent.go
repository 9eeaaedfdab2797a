package sdk

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
)

// parentPoll is how often a driver checks that the host is still there.
const parentPoll = 200 * time.Millisecond

// watchParent makes the driver exit when the host that started it is gone,
// even if the host was killed with SIGKILL and could not stop it: a driver
// never outlives its host. On Linux the kernel signals the driver at once
// (PR_SET_PDEATHSIG); everywhere, the driver also notices within
// parentPoll that it was handed to another parent.
func watchParent(logger hclog.Logger) {
	host := os.Getppid()
	setParentDeathSignal()
	if os.Getppid() != host { // the host died before the signal was armed
		logger.Error("host process is gone; exiting")
		os.Exit(1)
	}
	go func() {
		for range time.Tick(parentPoll) {
			if os.Getppid() != host {
				logger.Error("host process is gone; exiting", "host_pid", host)
				os.Exit(1)
			}
		}
	}()
}
