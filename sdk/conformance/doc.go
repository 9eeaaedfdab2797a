// Package conformance is the black-box conformance kit for ctihost drivers,
// modelled on csi-test's sanity package. Any driver runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Config{
//			DriverPath: driverBinary,
//			Site:       "lab",
//			Devices:    []*ctiv1.DeviceConfig{{Device: "desk-1", Model: "ACME-1", Settings: settings}},
//			Lab:        lab, // drives the far side of each device
//		})
//	}
//
// Run launches the driver binary through the real plugin path (sdk.ClientConfig
// and sdk.Dispense: go-plugin handshake, AutoMTLS, scrubbed environment),
// configures it, keeps one WatchEvents stream open for the whole run and then
// checks behaviours, one subtest each, per configured device:
//
//   - info: the driver describes itself and every configured device honestly.
//   - capabilities: every command whose capability the device's model does
//     not declare answers UNIMPLEMENTED; the kit never skips one.
//   - calls: inbound, outbound, reject, hold/resume, DTMF, transfer, redirect
//     and far-end hang-ups, each step asserted on the event stream with a
//     stable call id.
//   - device: DND, forwarding, mute, speaker, keys and factory-reset
//     protection; a queue's service mode; an agent joining, pausing,
//     unpausing and leaving one of Config.Queues.
//   - errors: unknown devices and calls, malformed requests, wrong call
//     states and an unreachable device give the codes driver.proto lists.
//   - concurrency: commands and state reads at once give no unexpected error.
//   - discovery (a model declares CAPABILITY_DISCOVERY): the event stream
//     opens with a DevicesChanged snapshot, ListDevices lists exactly the
//     announced devices with declared models, their state is readable, and
//     with a DiscoveryLab a device added and removed on the system is
//     announced both ways.
//   - connections (Config.Connections): ListConnections lists each, up.
//   - foreign devices (Config.ForeignDevices): each answers NOT_FOUND.
//   - coverage: every capability a model declares was exercised by some
//     scenario; the few the kit cannot stage are called and must not answer
//     UNIMPLEMENTED, INTERNAL or UNKNOWN.
//   - events: over the whole run, each call's events go CallChanged... then
//     exactly one CallEnded.
//
// A scenario whose capabilities a model lacks is not run for that model (the
// capabilities subtest already holds the driver to UNIMPLEMENTED there).
//
// The devices handed to the kit are the kit's for the run: it places, answers
// and hangs up calls on them, switches DND and takes them off the network
// through the Lab. It never sends FactoryReset with confirm=true. It tracks
// the calls it creates and hangs them up when a scenario ends, so a failed
// scenario does not spill into the next one.
//
// When the test binary is built with -race, build the driver with -race too:
// the kit fails the run if the driver's stderr reports a data race.
package conformance
