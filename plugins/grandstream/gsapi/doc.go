// Package gsapi is a client for the Grandstream CTI HTTP API ("CTI Guide",
// shared/vendor-docs/grandstream-cti-guide.txt), which GXP16xx, GXP17xx and
// GXP21xx desk phones and DP75x DECT bases (with DP720/722/730 handsets)
// expose as GET requests of the form
//
//	http://HOST/cgi-bin/FUNCTION?passcode=PASSWORD&param=value
//
// It knows nothing about gRPC or ctihost: a driver maps its results and
// errors onto the SDK.
//
// One method of Client exists per function of the guide, each taking a
// context first:
//
//	GXP family: LineStatus, PhoneStatus, PhoneOperation, Accounts
//	DP family:  AccountStatus, HandsetStatus, HandsetLineStatus, MakeCall,
//	            DeviceOperation
//	all models: SendKeys, SysOperation
//
// The query string of every request is built by hand so that it matches the
// guide byte for byte: parameters in the guide's order (passcode first), keys
// joined with an unescaped ':' and the vendor's key quirks applied (see
// NormalizeKeys). FamilyOf tells which functions a model has; calling a
// function of the other family normally answers HTTP 404, reported as
// KindUnsupported.
//
// Every failure that involved the phone is an *Error whose Kind says what
// went wrong (refused, auth, unreachable, timeout, bad response,
// unsupported); errors.Is also matches the Err* sentinels. Invalid arguments
// are caught before any request and wrap ErrInvalidArgument. No error text
// ever contains the passcode.
package gsapi
