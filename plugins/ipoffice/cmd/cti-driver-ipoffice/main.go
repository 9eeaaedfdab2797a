// Command cti-driver-ipoffice is the Avaya IP Office (MTCTI3) driver
// plugin. The ctihost host starts it; run by hand it explains that and
// exits.
package main

import (
	"github.com/ctihost/ctihost/plugins/ipoffice"
	"github.com/ctihost/ctihost/sdk"
)

func main() {
	sdk.Serve(ipoffice.New(sdk.Logger("ipoffice")))
}
