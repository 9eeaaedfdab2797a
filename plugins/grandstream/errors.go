package grandstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctihost/ctihost/plugins/grandstream/gsapi"
	"github.com/ctihost/ctihost/sdk"
)

// vendor is the VendorError.vendor of every error from a phone.
const vendor = "grandstream"

// deviceError turns a gsapi error for device into the sdk error the caller
// sees, keeping the phone's own answer as the vendor detail. gsapi errors
// never contain the passcode; the phone's redactor is applied anyway.
func (p *phone) deviceError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ge *gsapi.Error
	if !errors.As(err, &ge) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if errors.Is(err, gsapi.ErrInvalidArgument) {
			return sdk.InvalidArgument("%s", p.redact.Redact(err.Error()))
		}
		return sdk.Unavailable("phone %q: %s failed: %s", p.id, op, p.redact.Redact(err.Error()))
	}
	// The code is the phone's own: its HTTP status when not 200, else the
	// answer word of a JSON error body (false, "unknown", "failed",
	// "unauthorized"). A page or garbage at HTTP 200 has no code; an
	// excerpt of it, one line, is the message.
	code := ""
	switch {
	case ge.HTTPStatus != 0 && ge.HTTPStatus != 200:
		code = fmt.Sprintf("http %d", ge.HTTPStatus)
	case ge.Kind == gsapi.KindRefused || ge.Kind == gsapi.KindAuth:
		code = ge.Body
	}
	var e *sdk.Error
	switch ge.Kind {
	case gsapi.KindRefused:
		e = sdk.FailedPrecondition("phone %q refused %s (answer %q): the call may have changed state; refresh with GetDeviceState", p.id, op, ge.Body)
	case gsapi.KindAuth:
		e = sdk.PermissionDenied("phone %q refused the configured passcode for %s: fix the device's passcode in config.hcl", p.id, op)
	case gsapi.KindUnsupported:
		e = sdk.Unimplemented("phone %q has no %s function (HTTP 404): check the configured model %q and its firmware", p.id, ge.Function, p.model)
	case gsapi.KindTimeout:
		e = sdk.Unavailable("phone %q did not answer %s in time: check that it is powered and reachable", p.id, op)
	case gsapi.KindUnreachable:
		e = sdk.Unavailable("phone %q is unreachable for %s: check its address and network", p.id, op)
	default:
		e = sdk.Unavailable("phone %q answered %s with something that is not a CTI answer: check that CTI (Action URI) is enabled on it", p.id, op)
	}
	e.Err = err
	return e.WithVendor(vendor, p.id, code, p.redact.Redact(ge.Body))
}
