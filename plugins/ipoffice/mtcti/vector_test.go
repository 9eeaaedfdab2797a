package mtcti

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// unhex reads the document's spaced hex ("1A 0C 08 ...").
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Wire builders: they write the field numbers as the vendor document prints
// them, independently of the generated code, so a wrong number in
// mtcti3.proto shows up as a byte mismatch.
func fields(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// int32Field encodes like protobuf int32: negative values sign-extend to a
// 10-byte varint.
func int32Field(num protowire.Number, v int32) []byte { return varintField(num, uint64(int64(v))) }

func bytesField(num protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), b)
}

func stringField(num protowire.Number, s string) []byte { return bytesField(num, []byte(s)) }

func msgField(num protowire.Number, parts ...[]byte) []byte { return bytesField(num, fields(parts...)) }

// vector is one document example: the message as the document shows it and
// its encoding without framing.
type vector struct {
	name string
	msg  *Message
	wire []byte
}

// vectors are the document's examples. "First payload" gives its bytes
// (lines 4648-4677); the others give values only (some in hex: GUIDs, gcid),
// so their bytes are built from the document's field numbers.
func vectors(t testing.TB) []vector {
	gcid := unhex(t, "01 C0 A8 2A 0B 00 00 03 EC")            // line 1415
	userGUID := unhex(t, "DC51BA0008A311DD80530050569F6EF8")  // line 1272
	lineGUID := unhex(t, "DC51BA0008A311DD80540050569F6EF8")  // line 1059
	queueGUID := unhex(t, "21218C000AF711DD80BC0050569F6EF8") // line 1099
	feat := int32(-0x1F1F1F6F)                                // 0xE0E0E091, line 2778
	return []vector{{
		name: "first payload (lines 4648-4677)",
		msg: &Message{Payload: &Message_Subscribe{Subscribe: &Subscribe{
			Requestid: 1, SubscribeId: 1, Timeout: 3600,
			Payload: &Subscribe_Lines{Lines: &SubscribeLines{Flags: 7}},
		}}},
		wire: unhex(t, "1A 0C 08 01 10 01 18 90 1C C2 02 02 08 07"),
	}, {
		name: "lines subscribe answer, result 0 (lines 992-1002)",
		msg: &Message{Payload: &Message_Response{Response: &RequestResponse{
			Requestid: 1, Result: ResultSuccess,
		}}},
		// proto3 leaves result=0 off the wire.
		wire: msgField(1, int32Field(1, 1)),
	}, {
		name: "first lines notify (lines 1036-1110)",
		msg: &Message{Payload: &Message_Notify{Notify: &Notify{
			SubscribeId: 5555, NotifyId: 1,
			Payload: &Notify_Lines{Lines: &NotifyLines{
				Flags:    3,
				Adduser:  []*LinesUser{{Guid: lineGUID, Extn: "2002", Name: "Bergcamp"}},
				Addqueue: []*LinesQueue{{Guid: queueGUID, Extn: "2501", Name: "IP Office Sales"}},
			}},
		}}},
		wire: msgField(8, int32Field(1, 5555), int32Field(2, 1),
			msgField(40, int32Field(1, 3),
				msgField(2, bytesField(1, lineGUID), stringField(2, "2002"), stringField(3, "Bergcamp")),
				msgField(3, bytesField(1, queueGUID), stringField(2, "2501"), stringField(3, "IP Office Sales")))),
	}, {
		name: "notify ack (lines 1116-1124)",
		msg:  &Message{Payload: &Message_Notifyack{Notifyack: &NotifyAck{SubscribeId: 5555, NotifyId: 1}}},
		wire: msgField(9, int32Field(1, 5555), int32Field(2, 1)),
	}, {
		name: "user subscribe (lines 1261-1279)",
		msg: &Message{Payload: &Message_Subscribe{Subscribe: &Subscribe{
			Requestid: 2, SubscribeId: 7000,
			Payload: &Subscribe_User{User: &SubscribeUser{Guid: userGUID, Flags: 0x1, Ccflags: 0x19}},
		}}},
		wire: msgField(3, int32Field(1, 2), int32Field(2, 7000),
			msgField(41, bytesField(1, userGUID), int32Field(2, 1), int32Field(3, 0x19))),
	}, {
		name: "incoming call on a user (lines 1399-1426)",
		msg: &Message{Payload: &Message_Notify{Notify: &Notify{
			SubscribeId: 7000,
			Payload: &Notify_Callcontrol{Callcontrol: &NotifyCallControl{
				Refreshinstance: 1,
				Callinfo: []*CallInfo{{
					Callid: 1, State: CallInfo_RINGING, Direction: CallInfo_INBOUND,
					Gcid: gcid, Featuresavailable: 0x23,
					Callingparty: &PartyInfo{Number: "61001", Name: "Agent 61001", Nametype: 5},
				}},
			}},
		}}},
		wire: msgField(8, int32Field(1, 7000),
			msgField(14, int32Field(1, 1),
				msgField(2, int32Field(2, 1), int32Field(5, 4), int32Field(6, 2), bytesField(8, gcid),
					int32Field(9, 0x23),
					msgField(11, stringField(2, "61001"), stringField(4, "Agent 61001"), int32Field(5, 5))))),
	}, {
		name: "set DND (lines 1480-1494)",
		msg: &Message{Payload: &Message_Subscribecmd{Subscribecmd: &SubscribeCmd{
			SubscribeId: 7000,
			Payload:     &SubscribeCmd_User{User: &UpdateUser{Sac: &UpdateUserSAC{Set: 1}}},
		}}},
		wire: msgField(4, int32Field(2, 7000), msgField(41, msgField(1, int32Field(1, 1)))),
	}, {
		name: "mailbox short code 70 (lines 1535-1555)",
		msg: &Message{Payload: &Message_Subscribecmd{Subscribecmd: &SubscribeCmd{
			Requestid: 3, SubscribeId: 7000,
			Payload: &SubscribeCmd_User{User: &UpdateUser{
				Shortcodedata: []*ShortCodeData{{Code: 70, Val: ";3,0,0"}},
			}},
		}}},
		wire: msgField(4, int32Field(1, 3), int32Field(2, 7000),
			msgField(41, msgField(4, int32Field(1, 70), stringField(2, ";3,0,0")))),
	}, {
		name: "blind transfer to a callflow (lines 2677-2695)",
		msg: &Message{Payload: &Message_Subscribecmd{Subscribecmd: &SubscribeCmd{
			SubscribeId: 7500,
			Payload: &SubscribeCmd_Callcontrol{Callcontrol: &UpdateCallControl{
				Callid:       1,
				Callfunction: &CallFunction{Action: CallFunction_BlindTransfer, Arg1: "/102/Callflow"},
			}},
		}}},
		wire: msgField(4, int32Field(2, 7500),
			msgField(14, int32Field(1, 1), msgField(4, int32Field(1, 5), stringField(2, "/102/Callflow")))),
	}, {
		name: "queue call answered by voicemail, bit 31 set (lines 2697-2805)",
		msg: &Message{Payload: &Message_Notify{Notify: &Notify{
			SubscribeId: 7500,
			Payload: &Notify_Callcontrol{Callcontrol: &NotifyCallControl{
				Refreshinstance: 2,
				Callinfo: []*CallInfo{{
					Callid: 1, State: CallInfo_ANSWEREDBYVOICEMAIL, Direction: CallInfo_INBOUND,
					Featuresavailable: feat, Calledparty: "8010",
					Callingparty:   &PartyInfo{Number: "03498984598", Nametype: 9},
					Connectedparty: &PartyInfo{Number: "Callflow"},
					Trunkinfo:      &TrunkInfo{Trunktype: TrunkInfo_TrunkISDN, Did: "8010"},
					Queueinfo:      &QueueInfo{Priority: 1},
				}},
			}},
		}}},
		wire: msgField(8, int32Field(1, 7500),
			msgField(14, int32Field(1, 2),
				msgField(2, int32Field(2, 1), int32Field(5, 20), int32Field(6, 2), int32Field(9, feat),
					stringField(10, "8010"),
					msgField(11, stringField(2, "03498984598"), int32Field(5, 9)),
					msgField(12, stringField(2, "Callflow")),
					msgField(54, int32Field(1, 2), stringField(5, "8010")),
					msgField(55, int32Field(5, 1))))),
	}, {
		name: "getversioninfo (lines 4704-4713)",
		msg: &Message{Payload: &Message_Generalcmd{Generalcmd: &GeneralCmd{
			Requestid: 3000, Payload: &GeneralCmd_Getversioninfo{Getversioninfo: true},
		}}},
		wire: msgField(2, int32Field(1, 3000), varintField(7, 1)),
	}, {
		name: "versioninfo answer (lines 4719-4728)",
		msg: &Message{Payload: &Message_Generaldata{Generaldata: &GeneralData{
			Responseid: 3000, Payload: &GeneralData_Versioninfo{Versioninfo: "IP Office 11.1.0.0 build 600"},
		}}},
		wire: msgField(7, int32Field(1, 3000), stringField(7, "IP Office 11.1.0.0 build 600")),
	}}
}

// TestFirstPayload pins the one example the document gives bytes for, in
// both framings (lines 4648-4677).
func TestFirstPayload(t *testing.T) {
	want := unhex(t, "1A 0C 08 01 10 01 18 90 1C C2 02 02 08 07")
	wantFramed := unhex(t, "00 00 00 01 1A 0C 08 01 10 01 18 90 1C C2 02 02 08 07")
	if len(want) != 14 || len(wantFramed) != 18 {
		t.Fatalf("vector lengths %d and %d, the document says 14 and 18", len(want), len(wantFramed))
	}
	m := vectors(t)[0].msg
	for _, tc := range []struct {
		f    Framing
		want []byte
	}{{NoFraming, want}, {Framed, wantFramed}} {
		got, err := Encode(tc.f, m)
		if err != nil {
			t.Fatalf("%v: encode: %v", tc.f, err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%v: encode = % X, want % X", tc.f, got, tc.want)
		}
		back, err := Decode(tc.f, tc.want)
		if err != nil {
			t.Fatalf("%v: decode: %v", tc.f, err)
		}
		if !proto.Equal(back, m) {
			t.Errorf("%v: decode = %v, want %v", tc.f, back, m)
		}
	}
}

// TestDocumentVectors encodes every document example to the bytes its field
// numbers imply, in both framings, and decodes them back.
func TestDocumentVectors(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			for _, f := range []Framing{NoFraming, Framed} {
				want := v.wire
				if f == Framed {
					want = append(append([]byte(nil), header...), v.wire...)
				}
				got, err := Encode(f, v.msg)
				if err != nil {
					t.Fatalf("%v: encode: %v", f, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%v: encode =\n% X\nwant\n% X", f, got, want)
				}
				back, err := Decode(f, want)
				if err != nil {
					t.Fatalf("%v: decode: %v", f, err)
				}
				if !proto.Equal(back, v.msg) {
					t.Errorf("%v: decode = %v, want %v", f, back, v.msg)
				}
			}
		})
	}
}
