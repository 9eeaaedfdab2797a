// Package acme is the ctihost driver for the (fictional) ACME-1 desk phone,
// and the template a third party copies to write a driver: the smallest
// driver that has every layer a real one needs and passes the whole
// conformance kit (sdk/conformance).
//
// The layers, one job each:
//
//   - acmeapi: the phone's protocol (HTTP JSON), no gRPC.
//   - acmesim: a simulated phone for tests, with the far-end controls the
//     conformance kit's Lab needs.
//   - driver.go: sdk.Driver on the client: description, schema,
//     configuration, device list and state, events.
//   - commands.go: the command RPCs and the one place vendor errors become
//     sdk errors.
//   - poller.go: one poll loop per device turning /state answers into
//     events with sdk.CallTracker.
//   - cmd/cti-driver-acme: main, ending in sdk.Serve.
//
// A driver for a system that serves many devices (a PBX) adds what a phone
// does not need: connection settings and discovered devices announced with
// DevicesChanged (see GetConfigSchema). examples/buggy-driver's
// FAULT_DISCOVER shows the announcements in a few lines. A phone that
// reports its events by calling URLs (action URLs) gets them under
// ConfigureRequest.callback_base_url and receives them through
// HandleCallback (examples/buggy-driver shows the token check); a phone
// with a display may offer ShowText. A system with a directory (a PBX
// phonebook) offers LookupContact and may put the contact on ringing calls
// (Call.contact); a PBX whose click-to-dial rings the user's phone first
// sets ModelInfo.dial_rings_device_first. ACME-1 needs none of them: the
// embedded UnimplementedDriverServer answers them UNIMPLEMENTED.
//
// README.md says how to copy it.
package acme
