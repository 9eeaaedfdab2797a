package mirtaapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// parseCase runs one parser on json and plain forms of one answer and
// compares with want.
type parseCase[T any] struct {
	name  string
	body  string
	want  T
	shape bool // want errShape
}

func runParse[T any](t *testing.T, parse func([]byte) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse([]byte(tc.body))
			if tc.shape {
				if !errors.Is(err, errShape) {
					t.Fatalf("err = %v, want errShape (got %+v)", err, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseExtensions(t *testing.T) {
	both := []Extension{
		{ID: "3272", Number: "201", Name: "Reception", Tech: "SIP", State: "NOT_INUSE", Username: "201-DEVEL"},
		{ID: "155450", Number: "300", Name: "Support", Tech: "PJSIP", State: "UNAVAILABLE", Username: "300-DEVEL"},
	}
	plain := []Extension{
		{Number: "201", Name: "Reception", Tech: "SIP", State: "NOT_INUSE", Username: "201-DEVEL"},
		{Number: "300", Name: "Support", Tech: "PJSIP", State: "UNAVAILABLE", Username: "300-DEVEL"},
	}
	runParse(t, parseExtensions, []parseCase[[]Extension]{
		{name: "json", body: goldenExtensionsJSON, want: both},
		{name: "plain", body: goldenExtensionsPlain, want: plain},
		{name: "plain crlf", body: strings.ReplaceAll(goldenExtensionsPlain, "\n", "\r\n"), want: plain},
		{name: "keyed by id", body: goldenExtensionsKeyed, want: []Extension{{ID: "3272", Number: "201", Name: "Reception"}, {ID: "155450", Number: "300", Name: "Support"}}},
		{name: "unknown fields", body: `[{"ex_number":"201","ex_new":{"a":[1,2]},"zz":true,"ex_id":"1"}]`, want: []Extension{{ID: "1", Number: "201"}}},
		{name: "empty", body: "", want: []Extension{}},
		{name: "empty json list", body: "[]", want: []Extension{}},
		{name: "lone bracket", body: "]", want: []Extension{}},
		{name: "text without header", body: "hello world", shape: true},
		{name: "bad json", body: `[{"ex_number":`, shape: true},
		{name: "scalars", body: `[1,2]`, shape: true},
		{name: "no number or id", body: `[{"ex_name":"x"}]`, shape: true},
	})
}

// TestExtensionSecretsDropped checks that no secret value of the golden
// answers survives anywhere in the parsed result, and that the decoded
// tree never held them.
func TestExtensionSecretsDropped(t *testing.T) {
	secrets := []string{"s3cretSIP", "9f86d0818884", "1234", "totpseed", "tok123"}
	for _, body := range []string{goldenExtensionsJSON, goldenExtensionsPlain} {
		got, err := parseExtensions([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		dump := strings.ToLower(strings.Join(flatten(got), "|"))
		for _, s := range secrets {
			if strings.Contains(dump, strings.ToLower(s)) {
				t.Errorf("secret %q survived in %v", s, got)
			}
		}
	}
	n, err := parseJSON([]byte(goldenExtensionsJSON))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*node)
	walk = func(n *node) {
		for i, k := range n.keys {
			if isSecretField(k) {
				t.Errorf("tree kept secret field %q", k)
			}
			walk(n.vals[i])
		}
		for _, v := range n.vals {
			if v != nil {
				for _, s := range secrets[:2] {
					if v.s == s {
						t.Errorf("tree kept secret value %q", s)
					}
				}
			}
		}
	}
	walk(n)
	// Positional duplicates of a secret column (DOCS_AUDIT.md A-55) are
	// dropped with the other positional keys of a named record.
	r := objectRecord(mustJSON(t, `{"0":"201","ex_number":"201","43":"leak","ex_webpassword":"leak"}`))
	for k, v := range r {
		if v == "leak" {
			t.Errorf("record kept %q=%q", k, v)
		}
	}
}

func flatten(v any) []string {
	var out []string
	rv := reflect.ValueOf(v)
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			out = append(out, v.String())
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(k)
				walk(v.MapIndex(k))
			}
		}
	}
	walk(rv)
	return out
}

func mustJSON(t *testing.T, s string) *node {
	t.Helper()
	n, err := parseJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExtensionHasNoSecretFields(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeOf(Extension{}), reflect.TypeOf(Contact{}), reflect.TypeOf(Channel{})} {
		for i := 0; i < typ.NumField(); i++ {
			if isSecretField(typ.Field(i).Name) {
				t.Errorf("%s has field %s", typ.Name(), typ.Field(i).Name)
			}
		}
	}
}

func TestParseQueues(t *testing.T) {
	want := []Queue{{ID: "281", Name: "Support"}, {ID: "282", Name: "Sales, EMEA"}}
	runParse(t, parseQueues, []parseCase[[]Queue]{
		{name: "json", body: goldenQueuesJSON, want: want},
		{name: "plain", body: goldenQueuesPlain, want: want},
		{name: "number label", body: `{"281":"9200 - Support"}`, want: []Queue{{ID: "281", Number: "9200", Name: "Support"}}},
		{name: "numbers as numbers", body: `{"281":9200}`, want: []Queue{{ID: "281", Name: "9200"}}},
		{name: "empty", body: "", want: []Queue{}},
		{name: "nested", body: `{"281":{"a":1}}`, shape: true},
		{name: "plain without colon", body: "Support|Sales|", shape: true},
	})
}

func TestParseExtState(t *testing.T) {
	busy := ExtState{Registered: true, InCall: true, UniqueID: "1764612000.42", LinkedID: "1764612000.41", ConnectedNum: "0612345678", ConnectedName: "Bob", Context: "DEVEL", Extension: "0612345678", Direction: "IN", OtherParty: "SIP/trunk-0000002b"}
	runParse(t, parseExtState, []parseCase[ExtState]{
		{name: "json", body: goldenExtStateJSON, want: busy},
		{name: "plain", body: goldenExtStatePlain, want: busy},
		{name: "idle plain", body: goldenExtStateIdlePlain, want: ExtState{Registered: true}},
		{name: "idle json", body: goldenExtStateIdleJSON, want: ExtState{Registered: true}},
		{name: "observed two keys", body: `{"UniqueID":"","LinkedID":""}`, want: ExtState{Registered: true}},
		{name: "unregistered json", body: goldenExtStateUnregJSON, want: ExtState{}},
		{name: "unregistered plain", body: goldenExtStateUnregPlain, want: ExtState{}},
		{name: "other object", body: `{"foo":"bar"}`, shape: true},
		{name: "array", body: `[]`, shape: true},
	})
}

func TestParseRegState(t *testing.T) {
	runParse(t, parseRegState, []parseCase[RegState]{
		{name: "plain registered", body: goldenRegStateRegistered, want: RegState{Registered: true, State: "REGISTERED"}},
		{name: "plain unregistered", body: goldenRegStateUnreg + "\n", want: RegState{State: "UNREGISTERED"}},
		{name: "json string", body: goldenRegStateJSONString, want: RegState{Registered: true, State: "REGISTERED"}},
		{name: "json object", body: goldenRegStateJSONObject, want: RegState{State: "UNREGISTERED"}},
		{name: "empty", body: "", shape: true},
		{name: "garbage word", body: "banana", shape: true},
	})
}

func TestParseDND(t *testing.T) {
	for _, tc := range []struct {
		body      string
		on, ok    bool
		wantShape bool
	}{
		{body: goldenDNDOn, on: true, ok: true},
		{body: goldenDNDOff, ok: true},
		{body: "on\r\n", on: true, ok: true},
		{body: `"on"`, on: true, ok: true},
		{body: `{"dnd":"off"}`, ok: true},
		{body: `{"dnd":1}`, on: true, ok: true},
		{body: "Success|DND state|on|", on: true, ok: true},
		{body: ""},
		{body: "maybe", wantShape: true},
	} {
		on, ok, err := parseDND([]byte(tc.body))
		if tc.wantShape != errors.Is(err, errShape) || (err != nil && !tc.wantShape) {
			t.Fatalf("%q: err = %v", tc.body, err)
		}
		if on != tc.on || ok != tc.ok {
			t.Errorf("%q: on, ok = %v, %v; want %v, %v", tc.body, on, ok, tc.on, tc.ok)
		}
	}
}

func TestParseBLFs(t *testing.T) {
	want := []BLF{{Extension: "103-DEVEL", State: "NOT_INUSE", Timestamp: "2026-12-01 10:00"}, {Extension: "500[on]-flow", State: "INUSE", Timestamp: "2026-12-01 09:00"}}
	runParse(t, parseBLFs, []parseCase[[]BLF]{
		{name: "json", body: goldenBLFsJSON, want: want},
		{name: "plain", body: goldenBLFsPlain, want: want},
		{name: "plain not doubled", body: "103-DEVEL|NOT_INUSE|2026-12-01 10:00|\n", want: []BLF{{Extension: "103-DEVEL", State: "NOT_INUSE", Timestamp: "2026-12-01 10:00"}}},
		{name: "json positional only", body: `[{"0":"x"}]`, shape: true},
		{name: "empty", body: "", want: []BLF{}},
		{name: "plain one field", body: "x|\n", shape: true},
	})
}

func TestParseChannels(t *testing.T) {
	ch := Channel{Name: "SIP/103-DEVEL-0000002a", CallerIDNum: "103", CallerIDName: "Alice", ConnectedNum: "0612345678", ConnectedName: "Bob", State: "Up", UniqueID: "1764612000.42", LinkedID: "1764612000.41", Context: "DEVEL", Exten: "0612345678", Duration: 37 * time.Second}
	runParse(t, parseChannels, []parseCase[[]Channel]{
		{name: "json", body: goldenChannelsJSON, want: []Channel{ch}},
		{name: "plain", body: goldenChannelsPlain, want: []Channel{ch}},
		{name: "empty", body: "", want: []Channel{}},
		{name: "plain without header", body: "SIP/1|2|3\n", shape: true},
	})
}

func TestParseChannel(t *testing.T) {
	ch := Channel{Name: "SIP/103-DEVEL-0000002a", CallerIDNum: "103", CallerIDName: "Alice", ConnectedNum: "0612345678", ConnectedName: "Bob", State: "Up", UniqueID: "1764612000.42", LinkedID: "1764612000.41", Context: "DEVEL", Exten: "0612345678", Duration: 37 * time.Second}
	runParse(t, parseChannel, []parseCase[Channel]{
		{name: "json pairs", body: goldenChannelJSON, want: ch},
		{name: "plain pairs", body: goldenChannelPlain, want: ch},
		{name: "observed empty pairs", body: `[["",""],["",""]]`, shape: true},
		{name: "object", body: `{"Channel":"SIP/1","Uniqueid":"1.2"}`, want: Channel{Name: "SIP/1", UniqueID: "1.2"}},
	})
}

func TestParseCurrentCalls(t *testing.T) {
	ch := Channel{Name: "SIP/103-DEVEL-0000002a", CallerIDNum: "103", CallerIDName: "Alice", ConnectedNum: "0612345678", ConnectedName: "Bob", State: "Up", UniqueID: "1764612000.42", LinkedID: "1764612000.41", Direction: "OUT", Duration: 37 * time.Second}
	full := ch
	full.Context, full.Exten, full.OtherParty = "DEVEL", "0612345678", "SIP/trunk-0000002b"
	runParse(t, parseCurrentCalls, []parseCase[[]Channel]{
		{name: "json multiple", body: goldenCurrentCallsJSON, want: []Channel{full}},
		{name: "json single object, number duration", body: goldenCurrentCallJSONSingle, want: []Channel{ch}},
		{name: "plain", body: goldenCurrentCallsPlain, want: []Channel{ch}},
		{name: "plain with header", body: "Channel|UniqueID|LinkedID|CallerIDNum|CallerIDName|ConnectedLineNum|ConnectedLineName|State|Direction|Duration\n" + goldenCurrentCallsPlain, want: []Channel{ch}},
		{name: "none", body: "", want: []Channel{}},
	})
}

func TestParseAgents(t *testing.T) {
	runParse(t, parseAgents, []parseCase[[]Agent]{
		{name: "json", body: goldenAgentsJSON, want: []Agent{{ID: "104-DEVEL", Status: "available", DeviceState: "NOT_INUSE"}, {ID: "105-DEVEL", Paused: true, Status: "paused", DeviceState: "INUSE", PauseReason: "Lunch"}}},
		{name: "plain", body: goldenAgentsPlain, want: []Agent{{ID: "104-DEVEL", DeviceState: "NOT_INUSE"}, {ID: "105-DEVEL", DeviceState: "INUSE"}}},
		{name: "null (no such queue)", body: "null", want: []Agent{}},
		{name: "json list", body: `[{"10":"104-DEVEL","1":"available"}]`, want: []Agent{{ID: "104-DEVEL", Status: "available"}}},
	})
}

func TestParseAgentsConnected(t *testing.T) {
	runParse(t, parseAgentsConnected, []parseCase[[]AgentConnection]{
		{name: "json", body: goldenAgentsConnectedJSON, want: []AgentConnection{{Agent: "104", Queue: "281", Value: 1}, {Agent: "105", Queue: "281"}, {Agent: "105", Queue: "282", Value: 1}}},
		{name: "plain", body: goldenAgentsConnectedPlain, want: []AgentConnection{{Agent: "104", Value: 1}, {Agent: "105"}}},
		{name: "empty", body: "", want: nil},
		{name: "array", body: `[1]`, shape: true},
	})
}

func TestParseQueueCallers(t *testing.T) {
	want := []QueueCaller{{Position: 1, CallerIDNum: "0612345678", CallerIDName: "Bob", Wait: 12 * time.Second, Channel: "SIP/trunk-0000002b", UniqueID: "1764612000.43"}}
	runParse(t, parseQueueCallers, []parseCase[[]QueueCaller]{
		{name: "json", body: goldenQueueCallersJSON, want: want},
		{name: "plain", body: goldenQueueCallersPlain, want: want},
		{name: "json numbers", body: `[{"Position":1,"CallerIDNum":612345678,"Wait":12.0,"Channel":"SIP/x"}]`, want: []QueueCaller{{Position: 1, CallerIDNum: "612345678", Channel: "SIP/x"}}},
		{name: "empty", body: "", want: []QueueCaller{}},
	})
}

func TestParseFlows(t *testing.T) {
	want := []Flow{{ID: "12", Name: "night-mode", Comment: "Night mode toggle", Number: "500[on]", MonitorType: "flow-state", Extension: "500[on]-flow", State: "NOT_INUSE", Timestamp: "2026-01-15 09:30"}}
	runParse(t, parseFlows, []parseCase[[]Flow]{
		{name: "json", body: goldenFlowsJSON, want: want},
		{name: "plain", body: goldenFlowsPlain, want: want},
		{name: "empty", body: "", want: []Flow{}},
		{name: "short plain", body: "a|", shape: true},
	})
}

func TestParseQueueAgents(t *testing.T) {
	want := []QueueAgent{{Extension: "104-DEVEL", Number: "104", Name: "Alice", Type: "NF", Order: 1}, {Extension: "105-DEVEL", Number: "105", Name: "Carol", Type: "AD", Order: 2, Paused: true, Penalty: 3}}
	runParse(t, parseQueueAgents, []parseCase[[]QueueAgent]{
		{name: "json", body: goldenQueueAgentsJSON, want: want},
		{name: "plain", body: goldenQueueAgentsPlain, want: want},
		{name: "empty", body: "", want: []QueueAgent{}},
	})
}

func TestParseAgentQueues(t *testing.T) {
	want := []AgentQueue{{ID: "281", Number: "9200", Name: "Support"}, {ID: "282", Number: "9201", Name: "Sales", Paused: true, PauseReason: "Lunch"}}
	runParse(t, parseAgentQueues, []parseCase[[]AgentQueue]{
		{name: "json", body: goldenAgentQueuesJSON, want: want},
		{name: "plain", body: goldenAgentQueuesPlain, want: want},
		{name: "empty", body: "", want: []AgentQueue{}},
	})
}

func TestParsePhonebooks(t *testing.T) {
	want := []Phonebook{{ID: "1", Name: "Default"}, {ID: "2", Name: "Suppliers"}}
	runParse(t, parsePhonebooks, []parseCase[[]Phonebook]{
		{name: "json", body: goldenPhonebooksJSON, want: want},
		{name: "plain", body: goldenPhonebooksPlain, want: want},
		{name: "json names", body: `["Default"]`, want: []Phonebook{{Name: "Default"}}},
		{name: "json objects", body: `[{"id":1,"name":"Default"}]`, want: []Phonebook{{ID: "1", Name: "Default"}}},
	})
}

func TestParseContacts(t *testing.T) {
	want := []Contact{{ID: "17", Name: "Ben Smith", Company: "Acme", Numbers: []string{"0612345678"}, Fields: map[string]string{"EMAIL": "ben@example.com"}}}
	runParse(t, parseContacts, []parseCase[[]Contact]{
		{name: "json (PIN dropped)", body: goldenContactsJSON, want: want},
		{name: "plain", body: goldenContactsPlain, want: want},
		{name: "empty", body: "", want: []Contact{}},
	})
}

func TestParseFlowState(t *testing.T) {
	runParse(t, parseFlowState, []parseCase[string]{
		{name: "plain", body: goldenFlowState, want: "UNAVAILABLE"},
		{name: "json string", body: `"INUSE"`, want: "INUSE"},
		{name: "sentence", body: "this is not a state", shape: true},
	})
}

func TestParseResult(t *testing.T) {
	for _, tc := range []struct {
		body string
		want result
		bad  bool
	}{
		{body: goldenDial, want: result{ok: true, msg: "Originate successfully queued", data: []string{"15a4cfe6429054"}}},
		{body: goldenSuccessPlain, want: result{ok: true, msg: "DND set"}},
		{body: goldenActionError, want: result{msg: "Channel not found"}},
		{body: goldenSuccessJSONTolerant, want: result{ok: true, msg: "Originate successfully queued", data: []string{"15a4cfe6429054"}}},
		{body: "hello", bad: true},
		{body: "", bad: true},
	} {
		got, err := parseResult([]byte(tc.body))
		if tc.bad != (err != nil) {
			t.Fatalf("%q: err = %v", tc.body, err)
		}
		if !tc.bad && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v want %+v", tc.body, got, tc.want)
		}
	}
}

func TestClassifyText(t *testing.T) {
	for text, want := range map[string]Kind{
		goldenBadKey:                        KindBadKey,
		goldenWrongTenant:                   KindUnknownTenant,
		goldenNoID:                          KindBadRequest,
		"No extension specified":            KindBadRequest,
		"No queue (id or number) specified": KindBadRequest,
		"201|Reception":                     0,
	} {
		if got := classifyText(text); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
	for msg, want := range map[string]Kind{
		"Channel not found":         KindNotFound,
		"Read only API key":         KindReadOnlyKey,
		"Unknown tenant":            KindUnknownTenant,
		"Invalid state":             KindBadRequest,
		"Invalid API key":           KindBadKey,
		"Extension does not exist!": KindNotFound,
	} {
		if got := classifyMessage(msg); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"37": 37 * time.Second, "00:00:37": 37 * time.Second, "1:02:03": time.Hour + 2*time.Minute + 3*time.Second, "": 0, "x": 0, "-1": 0, "1:2:3:4": 0} {
		if got := parseDuration(s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}

func TestJSONDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := parseJSON([]byte(deep)); err == nil {
		t.Fatal("deep json accepted")
	}
	if _, err := parseExtensions([]byte(deep)); !errors.Is(err, errShape) {
		t.Fatalf("err = %v", err)
	}
}
