// Package mtcti is the wire layer of Avaya IP Office MTCTI3, the CTI
// interface of IP Office 11.1 and later: the message schema (mtcti3.proto and
// its generated code), the websocket framing (frame.go), the RequestResponse
// result codes (results.go) and the featuresavailable bits
// (featuresavailable.go). It knows nothing of websockets, gRPC or the SDK:
// a driver and a simulator both build on it.
//
// Line numbers below and in the other files refer to the vendor document,
// shared/vendor-docs/avaya-ipoffice-mtcti3.txt (issue 1.1, Release 12.2).
//
// # Connection
//
// MTCTI3 runs over a secure websocket that IP Office serves itself (lines
// 28-30, 197-200): wss://HOST:PORT/tpkt/openapi, HTTPS only,
// port 443 unless the IP Office security settings say otherwise (204-205).
// The upgrade request carries HTTP Basic authorization with the credentials
// of a service user whose group has the "Enhanced TSPI Access" right
// (151-155, 207-215, 4615) and asks for the websocket subprotocol "openapi"
// (Subprotocol), which IP Office echoes in its 101 answer (218, 4621, 4641).
// IP Office accepts at most 10 MTCTI3 connections (4326).
//
// Each websocket binary message carries one Message. On /tpkt/openapi
// (Framed) it is preceded by the 4 octets 00 00 00 01 in both directions
// (221-231, 4456-4470); on /tpkt/openapinoframing (NoFraming) it is not
// (4314-4320). The document's "first payload" example gives the bytes of
// both forms (4648-4677; vector_test.go). Encode and Decode convert; Decode
// bounds the frame at MaxFrameSize and reports failures as ErrBadHeader,
// ErrTruncated, ErrMalformed or ErrFrameTooLarge.
//
// # Conflicts in the document, and how mtcti3.proto resolves them
//
// The document prints its message definitions piecemeal, and the pieces
// disagree with each other or with Avaya's own ipo_mtcti3.proto, of which two
// public copies exist (12.3 SDK and 1.0; sources in mtcti3.proto's header).
// The vendor file decides field numbers and names; the document decides where
// the vendor file is silent or older. Each choice is commented at its field.
//
//   - SubscribeEnd gives requestid and subscribe_id both number 1 (533-534):
//     subscribe_id is 2, as in the vendor file.
//   - Message field 4 is spelled subscibecmd (271) and subscribecmd (289 and
//     every example): subscribecmd, as in the vendor file.
//   - Message field 1 is response (268, 287) but an example shows
//     requestresponse (995), the type name as a decoder prints it: response.
//   - devicehint (3228) and SubscribeParkServer (332) are used but never
//     printed: UpdateCallControl.devicehint = 8 with enum Device, and
//     SubscribeParkServer{flags, ccflags}, from the vendor file; so are
//     SubscribeCmd, GeneralCmd, GeneralData, UpdatePresence, PartyInfo and
//     the other messages the document only uses.
//   - Notify lacks parkserver = 43 (446-465) although the park server can be
//     subscribed: added from the vendor file.
//   - NotifyCallControl lacks refreshinstance (1967-1973) that every example
//     sets: refreshinstance = 1, from the vendor file.
//   - CallFunction.Action prints Unused16 = 17, Unused20, Unused22 (2370-2375)
//     where its own function list and the vendor file have SetNotes,
//     ShortCodeAction and AnswerPage: the vendor names.
//   - CallInfo.State RINGINVOICEMAIL (2026): RINGINGVOICEMAIL, the vendor's.
//   - CallInfo field types Note (2092) and CallFunction's AgentRecording
//     (2395) are never defined: the vendor's Notes and AgentRecordingControl
//     (type names are not on the wire).
//   - CallInfo's fragment omits pagecall (used at 4023), remoteinfo,
//     localinfo, ucid and pintrinsics (named by ccflags bits): vendor fields.
//   - Examples render trunkinfo, queueinfo, overflow_number, overflow_name
//     and shortcodedata{code, val} as trunkdetail, queuedetail,
//     overflownumber, overflowname and shortcode{shortcode, shortcodeval}
//     (1545-1549, 2794-2801, 2997): the definitions' and vendor's names.
//   - NotifyPresentity.sac is int32 in the document (736), bool in the vendor
//     file: int32, which reads both without loss (same varint on the wire);
//     noapphandler = 9 (742) is only in the document: kept.
//   - GeneralCmd getversioninfo and GeneralData versioninfo (4694-4727) have
//     no printed definition: bool getversioninfo = 7 and string
//     versioninfo = 7, from the 12.3 vendor file.
//   - AdvancedMakeCall skips 4 and 11, CallFunction skips 3 and 8: subaddr,
//     proxyorigin, shortcodedata and tapimoh from the vendor file.
//   - An example shows `payload=PayloadFull` inside a CallInfo (2514), which
//     nothing defines: not modelled; Decode keeps it as an unknown field.
//   - featuresavailable2 has no bits per its table (2150) but AnswerPage uses
//     bit 0 (4006): CallFeature2AnswerPage.
//   - The document names no proto package and the vendor file has none: we
//     use ipoffice.mtcti3, which the binary encoding never carries.
package mtcti
