package grandstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

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
	unknown := notIdempotent[op] && reachedPhone(ge)
	var e *sdk.Error
	switch {
	case ge.Kind == gsapi.KindRefused:
		e = sdk.FailedPrecondition("phone %q refused %s (answer %q): the call may have changed state; refresh with GetDeviceState", p.id, op, ge.Body)
	case ge.Kind == gsapi.KindAuth:
		e = sdk.PermissionDenied("phone %q refused the configured passcode for %s: fix the device's passcode in config.hcl", p.id, op)
	case ge.Kind == gsapi.KindUnsupported:
		e = sdk.Unimplemented("phone %q has no %s function (HTTP 404): check the configured model %q and its firmware", p.id, ge.Function, p.model)
	case unknown && ge.Kind == gsapi.KindTimeout:
		e = sdk.Unavailable("phone %q did not answer %s in time; the command's outcome is unknown, check the device state before retrying", p.id, op)
	case unknown && ge.Kind == gsapi.KindUnreachable:
		e = sdk.Unavailable("phone %q dropped the connection during %s; the command's outcome is unknown, check the device state before retrying", p.id, op)
	case unknown:
		// The phone got the request but its answer cannot be read: whether
		// it acted is not known, and a dial or a reboot must not be
		// repeated blindly. The host says the same of a driver that died.
		e = sdk.Unavailable("phone %q answered %s with something that is not a CTI answer (is CTI, Action URI, enabled on it?); the command's outcome is unknown, check the device state before retrying", p.id, op)
	case ge.Kind == gsapi.KindTimeout:
		e = sdk.Unavailable("phone %q did not answer %s in time: check that it is powered and reachable", p.id, op)
	case ge.Kind == gsapi.KindUnreachable:
		e = sdk.Unavailable("phone %q is unreachable for %s: check its address and network", p.id, op)
	default:
		e = sdk.Unavailable("phone %q answered %s with something that is not a CTI answer: check that CTI (Action URI) is enabled on it", p.id, op)
	}
	e.Err = err
	return e.WithVendor(vendor, p.id, code, p.redact.Redact(ge.Body))
}

// notIdempotent are the operations that must not be repeated blindly: they
// dial, transfer, press keys, toggle or restart. Their names are the op
// names deviceError gets.
var notIdempotent = map[string]bool{
	"dial": true, "blind transfer": true, "send dtmf": true, "send keys": true,
	"mute": true, "speaker": true, "reboot": true, "reset": true,
}

// reachedPhone reports whether a failed request reached the phone: it
// answered something unreadable, or the connection was made and then
// dropped or went silent. A refused connection or a failed lookup never
// reached it.
func reachedPhone(ge *gsapi.Error) bool {
	switch ge.Kind {
	case gsapi.KindBadResponse, gsapi.KindTimeout:
		return true
	case gsapi.KindUnreachable:
		return errors.Is(ge, io.EOF) || errors.Is(ge, io.ErrUnexpectedEOF) || errors.Is(ge, syscall.ECONNRESET)
	}
	return false
}
