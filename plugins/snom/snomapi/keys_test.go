package snomapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestEncodeKeys(t *testing.T) {
	for want, events := range map[string][]KeyEvent{
		"OFFHOOK":                  {{Key: "OFFHOOK"}},
		"1,100,200;%23;%2A,50":     {{Key: "1", Press: 100 * ms, Pause: 200 * ms}, {Key: "#"}, {Key: "*", Press: 50 * ms}},
		"F_HOLD;1;2;3;TRANSFER":    {{Key: "F_HOLD"}, {Key: "1"}, {Key: "2"}, {Key: "3"}, {Key: "TRANSFER"}},
		"P48;EK0;EK255;F4,10000,1": {{Key: "P48"}, {Key: "EK0"}, {Key: "EK255"}, {Key: "F4", Press: 10 * time.Second, Pause: ms}},
		"VOLUME_UP,1,0":            {{Key: "VOLUME_UP", Press: ms, Pause: 0}},
	} {
		got, err := EncodeKeys(events)
		if err != nil || strings.TrimSuffix(want, ",0") != got {
			t.Errorf("EncodeKeys(%v) = %q, %v; want %q", events, got, err, want)
		}
	}
}

func TestEncodeKeysRefuses(t *testing.T) {
	many := make([]KeyEvent, MaxKeyEvents+1)
	for i := range many {
		many[i].Key = "1"
	}
	for name, events := range map[string][]KeyEvent{
		"none":                {},
		"65 events":           many,
		"unknown":             {{Key: "FLASH"}},
		"lower case":          {{Key: "cancel"}},
		"empty key":           {{Key: ""}},
		"P0":                  {{Key: "P0"}},
		"P01":                 {{Key: "P01"}},
		"P257":                {{Key: "P257"}},
		"EK256":               {{Key: "EK256"}},
		"F5":                  {{Key: "F5"}},
		"F0":                  {{Key: "F0"}},
		"separator in key":    {{Key: "1;2"}},
		"negative press":      {{Key: "1", Press: -ms}},
		"negative pause":      {{Key: "1", Press: ms, Pause: -ms}},
		"press too long":      {{Key: "1", Press: MaxPress + ms}},
		"pause too long":      {{Key: "1", Press: ms, Pause: MaxPause + ms}},
		"sub-millisecond":     {{Key: "1", Press: 1500 * time.Microsecond}},
		"pause without press": {{Key: "1", Pause: 100 * ms}},
	} {
		if _, err := EncodeKeys(events); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	_, err := EncodeKeys([]KeyEvent{{Key: "enter"}})
	if err == nil || !strings.Contains(err.Error(), `"ENTER"`) {
		t.Fatalf("lower-case key: %v; want a hint at ENTER", err)
	}
}

func TestParseKeys(t *testing.T) {
	for in, want := range map[string][]KeyEvent{
		"OFFHOOK":              {{Key: "OFFHOOK"}},
		"1,100,200;%23;%2A,50": {{Key: "1", Press: 100 * ms, Pause: 200 * ms}, {Key: "#"}, {Key: "*", Press: 50 * ms}},
		"1,100,200;#;*,50":     {{Key: "1", Press: 100 * ms, Pause: 200 * ms}, {Key: "#"}, {Key: "*", Press: 50 * ms}},
		"ENTER,1,0":            {{Key: "ENTER", Press: ms}},
		"P1%3BP2":              {{Key: "P1"}, {Key: "P2"}},
	} {
		got, err := ParseKeys(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseKeys(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ";", "1;", ";1", "1;;2", "1,", "1,0", "1,0,5", "1,,5", "1,-5", "1,+5", "1, 5", "1,5,6,7",
		"1,10001", "1,5,10001", "cancel", "FLASH", "%zz", "%", "1 ", " 1", "P1+P2", strings.Repeat("1;", MaxKeyEvents) + "1",
		strings.Repeat("1", maxKeyString+1)} {
		if got, err := ParseKeys(in); !errors.Is(err, ErrInvalidArgument) || got != nil {
			t.Errorf("ParseKeys(%q) = %v, %v; want ErrInvalidArgument", in, got, err)
		}
	}
}

func TestKeysRoundTrip(t *testing.T) {
	events := []KeyEvent{{Key: "CANCEL"}, {Key: "#", Press: 3 * ms, Pause: 4 * ms}, {Key: "*"}, {Key: "EK12", Press: 9 * ms}}
	enc, err := EncodeKeys(events)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKeys(enc)
	if err != nil || !reflect.DeepEqual(got, events) {
		t.Fatalf("round trip %q: %v, %v", enc, got, err)
	}
	if d := KeysDuration(events); d != 16*ms {
		t.Fatalf("KeysDuration = %v", d)
	}
}

func TestModelLimits(t *testing.T) {
	for _, tc := range []struct {
		model string
		ok    []string
		bad   []string
	}{
		{"D717", []string{"P1", "P3", "F4", "CANCEL"}, []string{"P4", "EK0"}},
		{"D785", []string{"P24", "F1"}, []string{"P25", "EK0"}},
		{"D385", []string{"P48", "EK0", "EK125"}, []string{"P49", "EK126"}},
		{"D315", []string{"P5", "EK3"}, []string{"P6"}},
		{"snom870", []string{"P15"}, []string{"P16", "F1", "EK0"}},
		{"snom300", []string{"P4", "F4", "EK0"}, []string{"P5"}},
		{"snom320", []string{"P12"}, []string{"P13"}},
		{"snom820", []string{"P12", "F4"}, []string{"P13", "EK0"}},
		{"snom200", []string{"F3", "P5"}, []string{"F4"}},
		{"190", []string{"F3"}, []string{"F4"}},
	} {
		m, err := LookupModel(tc.model)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range tc.ok {
			if err := m.CheckKeys([]KeyEvent{{Key: k}}); err != nil {
				t.Errorf("%s %s: %v", tc.model, k, err)
			}
		}
		for _, k := range tc.bad {
			if err := m.CheckKeys([]KeyEvent{{Key: k}}); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%s %s: err = %v, want ErrInvalidArgument", tc.model, k, err)
			}
		}
	}
	// Expansion modules on a D7xx continue the P numbering.
	m, _ := LookupModel("D735")
	m.PKeys += 18
	if err := m.CheckKeys([]KeyEvent{{Key: "P50"}}); err != nil {
		t.Fatal(err)
	}
}

func TestLookupModel(t *testing.T) {
	for in, want := range map[string]string{
		"D785": "D785", "d785": "D785", " snomD785 ": "D785", "snomD785-SIP": "D785", "SNOMD717": "D717",
		"715": "D715", "snom725": "D725", "snom370": "snom370", "370": "snom370", "snom870": "snom870",
	} {
		m, err := LookupModel(in)
		if err != nil || m.Name != want {
			t.Errorf("LookupModel(%q) = %v, %v; want %s", in, m.Name, err, want)
		}
	}
	for _, in := range []string{"D862", "d865", "snomD812-SIP"} {
		if _, err := LookupModel(in); !errors.Is(err, ErrUnsupported) {
			t.Errorf("LookupModel(%q): err = %v, want ErrUnsupported", in, err)
		}
	}
	for _, in := range []string{"", "D999", "GXP2135", "D7"} {
		if _, err := LookupModel(in); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("LookupModel(%q): err = %v, want ErrInvalidArgument", in, err)
		}
	}
	if names := ModelNames(); len(names) != len(models) || names[0] != "D305" {
		t.Fatalf("ModelNames = %v", names)
	}
}

func TestParseKeysQuery(t *testing.T) {
	got, err := ParseKeysQuery("x=1&key=1,100,200;%23&y=2")
	if err != nil || len(got) != 2 || got[1].Key != "#" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ParseKeysQuery("number=1"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
}

func TestAttendedTransferKeys(t *testing.T) {
	consult, complete, err := AttendedTransferKeys("204")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := EncodeKeys(consult)
	b, _ := EncodeKeys(complete)
	if a != "F_HOLD;2;0;4;ENTER" || b != "TRANSFER" {
		t.Fatalf("%q %q", a, b)
	}
	for _, n := range []string{"", "12a", "+49", strings.Repeat("1", 61)} {
		if _, _, err := AttendedTransferKeys(n); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: err = %v", n, err)
		}
	}
}
