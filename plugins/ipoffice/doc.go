// Package ipoffice is the ctihost driver for Avaya IP Office, through its
// MTCTI3 interface: protobuf messages over a secure websocket, one link
// that observes and controls every user, hunt group and call of an IP
// Office (or a network of them).
//
// The layers, one job each:
//
//   - mtcti: the wire schema (the vendor's messages as a .proto of our
//     own), framing and result codes.
//   - ipoapi: one link: the websocket, request ids, subscriptions' acks.
//   - ipofficesim: a simulated IP Office for tests and `make run`.
//   - settings.go: the connection block's settings.
//   - link.go: a link's life: reconnect, subscribe, resynchronise, and
//     IP Office's notifies turned into devices, statuses and calls.
//   - calls.go: a CallInfo as a unified call, a CallLost as its end.
//   - driver.go, commands.go: the Driver service; errors.go: IP Office's
//     result codes as gRPC codes.
//   - cmd/cti-driver-ipoffice: main, ending in sdk.Serve.
//
// Devices are IP Office users and hunt groups, named by their extension
// number (a connection's device_prefix before it): numbers are unique in
// an IP Office's dial plan (users and hunt groups share it, across a
// network too), readable, and what people dial, while names change and
// may repeat. A renumbered user is therefore a new device. A device block
// may configure a user or hunt group (model "user" or "queue", optional
// `extension`), to give it a stable name of its own.
package ipoffice
