package gsapi

import "strings"

// Example answers of the CTI Guide (shared/vendor-docs/grandstream-cti-guide.txt),
// copied verbatim including the guide's spacing.
const (
	guideComplete     = `{ "response": "success", "body": "complete" }`
	guideFailed       = `{ "response": "error", "body": "failed" }`
	guideGeneralLines = `{ "response": "success", "body": [{ "line": 1, "state": "idle", "acct": "", "remotename": "", "remotenum": "", "active": 0 }, { "line": 2, "state": "idle", "acct": "", "remotename": "", "remotenum": "", "active": 0 }, { "line": 3, "state": "idle", "acct": "", "remotename": "", "remotenum": "", "active": 0 }] }`
	guideLinesCurly   = `{“response”:“success”, “body”: [{“line”: 1, “state”:“connected”, “acct”: “”, “remotename”: “”, “remotenumner”: “”, “active”: 1}, {“line”: 2, “state”: “idle”, “acct”: “”, “remotename”: “”, “remotenumner”: “”, “active”: 0}, {“line”:3, “state”: “idle”, “acct”: “”, “remotename”: “”, “remotenumner”: “”, “active”: 0}]}`
	guideAvailable    = `{"response": "success", "body": "available", "misc": "0"}`
	guideBusy         = `{"response": "success", "body": "busy", "misc": "0"}`
	guideTrue         = `{"response": "success", "body": true}`
	guideFalse        = `{"response": "error", "body": false}`
	guideAccounts     = `{"response": "success", "body": [{"id": 1, "sip_server": "testsipserver.com", "sip_id": "1234", "name": "test_account", "reg": 1}, {"id": 2, "sip_server": "", "sip_id": "", "name": "", "reg": 0}]}`
	guideAcctReg      = `{ "response": "success", "Account1": { "Registered": 1, "Profile": 1, "Active": 1, "HSMode": "HS1" } }`
	guideAcctNotReg   = `{ "response": "success", "Account1": { "Registered": 0, "Profile": 1, "Active": 0, "HSMode": "HS1" } }`
	guideHSPaired     = `{ "response": "success", "HS1": { "initialized": 1, "subscribed": 1, "status": "idle" } }`
	guideHSNotPaired  = `{ "response": "success", "HS1": { "initialized": 0, "subscribed": 0, "status": "" } }`
	guideHSLines      = `{ "response": "success", "HS1": { "Line1": { "Status": "idle", "Account": 1, "Registered": 1, "Active": 1 }, "Line2": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line3": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line4": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line5": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line6": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line7": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line8": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line9": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 }, "Line10": { "Status": "idle", "Account": 0, "Registered": 0, "Active": 0 } } }`
	guideMakeCall     = `{ "response": "success", "body": true }`
	guideKeyComplete  = `{"response": "success", "body": "complete"}`
	guideKeyUnknown   = `{"response": "error", "body": "unknown"}`
	guideSaveReboot   = `{"response": "success", "body": "savereboot"}`
	guideDirectReboot = `{"response": "success", "body": "directreboot"}`
	guideReset        = `{"response": "success", "body": "reset"}`
	guideSysUnknown   = `{"response": "error", "body": "unknown"}`
)

// guideLinesStraight is guideLinesCurly with the document's curly quotes
// replaced by straight ones, i.e. what a phone actually sends.
var guideLinesStraight = strings.NewReplacer("“", `"`, "”", `"`).Replace(guideLinesCurly)

// guideURLs are every example request of the guide, verbatim (the guide
// wraps some after the '?', hence the spaces).
var guideURLs = []string{
	"http://192.168.5.135/cgi-bin/api-get_line_status?passcode=admin",
	"http://192.168.5.135/cgi-bin/api-get_phone_status?passcode=admin",
	"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=endcall",
	"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=holdcall",
	"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=acceptcall",
	"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=rejectcall",
	"http://192.168.5.135/cgi-bin/api-phone_operation? passcode=admin&cmd=cancel",
	"http://192.168.5.135/cgi-bin/api-get_accounts?passcode=admin",
	"http://192.168.5.135/cgi-bin/api-get_account_status?passcode=admin&account=1",
	"http://192.168.5.135/cgi-bin/api-get_hs_status?passcode=admin&hs=1",
	"http://192.168.5.135/cgi-bin/api-get_hs_line_status?passcode=admin&hs=1",
	"http://192.168.5.135/cgi-bin/api-make_call?passcode=admin&hs=1&phonenumber=3501",
	"http://192.168.5.135/cgi-bin/api-device_operation? passcode=admin&hs=1&line=1&cmd=endcall",
	"http://192.168.5.135/cgi-bin/api-device_operation? passcode=admin&hs=1&line=1&cmd=holdcall",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=unholdcall",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=acceptcall",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=rejectcall",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&line=1&cmd=cancel",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=mute",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=speaker",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=setdnd",
	"http://192.168.5.135/cgi-bin/api-device_operation?passcode=admin&hs=1&cmd=unsetdnd",
	"http://192.168.5.143/cgi-bin/api-send_key?passcode=admin&keys=SPEAKER",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=SPEAKER",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=XFER",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=VUP",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=VDOWN",
	"http://192.168.5.143/cgi-bin/api-send_key?passcode=admin&keys=MUTE",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=MUTE",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=HOLD",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=1:0:0:0",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=1:0:0:0:HASH",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=LINE1",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=CONF",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=VM",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=HEADSET",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=DND",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=SEND",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=SOFT1",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&keys=MPK1",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=LEFT_SOFT_KEY",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=RIGHT_SOFT_KEY",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=STAR",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=ONHOOK",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=OFFHOOK",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=OK",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=LOCK",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=UNLOCK",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=UP",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=DOWN",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=LEFT",
	"http://192.168.5.135/cgi-bin/api-send_key?passcode=admin&hs=1&keys=RIGHT",
	"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=REBOOT",
	"http://192.168.5.135/cgi-bin/api-sys_operation?passcode=admin&request=RESET",
}
