// Package snomsim is a simulated Snom D3xx/D7xx desk phone for tests and
// demos, in the spirit of net/http/httptest: a *Phone is an http.Handler
// that answers what Snom documents in "Remote phone control"
// (shared/vendor-docs/snom-http-remote-control.txt, "the document"):
// command.htm key events and commands, the other remote pages, CSTA over
// HTTP on /csta with the proprietary GetSettings, SetSettings, FireTest
// and XmlPush, and it fires the configured action URLs on each event, as
// the phone does instead of sending CSTA events.
//
//	phone, _ := snomsim.New(snomsim.Options{Model: "D385", Firmware: "8.7.3.25",
//		Settings: map[string]string{"action_incoming_url": "http://cti/in?id=$csta_id"}})
//	defer phone.Close()
//	srv := httptest.NewServer(phone)
//	call, _ := phone.RingIn("5551001", "Ada") // GET http://cti/in?id=-1 follows
//	// ... the code under test POSTs AnswerCall with <callID>-1</callID> to /csta ...
//	phone.Calls()                             // the call is "connected"
//
// What a driver author must know, and where it comes from:
//
//   - The firmware decides the CSTA protocol (Profile): before 7.3.4 there
//     is no /csta (404); 7.3.4 to 8.6 wants the legacy ConnectionID
//     <callToBeAnswered>-18</callToBeAnswered>; 8.7.0 to 8.7.2 have
//     "broken HTTP-CSTA" and answer every request 500; 8.7.3 on wants
//     <callToBeAnswered><callID>-18</callID></callToBeAnswered>, unless
//     csta_legacy_control (Options.CSTALegacyControl) asks for the legacy
//     form. The other form answers 500 invalidCallID, like a stale id.
//   - The answers come in one of the document's three dialects (Dialect),
//     picked per firmware (modelled); parse by local element names.
//   - A csta id ($csta_id) is a small integer as text: negative for
//     inbound calls, positive for outbound ones (modelled from Snom's
//     examples -18, -2, -12 and MakeCall's 2), counted again from 1 after
//     a reboot. Use it, not $call-id, in ConnectionIDs.
//   - Action URLs are HTTP GETs, sent one at a time in event order with a
//     timeout, variables substituted textually (not URL-escaped). Callback
//     order for one call: incoming (or outgoing), [offhook], connected,
//     hold/unhold..., disconnected (missed when an inbound call is given
//     up before it is answered); a transfer fires transfer, then
//     blind_transfer or attended_transfer, then disconnected.
//   - Settings over CSTA: only mac, phone_type, firmware_version
//     (read-only), user_nameN, user_realnameN, user_hostN (N=1..12) and the
//     action URLs, plus the hidden action_fwtest_url.
//
// Tests steer the remote party with Go methods (RingIn, RemoteAnswer,
// RemoteHangup) or, from another process, over HTTP under /sim/ (see
// serveSim), read the phone with State, Calls, Callbacks, Display,
// Requests and Keys, and make it misbehave with SetFault and FailNextCSTA.
//
// The document describes requests and some answers, not behaviour. Where
// this package had to choose (key effects per state, error codes, which
// action URL fires when, dialect per firmware, model key counts), the
// choice is marked "Modelled" in a comment next to the code, and public
// sources are cited where they exist.
package snomsim
