// Package wsconn is the websocket client a ctihost driver uses to talk to a
// vendor system that speaks binary messages over a TLS websocket (Avaya IP
// Office MTCTI3 at wss://HOST:PORT/tpkt/openapi, subprotocol "openapi").
//
// Dial opens a connection with HTTP Basic credentials in the handshake, a
// required subprotocol and the operator's TLS trust (TLSOptions: system
// roots, a CA file, or the SHA-256 pin of a PBX's self-signed certificate).
// Its errors say what to fix and are classified, so a driver can choose
// between "fix the configuration" and "retry later":
//
//	errors.Is(err, wsconn.ErrUnauthorized) // 401/403: wrong credentials
//	errors.Is(err, wsconn.ErrTLS)          // certificate not trusted, pin mismatch
//	errors.Is(err, wsconn.ErrUnreachable)  // network: retry with Backoff
//	errors.Is(err, wsconn.ErrHandshake)    // not a websocket, wrong subprotocol
//
// No error text ever contains the password, the Authorization header or a
// URL's userinfo.
//
// A Conn reads whole binary messages up to Options.ReadLimit (a bigger one
// fails without being buffered), writes from any goroutine, and pings the
// peer: a pong missing for PingTimeout closes it, so that a silent half-open
// TCP connection ends the driver's read loop instead of hanging it. Backoff
// spaces the reconnect attempts.
//
// The websocket protocol itself is github.com/coder/websocket; this package
// adds only what every vendor connection needs on top of it.
package wsconn
