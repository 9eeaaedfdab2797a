// Package acmeapi is a client for the HTTP JSON API of the (fictional) ACME-1
// desk phone. It knows nothing about gRPC or ctihost: a driver maps
// sdk.Driver onto it, and tests run it against acmesim.
//
// # The ACME-1 HTTP API
//
// This section stands in for the vendor's documentation; driver code cites
// it as "ACME API §n" next to the quirk it handles.
//
// §1 Authentication. Every request carries "Authorization: Bearer TOKEN".
// A wrong token answers 401 with a body that quotes the token it got, so
// error texts must be redacted before they are logged or returned.
//
// §2 GET /state answers the phone's state:
//
//	{"dnd": false, "lines": [{"line": 1, "state": "ringing", "remote": "2001"}]}
//
// state is one of idle, ringing, dialing, ringback, connected or held;
// remote is the far end's number, empty when idle. Every line is listed.
//
// §3 Commands are POSTs with query parameters, answering 200 on success:
// /dial?number=N (answers {"line": L}, the line the call was placed on),
// /answer?line=L, /hangup?line=L, /hold?line=L, /resume?line=L and
// /dnd?on=1 or /dnd?on=0.
//
// §4 There is no reject command: /hangup on a ringing line declines the call.
//
// §5 After /dial the line reports "dialing" until the next GET /state, then
// "ringback" until the far end answers.
//
// §6 Errors answer 4xx or 5xx with {"error": "text"}: 400 for a malformed
// parameter, 404 for a line that does not exist, 409 for a line in the
// wrong state (holding a ringing line, all lines busy).
package acmeapi
