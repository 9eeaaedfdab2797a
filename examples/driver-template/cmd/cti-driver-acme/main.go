// Command cti-driver-acme is the ctihost driver for ACME-1 phones. ctihost
// starts it; run by hand it only prints a notice.
package main

import (
	acme "github.com/ctihost/ctihost/examples/driver-template"
	"github.com/ctihost/ctihost/sdk"
)

func main() {
	sdk.Serve(acme.New(sdk.Logger(acme.Name)))
}
