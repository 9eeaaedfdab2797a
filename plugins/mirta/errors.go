package mirta

import (
	"errors"
	"strconv"

	"github.com/ctihost/ctihost/plugins/mirta/mirtaapi"
	"github.com/ctihost/ctihost/sdk"
)

// Vendor is VendorError.vendor.
const Vendor = "mirta"

// apiError turns a proxyapi failure into the caller's error, naming the
// connection as "SITE/NAME" (the site's tenant) so an operator knows
// which block to fix.
// The vendor's answer (already cut and redacted by mirtaapi) and its HTTP
// status go into the VendorError detail.
func apiError(conn string, err error) error {
	return commandError(conn, "", err, true)
}

// commandError is apiError for a command on device: a write whose answer
// was lost may or may not have happened, and the message says so.
func commandError(conn, device string, err error, idempotent bool) error {
	if err == nil {
		return nil
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return se
	}
	var ae *mirtaapi.APIError
	if !errors.As(err, &ae) {
		return sdk.Unavailable("connection %q: %v", conn, err)
	}
	var out *sdk.Error
	switch ae.Kind {
	case mirtaapi.KindBadKey:
		out = sdk.PermissionDenied("connection %q: the PBX refused the API key for this tenant (%s): check key and tenant; a read-only key cannot dial, hang up or change settings", conn, ae.Reqtype)
	case mirtaapi.KindReadOnlyKey:
		out = sdk.PermissionDenied("connection %q: the API key is read-only; configure the tenant's read/write key to %s", conn, ae.Reqtype)
	case mirtaapi.KindUnknownTenant:
		out = sdk.PermissionDenied("connection %q: the PBX does not know the tenant (%s): check the tenant code", conn, ae.Reqtype)
	case mirtaapi.KindNotFound:
		out = sdk.NotFound("connection %q: %s: %s", conn, ae.Reqtype, orSaid(ae.Message, "not found"))
	case mirtaapi.KindBadRequest:
		out = sdk.FailedPrecondition("connection %q: the PBX refused %s: %s", conn, ae.Reqtype, orSaid(ae.Message, "no reason given"))
	case mirtaapi.KindGarbage:
		out = sdk.Unavailable("connection %q: the PBX's answer to %s is not proxyapi's (%s): check url and path", conn, ae.Reqtype, orSaid(ae.Message, "unreadable"))
	default:
		if idempotent {
			out = sdk.Unavailable("connection %q: the PBX did not answer %s: %v; retry in a moment", conn, ae.Reqtype, orSaid(ae.Message, "no answer"))
		} else {
			out = sdk.Unavailable("connection %q: the PBX did not answer %s: %v; the command's outcome is unknown: check the device state before retrying", conn, ae.Reqtype, orSaid(ae.Message, "no answer"))
		}
	}
	code := ae.Kind.String()
	if ae.HTTPStatus != 0 {
		code += " (HTTP " + strconv.Itoa(ae.HTTPStatus) + ")"
	}
	return out.WithVendor(Vendor, device, code, ae.Message)
}

func orSaid(msg, def string) string {
	if msg == "" {
		return def
	}
	return msg
}
