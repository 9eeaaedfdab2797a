package snom

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	"github.com/ctihost/ctihost/sdk"
)

// vendor is the VendorError.vendor of every error from a phone.
const vendor = "snom"

// deviceError turns a snomapi error into the sdk error the caller sees,
// with the phone's answer as the vendor detail. snomapi errors never
// contain the password or a token; the redactor is applied anyway.
func (p *phone) deviceError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var se *snomapi.Error
		if !errors.As(err, &se) {
			return err
		}
	}
	msg := p.redact.Redact(err.Error())
	var ce *snomapi.CSTAError
	if errors.As(err, &ce) {
		code := ce.Operation
		if ce.Category != "" && ce.Category != "operation" {
			code = ce.Category + ":" + ce.Operation
		}
		var e *sdk.Error
		switch {
		case ce.Class() == snomapi.ClassNotFound:
			e = sdk.NotFound("phone %q does not know the call of %s (%s); it has probably ended: refresh with GetDeviceState", p.cfg.id, op, ce.Operation)
		case ce.Class() == snomapi.ClassWrongState:
			e = sdk.FailedPrecondition("phone %q refused %s: the call is not in a state for it (%s); refresh with GetDeviceState", p.cfg.id, op, ce.Operation)
		case ce.Class() == snomapi.ClassInvalidArgument:
			e = sdk.InvalidArgument("phone %q refused a value of %s (%s)", p.cfg.id, op, ce.Operation)
		case ce.Class() == snomapi.ClassUnsupported:
			e = sdk.Unimplemented("phone %q does not do %s over CSTA (%s); SendKeys may do it by key", p.cfg.id, op, ce.Operation)
		case ce.Class() == snomapi.ClassDenied:
			e = sdk.Aborted("phone %q refused %s for lack of privilege (%s)", p.cfg.id, op, ce.Operation)
		default:
			e = sdk.Aborted("phone %q refused %s (%s)", p.cfg.id, op, orUnknown(ce.Operation))
		}
		e.Err = err
		return e.WithVendor(vendor, p.cfg.id, code, msg)
	}
	var se *snomapi.Error
	if !errors.As(err, &se) {
		switch {
		case errors.Is(err, snomapi.ErrInvalidArgument):
			return sdk.InvalidArgument("%s", msg)
		case errors.Is(err, snomapi.ErrDialectUnknown):
			return sdk.Unavailable("phone %q: its firmware is not read yet, so CSTA requests cannot be formed; retry shortly", p.cfg.id)
		}
		return sdk.Unavailable("phone %q: %s failed: %s", p.cfg.id, op, msg)
	}
	code := ""
	if se.HTTPStatus != 0 {
		code = fmt.Sprintf("http %d", se.HTTPStatus)
	}
	var e *sdk.Error
	switch se.Kind {
	case snomapi.KindAuth:
		e = sdk.PermissionDenied("phone %q refused the configured credentials for %s: fix the device's username, password or auth in config.hcl", p.cfg.id, op)
	case snomapi.KindUnsupported:
		if se.HTTPStatus == 0 { // refused before sending: the firmware lacks it
			e = sdk.FailedPrecondition("phone %q cannot do %s with its firmware %s: %s", p.cfg.id, op, p.client.Firmware(), msg)
		} else {
			e = sdk.Unimplemented("phone %q has no page for %s (HTTP 404): check the model %q and its firmware", p.cfg.id, op, p.model.Name)
		}
	case snomapi.KindTimeout:
		e = sdk.Unavailable("phone %q did not answer %s in time; for a command that is not idempotent check the device state before retrying", p.cfg.id, op)
	case snomapi.KindUnreachable:
		e = sdk.Unavailable("phone %q is unreachable for %s: check its address and network", p.cfg.id, op)
	default:
		e = sdk.Unavailable("phone %q answered %s with something unexpected; for a command that is not idempotent check the device state before retrying", p.cfg.id, op)
	}
	e.Err = err
	return e.WithVendor(vendor, p.cfg.id, code, msg)
}
