// Package mirtasim is a simulated multi-tenant MiRTA PBX serving the HTTP
// "proxyapi" the MiRTA driver speaks, for the driver's tests, benchmarks
// and demos (cmd/mirtasim), in the spirit of net/http/httptest: a *PBX is
// an http.Handler.
//
//	pbx, _ := mirtasim.New(mirtasim.Options{AdminKey: "admin", Tenants: []mirtasim.TenantSpec{{
//		Code: "DEVEL", Key: "rw-key", ReadOnlyKey: "ro-key",
//		Extensions: []mirtasim.ExtensionSpec{{Number: "101", Name: "Alice"}, {Number: "102", Name: "Bob"}},
//		Queues: []mirtasim.QueueSpec{{Number: "600", Name: "Support", Agents: []mirtasim.AgentSpec{{Extension: "102"}}}},
//	}}})
//	srv := httptest.NewServer(pbx)
//	// GET srv.URL+"/pbx/proxyapi.php?key=rw-key&reqtype=DIAL&source=101&dest=102"
//	//   → "Success|Originate successfully queued|1692d9a0000001|"; 101 rings
//	pbx.Answer("DEVEL", "101") // the user picks up; now 102 rings
//	pbx.Answer("DEVEL", "102") // connected; pbx.Calls("DEVEL") is the ground truth
//
// Sources. The request side follows the vendor's parameter list
// (shared/vendor-docs/mirta-pbx-api.txt). Answers follow /tmp/mirta/facts.md
// ("facts", §N below), which sorts every shape into:
//
//   - Published by MiRTA: only the DIAL answer,
//     https://www.mirtapbx.com/manual/index.php?title=Proxyapi, and the
//     requests (https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples).
//   - Observed on a real MiRTA PBX by a third party,
//     https://github.com/ivgi1com/1com-doco-api/blob/main/source-docs/DOCS_AUDIT.md:
//     the error texts and their HTTP 200, the Content-Type rule, INFO
//     extensions (secrets included), queues, agents, agentsconnected,
//     extstate (idle, unregistered), flow, config, BLFS, FLOWS and CHANNEL's
//     shape, CDR get's raw text.
//   - Modelled (nothing public): every other answer (HANGUP, TRANSFER,
//     ATXTRANSFER, DND, GETCURRENTCALLS, CHANNELS, INFO queue,
//     queuecallers, regstate, SETFLOW, QUEUE, AGENT, PHONEBOOKS, PHONEBOOK,
//     CDR update, REBOOT, unknown reqtype) and the whole call model. Each
//     renderer cites its source or says "Modelled" next to the code.
//
// What a driver author must know:
//
//   - The API is GET or POST form parameters at /pbx/proxyapi.php
//     (production) and /mirtapbx/proxyapi.php (the demo server), or
//     Options.Path. The key comes in key= or, modelled, an X-API-Key header.
//   - Every answer is HTTP 200, errors included: the text decides.
//     "Too bad... you mistaken the security api key." (TooBad) is the one
//     answer to a bad key, a missing or unknown tenant, a tenant key naming
//     another tenant, and (modelled) a write with a read-only key
//     (Options.ReadOnlyError answers "Error|Read only API key|" instead). A
//     missing parameter answers "No <param> specified"; a failed write
//     "Error|<message>|"; a write that worked "Success|<message>|[data|]";
//     nothing to report is an empty body.
//   - format=json sets Content-Type application/json even on error texts;
//     otherwise text/html. Without format= the answer is plain. Several
//     reqtypes ignore format= (DIAL, the write lines, DND get, INFO flow,
//     regstate, CDR get). Sniff the body, not the header.
//   - A tenant key only ever reaches its tenant. The admin key needs
//     tenant= except for CHANNELS, CHANNEL, HANGUP, TRANSFER and
//     ATXTRANSFER, which then see every tenant.
//   - DIAL rings the source first (its channel is Ringing, Direction OUT,
//     Connected Line the destination or sourceclid); when the source
//     answers the destination is dialled: an extension rings, a queue
//     number queues the call, anything else goes out on a trunk
//     (SIP/trunk-…) whose far end answers after Options.FarAnswerAfter.
//     autoanswer=yes answers the source at once; dialtimeout (default 30s)
//     ends an unanswered source; timeout limits an answered call. The
//     returned id is "1" and PHP's uniqid(), as the published sample.
//   - Channels are Asterisk-like: SIP/<user>-<8 hex> (user 101-DEVEL),
//     uniqueid "<epoch>.<n>", one linkedid for every leg of a call, states
//     Ring (a caller waiting while its target rings), Ringing (a phone or
//     far end ringing) and Up. Ending a leg ends its bridged peer.
//   - An inbound call to a queue is answered by the queue (Up), listed by
//     INFO queuecallers, and rings every free unpaused agent; the first to
//     answer gets it. An agent refusing does not end it.
//   - TRANSFER moves channel itself to dest and ends its peer (AMI
//     Redirect, which proxyapi most plausibly wraps: extrachannel is AMI's
//     ExtraChannel); with Options.TransferMovesPeer the party talking to
//     channel (its peer, or the caller of a ringing leg) moves instead. ATXTRANSFER holds channel's peer and makes
//     channel call dest; the transfer completes when channel hangs up (the
//     held party then talks to, or hears ringing from, dest); if dest
//     refuses or hangs up first, channel is back with the held party.
//   - Timers (ring timeouts, far-end answers) are evaluated lazily, on each
//     request and control call, against Options.Now: a test moves a manual
//     clock and the next request sees the result. Nothing runs in the
//     background except RunLoad.
//
// Tests steer the PBX with Go methods (AddTenant, AddExtension,
// RemoveExtension, SetRegistered, SetDND, AddQueue, AddFlow, AddContact,
// RingIn, Answer, Hangup, RemoteAnswer, RemoteHangup, Dial) or, from
// another process, over HTTP under /sim/ with Options.ControlToken (see
// serveSim); they read it with Calls, Channels, Extensions, Queues, Flows,
// Contacts, CDRUserfield, Originates and Requests (keys redacted), and
// make it misbehave with SetFault and SetReqtypeFault. Populate, LoadStep
// and RunLoad drive benchmark traffic.
//
// Limits: request bodies over MaxBody (1 MiB) get 413; tenants,
// extensions, queues, channels, contacts and logs are capped (Max*).
package mirtasim
