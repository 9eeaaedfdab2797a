package mtcti

import (
	"slices"
	"strconv"
)

// RequestResponse result codes, from the vendor document's error tables
// (lines 3026-3058 generic, 3063-3123 call control). Codes 6-9 and 102 have
// no description there. Untyped so they compare with RequestResponse.Result.
const (
	ResultSuccess                     = 0
	ResultErrUnknown                  = 1
	ResultUnpackErr                   = 2
	ResultNotInstrumented             = 3
	ResultNotFound                    = 4
	ResultTooMany                     = 5
	ResultTooBig                      = 6
	ResultUserNotFound                = 7
	ResultServiceNotAvailable         = 8
	ResultNotAllowed                  = 9
	ResultSubscriptionInvalid         = 100
	ResultSubscriptionInvalidID       = 101
	ResultSubscriptionTimeoutTooSmall = 102
	ResultGenCmdErrUnknown            = 150
	ResultGenCmdInvalidPayload        = 151
	ResultGenCmdRequiredDataMissing   = 152
	ResultPresenceErrUnknown          = 500
	ResultRequestFailed               = 5000
	ResultRequestTimeout              = 5001
	ResultRequestInvalidPayload       = 5002
	ResultRequestInvalidContext       = 5003

	// Call-control specific codes; where IP Office cannot be this specific it
	// returns a generic code above (document lines 3065-3067).
	ResultCallControlNoPhone          = 600
	ResultCallControlExtnFault        = 601
	ResultCallControlCallNotFound     = 602
	ResultCallControlMaxCalls         = 603
	ResultCallControlBadAcct          = 604
	ResultCallControlBadAuth          = 605
	ResultCallControlTargetNotFound   = 606
	ResultCallControlPermission       = 607
	ResultCallControlBadFormatting    = 608
	ResultCallControlInvalidCallState = 609
	ResultCallControlCantBeDone       = 610
	ResultCallControlNoCoverage       = 611
	ResultCallControlTransferFailed   = 612
	ResultCallControlParkFailed       = 613
	ResultCallControlOtherNotFound    = 614
	ResultCallControlCantComplete     = 615
	ResultCallControlUnsupported      = 616
	ResultCallControlAlreadyDone      = 617
)

// ResultInfo is one row of the document's result-code tables.
type ResultInfo struct {
	Code int32
	// Name is the vendor's symbol, e.g. "MTCTISESS_SUCCESS".
	Name string
	// Description is the document's text, typos included ("Can perform" in
	// 602 and "Can find" in 5003 mean "cannot"); empty where it gives none.
	Description string
}

// results is the table, in the document's order (which is ascending but for
// 5000-5003, printed before the 600s).
var results = []ResultInfo{
	{ResultSuccess, "MTCTISESS_SUCCESS", "Success"},
	{ResultErrUnknown, "MTCTISESS_ERRUNKNOWN", "Unknown error"},
	{ResultUnpackErr, "MTCTISESS_UNPACKERR", "Message unpack error"},
	{ResultNotInstrumented, "MTCTISESS_NOTINSTRUMENTED", "Not instrumented"},
	{ResultNotFound, "MTCTISESS_NOTFOUND", "Not found"},
	{ResultTooMany, "MTCTISESS_TOOMANY", "Too many"},
	{ResultTooBig, "MTCTISESS_TOOBIG", ""},
	{ResultUserNotFound, "MTCTISESS_USERNOTFOUND", ""},
	{ResultServiceNotAvailable, "MTCTISESS_SERVICE_NOT_AVAILABLE", ""},
	{ResultNotAllowed, "MTCTISESS_NOTALLOWED", ""},
	{ResultSubscriptionInvalid, "MTCTISESS_SUBSCRIPTION_INVALID", "Not a recognized subscription"},
	{ResultSubscriptionInvalidID, "MTCTISESS_SUBSCRIPTION_INVALID_ID", "Subscription Update with invalid ID"},
	{ResultSubscriptionTimeoutTooSmall, "MTCTISESS_SUBSCRIPTION_TIMEOUT_TOO_SMALL", ""},
	{ResultGenCmdErrUnknown, "MTCTISESS_GENCMD_ERRUNKNOWN", "General Command Error"},
	{ResultGenCmdInvalidPayload, "MTCTISESS_GENCMD_INVALID_PAYLOAD", "General Command badly formatted"},
	{ResultGenCmdRequiredDataMissing, "MTCTISESS_GENCMD_REQUIRED_DATA_MISSING", "General Command with mandatory element missing"},
	{ResultPresenceErrUnknown, "MTCTISESS_PRESENCE_ERRUNKNOWN", "Any error to do with presence subscription"},
	{ResultRequestFailed, "MTCTISESS_REQUESTFAILED", "A valid command has failed"},
	{ResultRequestTimeout, "MTCTISESS_REQUESTTIMEOUT", "A valid command has taken too long to create a response"},
	{ResultRequestInvalidPayload, "MTCTISESS_REQUEST_INVALID_PAYLOAD", "Missing or field out of range."},
	{ResultRequestInvalidContext, "MTCTISESS_REQUEST_INVALID_CONTEXT", "Can find context for this action"},
	{ResultCallControlNoPhone, "MTCTISESS_CALLCONTROL_NOPHONE", "Cant make a call, or unpark a call because the user is not logged in to any handset"},
	{ResultCallControlExtnFault, "MTCTISESS_CALLCONTROL_EXTNFAULT", "Cant Make a call because the user's phone is not connected"},
	{ResultCallControlCallNotFound, "MTCTISESS_CALLCONTROL_CALLNOTFOUND", "Can perform action on this call, because the call cannot be found"},
	{ResultCallControlMaxCalls, "MTCTISESS_CALLCONTROL_MAXCALLS", "Cant Make a call because the user has no more call appearances."},
	{ResultCallControlBadAcct, "MTCTISESS_CALLCONTROL_BADACCT", "The account code entered is not valid"},
	{ResultCallControlBadAuth, "MTCTISESS_CALLCONTROL_BADAUTH", "The authorization code is not valid"},
	{ResultCallControlTargetNotFound, "MTCTISESS_CALLCONTROL_TARGETNOTFOUND", "Typically for UnPark, or AddToConference, cannot find the thing you are targeting."},
	{ResultCallControlPermission, "MTCTISESS_CALLCONTROL_PERMISSION", "You do not have permission to perform this action"},
	{ResultCallControlBadFormatting, "MTCTISESS_CALLCONTROL_BADFORMATTING", "One of the fields is missing or string is too long or number is out of range"},
	{ResultCallControlInvalidCallState, "MTCTISESS_CALLCONTROL_INVALIDCALLSTATE", "You can't do this action at this time."},
	{ResultCallControlCantBeDone, "MTCTISESS_CALLCONTROL_CANTBEDONE", "Typically you cannot answer the call on this phone because you need to physically pick up the handset."},
	{ResultCallControlNoCoverage, "MTCTISESS_CALLCONTROL_NOCOVERAGE", "You cant Drop a ringing call if there is no coverage destination."},
	{ResultCallControlTransferFailed, "MTCTISESS_CALLCONTROL_TRANSFERFAILED", "The blind transfer target is invalid or refused the call."},
	{ResultCallControlParkFailed, "MTCTISESS_CALLCONTROL_PARKFAILED", "Could not park this call"},
	{ResultCallControlOtherNotFound, "MTCTISESS_CALLCONTROL_OTHERNOTFOUND", "Trying to CompleteTransfer or CompleteConf with invalid related calls."},
	{ResultCallControlCantComplete, "MTCTISESS_CALLCONTROL_CANTCOMPLETE", "TransferComplete not allowed, maybe because of the nature of the calls you are trying to join."},
	{ResultCallControlUnsupported, "MTCTISESS_CALLCONTROL_UNSUPPORTED", "Not a supported function"},
	{ResultCallControlAlreadyDone, "MTCTISESS_CALLCONTROL_ALREADYDONE", "The command would have no effect"},
}

// resultIndex finds a code's row; built once, read-only after.
var resultIndex = func() map[int32]int {
	idx := make(map[int32]int, len(results))
	for i, r := range results {
		idx[r.Code] = i
	}
	return idx
}()

// Results returns a copy of the whole table, in the document's order.
func Results() []ResultInfo { return slices.Clone(results) }

// LookupResult returns the table row of code and whether there is one.
func LookupResult(code int32) (ResultInfo, bool) {
	i, ok := resultIndex[code]
	if !ok {
		return ResultInfo{Code: code}, false
	}
	return results[i], true
}

// ResultName returns the vendor's name of a result code, such as
// "MTCTISESS_CALLCONTROL_ALREADYDONE", or "MTCTISESS_<code>" for a code the
// document does not list (a newer IP Office may send one), so that logs
// always show something greppable.
func ResultName(code int32) string {
	if r, ok := LookupResult(code); ok {
		return r.Name
	}
	return "MTCTISESS_" + strconv.Itoa(int(code))
}
