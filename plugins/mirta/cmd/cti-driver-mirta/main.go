// Command cti-driver-mirta is the MiRTA PBX (proxyapi.php) driver plugin.
// The ctihost host starts it; run by hand it explains that and exits.
package main

import (
	"github.com/ctihost/ctihost/plugins/mirta"
	"github.com/ctihost/ctihost/sdk"
)

func main() {
	sdk.Serve(mirta.New(sdk.Logger("mirta")))
}
