// Package ipofficesim is a simulated Avaya IP Office serving MTCTI3, the
// interface the IP Office driver speaks, for the driver's tests, the
// conformance kit's lab and manual trials (cmd/ipofficesim). It follows the
// vendor document (shared/vendor-docs/avaya-ipoffice-mtcti3.txt; line
// numbers below and in the code refer to it) and uses package mtcti for
// every wire type. Where the document is silent the behaviour is
// "modelled": the most plausible choice, said so where it is made, and an
// Option where a driver might meet the other choice on a real system.
//
// # Use
//
//	srv := ipofficesim.New(ipofficesim.Options{
//		Users:  []ipofficesim.UserSpec{{Extension: "201", Name: "Alice"}, {Extension: "202"}},
//		Queues: []ipofficesim.QueueSpec{{Name: "Sales", Number: "600", Members: []string{"201", "202"}}},
//	})
//	addr, _ := srv.Start()        // wss on 127.0.0.1, self-signed certificate
//	defer srv.Close()
//	url := ipofficesim.URL(addr, mtcti.Framed) // trust srv.CertPEM() or pin srv.CertSHA256()
//	g, _ := srv.RingQueue("Sales", "01707123456")
//	srv.AnswerAs("201", g)
//	srv.RemoteHangup(g)
//
// # Transport (server.go, conn.go)
//
// wss only, on /tpkt/openapi (each binary message is 00 00 00 01 and a
// Message) and /tpkt/openapinoframing (the Message alone) (lines 200-231,
// 4314-4320). The upgrade must carry Authorization: Basic with the service
// user's credentials, else HTTP 401 before any upgrade (lines 151-155,
// 207-215). The 101 echoes the subprotocol "openapi" and carries Server:
// IPOffice/WebSocketServer/ (lines 4621-4641). At most 10 connections
// (line 4326). The read limit is mtcti.MaxFrameSize: a bigger message closes
// the connection with 1009.
//
// # Modelled where the document is silent
//
//   - An upgrade without the "openapi" subprotocol is refused with 400
//     (Options.AllowNoSubprotocol accepts it); the 11th connection gets 503.
//   - A frame that does not decode, a Message with no (known) payload, or
//     one only IP Office sends, is answered with mtcti.UnpackError(0) (code 2
//     is defined, line 3029, but not when it is sent) and the connection
//     stays up. A text message is treated the same way.
//   - Which Notifies carry a notify_id: lines, user, queue and presence ones
//     (the document's lines and user examples do, lines 1122, 1133, 1338,
//     1563); call-control and refresh-wrapper ones do not (no call-control
//     example has one). Options.NotifyAckRequired changes it. A subscription
//     waiting for an ack holds every later Notify, of any payload, in order
//     (lines 490-495); past Options.NotifyQueueLimit held Notifies it is
//     ended with SubscribeTerminated. A NotifyAck with the wrong notify_id is
//     ignored.
//   - A subscription whose timeout passes gets SubscribeTerminated (with no
//     reason: "not currently populated", line 562); Options.SilentExpiry
//     drops it silently. A refresh (Subscribe, same subscribe_id, no payload)
//     or SubscribeCmd.timeout re-arms it; a refresh of an unknown id answers
//     101; a Subscribe with a payload on a subscribe_id in use answers 101;
//     subscribe_id 0 or a negative timeout answers 5002. Presence timeouts
//     under 60 (or 0) answer 102; over 86400 are cut to 86400.
//   - A second Lines, ParkServer or RefreshWrapper subscription answers 5
//     (TOOMANY); an unknown user GUID 7 (USERNOTFOUND); an unknown queue 4.
//   - A GeneralCmd with a requestid gets a RequestResponse before its
//     GeneralData (Options.NoGeneralCmdResponse: GeneralData only). GetFile
//     "nasystem/AccountCode" lists Options.AccountCodes one a line.
//   - NotifyLines.flags: bit 0 when park availability was asked (subscribe
//     bit 2), bit 1 when users or queues are listed (the example answers 7
//     with 3). Options.LinesChunk splits the first list.
//   - The first Notify of a user or queue subscription is its configuration;
//     existing calls follow in a call-control Notify; nothing is sent for
//     "no calls". refreshinstance counts the subscription's call-control
//     Notifies from 1.
//   - User Notify fields: fwdunumber, fwdbnumber, fwdtovm and fwdhg only
//     with flag 0x02, mailbox (even empty, as in the example) with 0x01, app
//     and noapphandler with 0x04, absence with 0x08; the rest always.
//     noapphandler is true unless some subscription on the user has flag
//     0x800 or UpdateUserApp.makelive. Presence shows app "Offline" then,
//     unless presence flag 0x02.
//   - UpdateUser: a part the user's featuresavailable does not allow answers
//     607 (PERMISSION) and nothing is applied; an unknown short code 616, a
//     malformed one 608. UpdateQueue with a member who is not a user answers
//     7; deleting a non-member is ignored.
//   - Call control is reported on user subscriptions with any ccflags bit
//     (lines 1459-1461), on queue subscriptions with bit 0 (line 2548).
//     CallInfo parts follow the ccflags table strictly: queueinfo needs
//     0x40, calldata 0x80, targets 0x40000 (queue only), dialinfo 0x10,
//     trunkinfo 0x20, conferencemember 0x08 or 0x100 (the queue example at
//     lines 1820-1850 shows queuedetail and calldata under 0x40039, which
//     contradicts the table).
//   - featuresavailable: queue calls use the examples' values (RINGING
//     0x6060E0B1, QUEUEING 0x6060E091, ANSWEREDBYVOICEMAIL 0xE0E0E091,
//     CONNECTED to a conference 0x60E0F801); a user's RINGING call 0x23
//     (line 1413); other states are built from each function's line types
//     and states (views.go). An action whose bit is not set is ignored with a
//     success answer (lines 2623-2624; Options.RejectUnavailable answers 609
//     instead), except Hold on a held call and UnHold on an active one, which
//     answer 617 (lines 3299, 3336). An unknown call answers 602, or 4 for
//     DropCall (line 3192).
//   - Dial plan: user extensions, queue numbers, and external numbers (dial
//     characters, starting with 0, 9 or +). "/102/x" is voicemail, "/116/n"
//     a MeetMe conference (";..." ignored), the other "/$type/" forms a plain
//     call (105 answers at once); an unknown type fails. A transfer to a user
//     in DND or logged off, or to a queue out of service, fails with 612.
//   - MakeCall to an unallocated number leaves a FAILED call
//     (UNALLOCATEDNUMBER); Options.MakeCallFailLostOnly sends only a CallLost
//     with the referencecallid (lines 2214-2217). MakeCall to a user in DND
//     or oneself is BUSY. Each user has Options.CallAppearances calls (603
//     past it); a new call or an answered one puts the user's connected call
//     on hold.
//   - Dropping a ringing call with no coverage (user without voicemail, not
//     a queue call) answers 611 and the call keeps ringing; with voicemail the
//     caller is connected to it; a queue call goes back to the queue and is
//     not offered to that agent again.
//   - Queues: a call that finds free agents at once is RINGING at the queue
//     with the ringing agents as targets; one that waits, or is transferred
//     in, is QUEUEING (with targets once offered). RingGroup rings every free
//     enabled member, RingSequential the first, RingIdle the one idle
//     longest. A member is free when logged in, working, not in DND and on
//     no call. No-answer timers do not run. A call stays reported on the
//     queue it first reached until Finish (later queues appear as overflow in
//     queueinfo); ephemeral (bit 30) subscriptions lose it (CallLost) once it
//     is answered or parked.
//   - The queue's view is the caller's side: when the agent holds (or starts
//     a consultation) it shows CONNECTED with activeheld
//     (Options.QueueHoldShowsOnHold: ONHOLD). Its connectedparty is the agent,
//     the voicemail, the conference or the park slot.
//   - gcid: 9 bytes as in the example (line 1415). Both ends of a call share
//     it; a consultation (SetupTransfer/SetupConf) is a new call with its own
//     gcid; after CompleteTransfer the consulted party's call takes the held
//     call's gcid, tag and account code, so a queue call keeps one gcid at the
//     queue and at every agent who ends up with it. Its callid at that agent
//     stays the consultation's. callingparty keeps who called that leg.
//   - CallLost: reason 16 (normal); 26 when a ringing leg stops because
//     another answered; 1 for an instant MakeCall failure. thisenddropped is
//     true when this end hung up or the app acted on this call (Drop,
//     transfers, Park, which end the user's leg); for a queue's view this end
//     is the caller. A completed transfer ends both of the user's calls in
//     one Notify. Finish sends the CallLost on that queue's subscriptions.
//   - Conferences live while two members remain; a member's call shows
//     connectedparty "Conf n" (nametype 110) and conferencemember entries
//     whose lref MemberFunction uses. AddToConf to an invalid target answers
//     606.
//   - Park slots: any 1-9 characters, or Options.ParkSlots; taken or unknown
//     answers 613. The park server shows a parked call ONHOLD with parkslot.
//   - The refresh wrapper gets one empty NotifyRefreshWrapper after each
//     event that notified anything on the connection.
//   - Presence: a presentity matches a user's extension, email, name or GUID
//     in hex (a "sip:" or "tel:" prefix and an "@domain" are ignored); an
//     unknown one reports phone state 8.
package ipofficesim
