// Package sdk is what a ctihost driver author imports.
//
// A driver is a separate process that implements the cti.v1 Driver service
// (proto/cti/v1/driver.proto is its documentation, RPC by RPC) and hands
// itself to Serve:
//
//	func main() { sdk.Serve(mydriver.New()) }
//
// Serve speaks hashicorp/go-plugin's handshake and versioned protocol with
// AutoMTLS, logs JSON through hclog to stderr (the host re-logs it under the
// plugin's name), turns panics into INTERNAL errors, maps the typed errors of
// errors.go to gRPC status codes in one place, and enforces the capabilities
// the driver declares: a command for an unknown device answers NOT_FOUND and a
// command whose capability the device's model lacks answers UNIMPLEMENTED
// with the list of what the model does support, before the driver is called.
//
// Helpers every HTTP phone driver needs live here too: CallTracker turns
// polled line snapshots into call events, Broadcaster fans events out to
// WatchEvents streams, and Redactor/RedactURL keep secrets out of logs and
// errors. PBX drivers add CallSet (call snapshots keyed by the vendor's call
// id, exactly one CallEnded per call), Correlator (request ids and their
// answers), Subscriptions (refresh before timeout, resubscribe after a
// termination or a reconnect), ErrorTable (a vendor's result codes as gRPC
// codes with the vendor's code kept) and sdk/wsconn (a TLS websocket with
// a pinned certificate, Basic authorization, keepalive and jittered
// backoff). The host and the conformance kit (sdk/conformance) use
// ClientConfig and Dispense to launch drivers the same way.
package sdk
