// Command cti-driver-grandstream is the Grandstream driver plugin. The
// ctihost host starts it; run by hand it explains that and exits.
package main

import (
	"github.com/ctihost/ctihost/plugins/grandstream"
	"github.com/ctihost/ctihost/sdk"
)

func main() {
	sdk.Serve(grandstream.New(sdk.Logger("grandstream")))
}
