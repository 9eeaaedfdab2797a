// Package snomapi is a client for the HTTP remote control of Snom D3xx and
// D7xx desk phones ("Remote phone control", shared/vendor-docs/
// snom-http-remote-control.txt; D8xx phones do not have it): key presses
// and commands on the phone's web pages, CSTA over HTTP on /csta, and the
// action URLs through which the phone reports its events. It knows nothing
// about gRPC or ctihost: a driver maps its results and errors onto the SDK.
//
// # What the phone offers
//
//	keys.go      KeyEvent, EncodeKeys, ParseKeys, ParseKeysQuery: command.htm?key=Key[,Time[,Pause]];...
//	models.go    LookupModel, Model.CheckKeys: P, F and EK keys per model
//	commands.go  PressKeys, Dial, SendDTMF, ReleaseAllCalls, LogoffAll, LogoffLine,
//	             Reregister, PlayRinger, Reboot, Reset, ClearList (web pages, GET)
//	csta*.go     AnswerCall, ClearConnection, HoldCall, RetrieveCall, MakeCall,
//	             SingleStepTransferCall, ConsultationCall, TransferCall, GetSettings,
//	             SetSettings, FireTest, XmlPush (POST /csta); ParseResponse,
//	             ParseRequest, CSTAError, Classify
//	firmware.go  ParseFirmware, Dialect, DialectForFirmware
//	actionurl.go ActionEvents, ActionURL, ActionSettings, ParseCallback
//
// Every method of Client takes a context first and is safe for concurrent
// use; PressKeys calls of one Client run one at a time so that key
// sequences do not interleave on the phone.
//
// # Errors
//
// A failure that involved the phone is an *Error whose Kind says what went
// wrong (auth, unreachable, timeout, bad response, unsupported), or a
// *CSTAError when the phone refused a CSTA request; its Class (not found,
// wrong state, invalid argument, unsupported, denied, unknown) is what a
// driver maps to a code. Arguments are checked before any request; those
// errors wrap ErrInvalidArgument. No error text contains the password, in
// any encoding, or an action URL token.
//
// # How the phone answers
//
// Command pages answer 200 with an HTML page, or a 302/303 redirect to
// one: both are success (redirects are never followed, the page behind
// may ask for credentials again), and neither says the phone could act.
// 401 after one answered challenge or 403 is KindAuth, 404 KindUnsupported
// (the page or /csta does not exist on that model or firmware). CSTA
// answers 200 with one of three success forms and 500 with one of three
// error forms, all accepted. Command answers are read up to 64 KiB, CSTA
// answers up to 1 MiB.
//
// # Firmware and dialects
//
// CSTA over HTTP exists from 7.3.4, is broken on 8.7.0-8.7.2 (refused as
// KindUnsupported before sending) and carries a ConnectionID in two forms:
// the bare $csta_id before 8.7 (DialectLegacy) and <csta:callID> inside
// from 8.7.3 (DialectCallID). Set Config.Firmware, Config.Dialect, or call
// DetectDialect (GetSettings' firmware_version) before the first call
// request.
//
// # Assumptions where the document's copy lost its examples or is silent
//
//   - Key presses use GET /command.htm?key=..., although the document says
//     "post value": every example of the Snom wiki is a query, and public
//     clients send GET (github.com/fxjung/desk_phone_utility, tested on a
//     D717, with Digest; github.com/sebastianmathes/snom-remote-control).
//   - The credentials example (http://username:password@phone/...) is
//     replaced by Authorization headers: Basic, or Digest (RFC 7616, MD5 or
//     SHA-256, qop=auth, RFC 2069 without qop) when the phone's
//     "Authentication Scheme" is on (Snom wiki: "This will not work if you
//     have set Authentication Scheme to on ... digest-authentication").
//   - Lost one-line examples ("simulates ... picking up the handset", "will
//     dial 1234", "plays the ring tone 9", "will send DTMF tones 1234") are
//     the command.htm/line_login.htm forms of the document's own list
//     (key=OFFHOOK, number=1234, PLAY_RINGER:9=+Ringer, key_dtmf=1234).
//   - The attended transfer's lost URLs are assumed to be key=F_HOLD, one
//     key=X per digit, key=ENTER, then key=TRANSFER (AttendedTransferKeys).
//     The firmware upgrade, snom870 touch and FIX_LIL commands are not
//     implemented.
//   - Reregister uses dummy.htm as the document says; an older Snom page
//     ("Can I control my snom phone remotely") names command.htm.
//   - "#" and "*" travel as %23 and %2A everywhere (the document's advice);
//     ";" and "," of the key grammar stay literal as the document writes
//     them; "+" is always %2B in values the client sends.
//   - SOAP-ENV is http://schemas.xmlsoap.org/soap/envelope/ and csta is
//     http://www.ecma-international.org/standards/ecma-323/csta/ed4, the
//     URIs of the Snom wiki's own SOAP templates for these requests
//     (wiki.snom.com/CSTA); Snom's newer request list uses ed3 and ed5
//     side by side, so the edition does not seem to matter, and answers are
//     parsed without regard to namespaces.
//   - Requests are always in a SOAP envelope (required before 8.7.3 and
//     for the proprietary requests; optional otherwise, per
//     wiki.snom.com/Category/CSTA/HTTP), laid out as the document's POST
//     example: elements separated by single spaces, no XML declaration.
//   - Request shapes not printed by the document follow ECMA-323:
//     ClearConnection/connectionToBeCleared, HoldCall/callToBeHeld,
//     RetrieveCall/callToBeRetrieved, SingleStepTransferCall/activeCall+
//     transferredTo, ConsultationCall/existingCall+consultedDevice,
//     TransferCall/heldCall+activeCall; MakeCall adds autoOriginate
//     doNotPrompt as Snom's MakeCall example does (service.snom.com, "CSTA
//     over HTTP - Requests"). ConsultationCall needs 8.7.4 and
//     SingleStepTransferCall changed its form at 8.7.4 (wiki.snom.com/
//     Category/CSTA/HTTP); its pre-8.7.4 form is assumed to be the legacy
//     bare activeCall. None of these was checked on a phone.
//   - GetSettings names and values are trimmed (the document pads both);
//     SetSettings writes them unpadded. XmlPush sends the document as the
//     XML-escaped text of <csta:document> (the document's placeholder
//     "XML Document as a String in Quotes" is read as a placeholder).
//   - csta_legacy_control: the document says the bare form applies "when
//     csta_legacy_control is set to 0"; the setting cannot be read over
//     CSTA, so a phone that needs it is configured with Config.Dialect.
//   - Action URL variables are those of Snom's "Action URLs" page
//     (service.snom.com/display/wiki/Action+URLs); the phone replaces them
//     as plain text, so ParseCallback finds parameters by their fixed order
//     and keeps "+" literal. Action URLs are GET requests (same page).
//   - Answers are read as UTF-8 (the document's answers declare utf-8);
//     an answer declaring another encoding is refused.
//   - P-key counts of D models come from public provisioning data (the
//     Wazo Snom plugins' function_keys, the Symcon Snom module); they count
//     physical keys, and Model.PKeys may be raised. EKmax is not given by
//     the document; EK0-EK125 is a bound.
package snomapi
