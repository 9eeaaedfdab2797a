// Package buggy is a ctihost driver that misbehaves on command, so that
// integration tests (and operators) can prove the host contains a driver
// that crashes, hangs, leaks, floods or answers garbage.
//
// Until told otherwise it is the ACME-1 driver of examples/driver-template:
// Driver delegates every RPC to acme.Driver and passes the same conformance
// kit (sdk/conformance). Its one model, BUGGY-1, is an ACME-1 with one more
// capability, CAPABILITY_SEND_KEYS, whose keys are the fault keys of
// faults.go. A fault is triggered at run time by pressing its key on any
// device:
//
//	ctictl keys hq/desk FAULT_PANIC
//
// Start-up faults (writing to stdout before the handshake, never
// handshaking, exiting, starting slowly) cannot be asked for at run time, as
// the host passes a plugin nothing before its handshake; they are chosen when
// the binary is built, with -ldflags "-X main.startFault=MODE" (see
// BeforeServe). Version can be set the same way, so that swap tests can tell
// two builds apart.
//
// The files, one job each:
//
//   - buggy.go: Driver, the delegation to ACME, the BUGGY-1 model and the
//     gate that wedges every unary RPC under FAULT_HANG_ALL.
//   - faults.go: the fault keys, SendKeys, the event stream wrapper that
//     floods, garbles and stalls, and the start-up faults.
//   - cmd/cti-driver-buggy: main, ending in sdk.Serve.
//
// README.md says what each fault does and how to watch the host contain it.
package buggy
