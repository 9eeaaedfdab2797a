package sdk_test

import (
	"context"

	"github.com/ctihost/ctihost/sdk"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// helloDriver is the smallest driver: it describes itself and embeds
// UnimplementedDriverServer, so everything else answers UNIMPLEMENTED. See
// examples/driver-template for a complete one.
type helloDriver struct {
	ctiv1.UnimplementedDriverServer
}

func (helloDriver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return &ctiv1.DriverInfo{
		Name:       "hello",
		Version:    "0.1.0",
		ApiVersion: sdk.APIVersion,
		Vendor:     "Hello Phones",
		Models: []*ctiv1.ModelInfo{{
			Model:        "H1",
			Capabilities: []ctiv1.Capability{ctiv1.Capability_CAPABILITY_CALL_EVENTS},
		}},
	}, nil
}

// A driver's main hands the driver to sdk.Serve and does nothing after it.
// Serve speaks go-plugin's handshake; run by hand rather than by ctihost, the
// binary prints a notice and exits.
func ExampleServe() {
	sdk.Serve(helloDriver{})
}
