// Command cti-driver-snom is the Snom D3xx/D7xx driver plugin. The ctihost
// host starts it; run by hand it explains that and exits.
package main

import (
	"github.com/ctihost/ctihost/plugins/snom"
	"github.com/ctihost/ctihost/sdk"
)

func main() {
	sdk.Serve(snom.New(sdk.Logger("snom")))
}
