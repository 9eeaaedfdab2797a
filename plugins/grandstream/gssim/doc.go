// Package gssim is a simulated Grandstream phone for tests and demos, in the
// spirit of net/http/httptest: a *Phone is an http.Handler that answers the
// CTI functions of the vendor's CTI Guide
// (shared/vendor-docs/grandstream-cti-guide.txt) for one model, with the
// guide's answer shapes and formatting byte for byte, and keeps a call state
// machine behind them.
//
//	phone, _ := gssim.New(gssim.Options{Model: "GXP2135", Passcode: "admin"})
//	srv := httptest.NewServer(phone)
//	line, _ := phone.RingIn("5551001", "Ada")      // the remote party calls
//	// ... the code under test sends api-phone_operation?cmd=acceptcall ...
//	phone.Lines(0)                                  // line is "connected"
//
// Only the functions of the model's family are served (GXP or DP, see
// gsapi.FamilyOf); everything else answers 404. Tests steer the phone with
// Go methods (RingIn, RemoteAnswer, RemoteHangup, SetFault) or, from another
// process, with the same controls over HTTP under /sim/ (see ServeHTTP).
// SetFault makes the phone misbehave (wrong passcode, slow, HTTP 500,
// garbage, an HTML login page, dropped connections) so that error paths can
// be tested.
//
// The guide documents requests and answers, not behaviour. Where this
// package had to choose (line states beyond "idle" and "connected", which
// command applies in which state, authentication failures, 404s), the choice
// is marked "Modeled" in a comment next to the code.
package gssim
