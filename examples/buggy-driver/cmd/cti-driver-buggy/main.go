// Command cti-driver-buggy is the buggy test driver: an ACME-1 driver that
// crashes, hangs, leaks, floods or answers garbage on command (see package
// buggy and its README). ctihost starts it; run by hand it only prints a
// notice. Its start-up fault is chosen when it is built:
//
//	go build -ldflags "-X main.startFault=nohandshake" ./examples/buggy-driver/cmd/cti-driver-buggy
package main

import (
	buggy "github.com/ctihost/ctihost/examples/buggy-driver"
	"github.com/ctihost/ctihost/sdk"
)

// startFault is the start-up fault, set with -ldflags "-X main.startFault=MODE":
// empty (normal), "stdout", "nohandshake", "exit" or "slowstart".
var startFault string

func main() {
	buggy.BeforeServe(startFault)
	sdk.Serve(buggy.New(sdk.Logger(buggy.Name)))
}
