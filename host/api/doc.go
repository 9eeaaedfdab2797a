// Package api serves the host's gRPC API: cti.v1.Host for apps (commands
// routed by "site/device" reference to the driver instance serving the
// device, and the event stream) and cti.v1.Admin for operators.
package api
