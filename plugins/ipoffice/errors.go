package ipoffice

import (
	"errors"

	"google.golang.org/grpc/codes"

	"github.com/ctihost/ctihost/plugins/ipoffice/ipoapi"
	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	"github.com/ctihost/ctihost/sdk"
)

// Vendor is VendorError.vendor.
const Vendor = "ipoffice"

// results maps every RequestResponse result code of the document's tables
// (lines 3026-3123) to what the caller sees. IP Office's own refusal of a
// privilege (607, 9) is ABORTED, not PERMISSION_DENIED, which cti.v1 keeps
// for refused credentials.
var results = sdk.NewErrorTable(Vendor,
	sdk.VendorCode{Code: mtcti.ResultSuccess, Name: "MTCTISESS_SUCCESS", GRPC: codes.OK},
	sdk.VendorCode{Code: mtcti.ResultErrUnknown, Name: "MTCTISESS_ERRUNKNOWN", GRPC: codes.Unknown, Message: "IP Office failed the request without saying why"},
	sdk.VendorCode{Code: mtcti.ResultUnpackErr, Name: "MTCTISESS_UNPACKERR", GRPC: codes.Internal, Message: "IP Office could not read the driver's request; report it with the driver's version"},
	sdk.VendorCode{Code: mtcti.ResultNotInstrumented, Name: "MTCTISESS_NOTINSTRUMENTED", GRPC: codes.Unimplemented, Message: "this IP Office release does not offer the operation"},
	sdk.VendorCode{Code: mtcti.ResultNotFound, Name: "MTCTISESS_NOTFOUND", GRPC: codes.NotFound, Message: "the call no longer exists; refresh with GetDeviceState"},
	sdk.VendorCode{Code: mtcti.ResultTooMany, Name: "MTCTISESS_TOOMANY", GRPC: codes.ResourceExhausted, Message: "IP Office refused: too many"},
	sdk.VendorCode{Code: mtcti.ResultTooBig, Name: "MTCTISESS_TOOBIG", GRPC: codes.InvalidArgument, Message: "a value is too big for IP Office"},
	sdk.VendorCode{Code: mtcti.ResultUserNotFound, Name: "MTCTISESS_USERNOTFOUND", GRPC: codes.NotFound, Message: "IP Office does not know the user"},
	sdk.VendorCode{Code: mtcti.ResultServiceNotAvailable, Name: "MTCTISESS_SERVICE_NOT_AVAILABLE", GRPC: codes.Unavailable, Message: "the IP Office service is not available; retry later"},
	sdk.VendorCode{Code: mtcti.ResultNotAllowed, Name: "MTCTISESS_NOTALLOWED", GRPC: codes.Aborted, Message: "IP Office does not allow it for this user or service user"},
	sdk.VendorCode{Code: mtcti.ResultSubscriptionInvalid, Name: "MTCTISESS_SUBSCRIPTION_INVALID", GRPC: codes.Internal, Message: "IP Office does not recognise the subscription"},
	sdk.VendorCode{Code: mtcti.ResultSubscriptionInvalidID, Name: "MTCTISESS_SUBSCRIPTION_INVALID_ID", GRPC: codes.Unavailable, Message: "IP Office lost the user's subscription; the driver resubscribes, retry in a moment"},
	sdk.VendorCode{Code: mtcti.ResultSubscriptionTimeoutTooSmall, Name: "MTCTISESS_SUBSCRIPTION_TIMEOUT_TOO_SMALL", GRPC: codes.InvalidArgument, Message: "the subscription timeout is too small; raise subscription_timeout"},
	sdk.VendorCode{Code: mtcti.ResultGenCmdErrUnknown, Name: "MTCTISESS_GENCMD_ERRUNKNOWN", GRPC: codes.Unknown, Message: "IP Office failed a general command"},
	sdk.VendorCode{Code: mtcti.ResultGenCmdInvalidPayload, Name: "MTCTISESS_GENCMD_INVALID_PAYLOAD", GRPC: codes.Internal, Message: "IP Office found a general command badly formatted"},
	sdk.VendorCode{Code: mtcti.ResultGenCmdRequiredDataMissing, Name: "MTCTISESS_GENCMD_REQUIRED_DATA_MISSING", GRPC: codes.Internal, Message: "IP Office missed a mandatory element of a general command"},
	sdk.VendorCode{Code: mtcti.ResultPresenceErrUnknown, Name: "MTCTISESS_PRESENCE_ERRUNKNOWN", GRPC: codes.Unknown, Message: "IP Office failed a presence request"},
	sdk.VendorCode{Code: mtcti.ResultRequestFailed, Name: "MTCTISESS_REQUESTFAILED", GRPC: codes.Aborted, Message: "IP Office could not carry out the command"},
	sdk.VendorCode{Code: mtcti.ResultRequestTimeout, Name: "MTCTISESS_REQUESTTIMEOUT", GRPC: codes.Unavailable, Message: "IP Office (or a remote system of the network) took too long; check the device state before retrying"},
	sdk.VendorCode{Code: mtcti.ResultRequestInvalidPayload, Name: "MTCTISESS_REQUEST_INVALID_PAYLOAD", GRPC: codes.InvalidArgument, Message: "a field is missing or out of range"},
	sdk.VendorCode{Code: mtcti.ResultRequestInvalidContext, Name: "MTCTISESS_REQUEST_INVALID_CONTEXT", GRPC: codes.FailedPrecondition, Message: "IP Office cannot do this in the call's or user's present context"},
	sdk.VendorCode{Code: mtcti.ResultCallControlNoPhone, Name: "MTCTISESS_CALLCONTROL_NOPHONE", GRPC: codes.FailedPrecondition, Message: "the user is not logged in to any phone"},
	sdk.VendorCode{Code: mtcti.ResultCallControlExtnFault, Name: "MTCTISESS_CALLCONTROL_EXTNFAULT", GRPC: codes.FailedPrecondition, Message: "the user's phone is not connected"},
	sdk.VendorCode{Code: mtcti.ResultCallControlCallNotFound, Name: "MTCTISESS_CALLCONTROL_CALLNOTFOUND", GRPC: codes.NotFound, Message: "the call no longer exists; refresh with GetDeviceState"},
	sdk.VendorCode{Code: mtcti.ResultCallControlMaxCalls, Name: "MTCTISESS_CALLCONTROL_MAXCALLS", GRPC: codes.FailedPrecondition, Message: "the user has no free call appearance"},
	sdk.VendorCode{Code: mtcti.ResultCallControlBadAcct, Name: "MTCTISESS_CALLCONTROL_BADACCT", GRPC: codes.InvalidArgument, Message: "the account code is not valid"},
	sdk.VendorCode{Code: mtcti.ResultCallControlBadAuth, Name: "MTCTISESS_CALLCONTROL_BADAUTH", GRPC: codes.InvalidArgument, Message: "the authorization code is not valid"},
	sdk.VendorCode{Code: mtcti.ResultCallControlTargetNotFound, Name: "MTCTISESS_CALLCONTROL_TARGETNOTFOUND", GRPC: codes.NotFound, Message: "IP Office cannot find the target (an empty park slot, an unknown conference)"},
	sdk.VendorCode{Code: mtcti.ResultCallControlPermission, Name: "MTCTISESS_CALLCONTROL_PERMISSION", GRPC: codes.Aborted, Message: "the user may not do this (IP Office privilege)"},
	sdk.VendorCode{Code: mtcti.ResultCallControlBadFormatting, Name: "MTCTISESS_CALLCONTROL_BADFORMATTING", GRPC: codes.InvalidArgument, Message: "a field is missing, too long or out of range"},
	sdk.VendorCode{Code: mtcti.ResultCallControlInvalidCallState, Name: "MTCTISESS_CALLCONTROL_INVALIDCALLSTATE", GRPC: codes.FailedPrecondition, Message: "the call is not in a state that allows it; refresh with GetDeviceState"},
	sdk.VendorCode{Code: mtcti.ResultCallControlCantBeDone, Name: "MTCTISESS_CALLCONTROL_CANTBEDONE", GRPC: codes.FailedPrecondition, Message: "the user's phone cannot do it by CTI (an analogue phone must be picked up by hand)"},
	sdk.VendorCode{Code: mtcti.ResultCallControlNoCoverage, Name: "MTCTISESS_CALLCONTROL_NOCOVERAGE", GRPC: codes.FailedPrecondition, Message: "a ringing call cannot be dropped where it has nowhere else to go (no voicemail or coverage)"},
	sdk.VendorCode{Code: mtcti.ResultCallControlTransferFailed, Name: "MTCTISESS_CALLCONTROL_TRANSFERFAILED", GRPC: codes.Aborted, Message: "the transfer target is invalid or refused the call"},
	sdk.VendorCode{Code: mtcti.ResultCallControlParkFailed, Name: "MTCTISESS_CALLCONTROL_PARKFAILED", GRPC: codes.Aborted, Message: "IP Office could not park the call (the slot may be taken)"},
	sdk.VendorCode{Code: mtcti.ResultCallControlOtherNotFound, Name: "MTCTISESS_CALLCONTROL_OTHERNOTFOUND", GRPC: codes.NotFound, Message: "the other call of the transfer or conference no longer exists"},
	sdk.VendorCode{Code: mtcti.ResultCallControlCantComplete, Name: "MTCTISESS_CALLCONTROL_CANTCOMPLETE", GRPC: codes.FailedPrecondition, Message: "IP Office cannot join these calls"},
	sdk.VendorCode{Code: mtcti.ResultCallControlUnsupported, Name: "MTCTISESS_CALLCONTROL_UNSUPPORTED", GRPC: codes.FailedPrecondition, Message: "IP Office does not support this for the call or phone now"},
	sdk.VendorCode{Code: mtcti.ResultCallControlAlreadyDone, Name: "MTCTISESS_CALLCONTROL_ALREADYDONE", GRPC: codes.FailedPrecondition, Message: "the command would have no effect", AlreadyDone: true},
)

// commandError turns what a Session returned for a command into the
// error for the caller: nil for success (and ALREADYDONE on an idempotent
// command), the table's error for a result code, UNAVAILABLE for a link
// that is down or silent. safe says whether the command may be repeated;
// when not, a lost answer leaves the outcome unknown and the message says
// so.
func commandError(device string, err error, idempotent bool) error {
	var re *ipoapi.ResultError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		if results.IsSuccess(int(re.Code), idempotent) {
			return nil
		}
		return results.Error(device, int(re.Code), re.Additional)
	case idempotent:
		return sdk.Unavailable("device %q: %v; retry in a moment", device, err)
	}
	return sdk.Unavailable("device %q: %v; the command's outcome is unknown: check the device state before retrying", device, err)
}
