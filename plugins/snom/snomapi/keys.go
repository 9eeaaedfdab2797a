package snomapi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// KeyEvent is one KEYEVENT of command.htm?key=, "Key[,Time[,Pause]]"
// (vendor document, "Syntax"): Key is pressed for Press, then the phone
// waits Pause before the next event.
type KeyEvent struct {
	// Key is a key name exactly as the document writes it, in capital
	// letters: CANCEL, ENTER, OFFHOOK, 0-9, *, #, F1, P12, EK0...
	Key string
	// Press is how long the key is held, in whole milliseconds; zero
	// leaves Time out and the phone uses its own short press.
	Press time.Duration
	// Pause is the wait after the key, in whole milliseconds; zero leaves
	// it out. A Pause needs a Press, since the grammar has no Pause
	// without a Time.
	Pause time.Duration
}

// Limits of one key request. The document gives none; these bound what a
// caller can make a phone do in one request (64 events of at most 20 s is
// 21 minutes already).
const (
	MaxKeyEvents = 64
	MaxPress     = 10 * time.Second
	MaxPause     = 10 * time.Second
	// maxPKey and maxEKey bound P and EK numbers before any model is known:
	// P numbering continues over expansion modules on D7xx (a D785 with
	// three 48-key D7C modules reaches P168), and the EK keys of the
	// snom3xx expansion modules start at EK0.
	maxPKey = 256
	maxEKey = 255
	// maxKeyString bounds the text ParseKeys accepts.
	maxKeyString = 4096
)

// namedKeys are the key events of the document's table "Keyevents for Snom
// Deskphones", besides F1-F4, P1-Px, EK0-EKmax and the keypad.
var namedKeys = map[string]bool{
	"CANCEL": true, "ENTER": true, "OFFHOOK": true, "ONHOOK": true,
	"RIGHT": true, "LEFT": true, "UP": true, "DOWN": true,
	"VOLUME_UP": true, "VOLUME_DOWN": true, "MENU": true, "MUTE": true,
	"REDIAL": true, "DND": true, "REC": true, "SPEAKER": true,
	"HEADSET": true, "TRANSFER": true, "F_HOLD": true,
	"0": true, "1": true, "2": true, "3": true, "4": true,
	"5": true, "6": true, "7": true, "8": true, "9": true,
	"*": true, "#": true,
}

// keyList names the valid keys in error messages.
const keyList = "CANCEL, ENTER, OFFHOOK, ONHOOK, RIGHT, LEFT, UP, DOWN, VOLUME_UP, VOLUME_DOWN, MENU, MUTE, REDIAL, DND, REC, " +
	"F1-F4, SPEAKER, HEADSET, TRANSFER, F_HOLD, 0-9, *, #, P1-Pn, EK0-EKn"

// numberedKey splits "P12" into ("P", 12). It accepts F, P and EK with a
// decimal number without sign or leading zero; ok is false otherwise.
func numberedKey(key string) (prefix string, n int, ok bool) {
	switch {
	case strings.HasPrefix(key, "EK"):
		prefix = "EK"
	case strings.HasPrefix(key, "P"), strings.HasPrefix(key, "F"):
		prefix = key[:1]
	default:
		return "", 0, false
	}
	digits := key[len(prefix):]
	if digits == "" || len(digits) > 3 || (digits[0] == '0' && len(digits) > 1) {
		return "", 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", 0, false
		}
	}
	n, _ = strconv.Atoi(digits)
	return prefix, n, true
}

// validKey reports whether key is in the document's table for some model.
func validKey(key string) bool {
	if namedKeys[key] {
		return true
	}
	prefix, n, ok := numberedKey(key)
	if !ok {
		return false
	}
	switch prefix {
	case "F":
		return n >= 1 && n <= 4
	case "P":
		return n >= 1 && n <= maxPKey
	case "EK":
		return n >= 0 && n <= maxEKey
	}
	return false
}

// keyError explains why key is not valid, suggesting the upper-case name
// for a key written in lower case (the phone matches names exactly).
func keyError(i int, key string) error {
	if up := strings.ToUpper(key); up != key && validKey(up) {
		return fmt.Errorf("snomapi: key event %d: key %q must be written in capital letters, %q: %w", i+1, truncateText(key), up, ErrInvalidArgument)
	}
	return fmt.Errorf("snomapi: key event %d: unknown key %q; valid keys are %s: %w", i+1, truncateText(key), keyList, ErrInvalidArgument)
}

// checkDuration validates a Press or Pause.
func checkDuration(i int, what string, d, maxD time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("snomapi: key event %d: %s %v is negative: %w", i+1, what, d, ErrInvalidArgument)
	case d > maxD:
		return fmt.Errorf("snomapi: key event %d: %s %v is longer than %v: %w", i+1, what, d, maxD, ErrInvalidArgument)
	case d%time.Millisecond != 0:
		return fmt.Errorf("snomapi: key event %d: %s %v is not whole milliseconds: %w", i+1, what, d, ErrInvalidArgument)
	}
	return nil
}

// checkEvents validates events against the document's table for any model.
func checkEvents(events []KeyEvent) error {
	if len(events) == 0 {
		return fmt.Errorf("snomapi: no key events: %w", ErrInvalidArgument)
	}
	if len(events) > MaxKeyEvents {
		return fmt.Errorf("snomapi: %d key events in one request, want at most %d: %w", len(events), MaxKeyEvents, ErrInvalidArgument)
	}
	for i, ev := range events {
		if !validKey(ev.Key) {
			return keyError(i, ev.Key)
		}
		if err := checkDuration(i, "press", ev.Press, MaxPress); err != nil {
			return err
		}
		if err := checkDuration(i, "pause", ev.Pause, MaxPause); err != nil {
			return err
		}
		if ev.Pause > 0 && ev.Press == 0 {
			return fmt.Errorf("snomapi: key event %d (%s): a pause needs a press time, the grammar is Key[,Time[,Pause]]; set Press too: %w", i+1, ev.Key, ErrInvalidArgument)
		}
	}
	return nil
}

// EncodeKeys validates events against the document's key table (any model;
// see Model.CheckKeys for one model's limits) and returns the value of the
// key= query parameter: events joined by ";", each "Key[,Time[,Pause]]"
// with times in milliseconds, "#" written %23 and "*" written %2A. The
// document warns that "#" and "*" may need their ASCII codes; a raw "#"
// would also end the URL and start its fragment. ";" and "," stay literal
// as the document writes them. Safe for concurrent use.
func EncodeKeys(events []KeyEvent) (string, error) {
	if err := checkEvents(events); err != nil {
		return "", err
	}
	var b strings.Builder
	for i, ev := range events {
		if i > 0 {
			b.WriteByte(';')
		}
		switch ev.Key {
		case "#":
			b.WriteString("%23")
		case "*":
			b.WriteString("%2A")
		default:
			b.WriteString(ev.Key)
		}
		if ev.Press > 0 {
			b.WriteByte(',')
			b.WriteString(strconv.FormatInt(ev.Press.Milliseconds(), 10))
			if ev.Pause > 0 {
				b.WriteByte(',')
				b.WriteString(strconv.FormatInt(ev.Pause.Milliseconds(), 10))
			}
		}
	}
	return b.String(), nil
}

// ParseKeys is the reverse of EncodeKeys, for simulators: it reads a key=
// value as sent (percent-escaped, "%23") or already decoded ("#"), and
// applies the same checks. Key names are case-sensitive, an explicit Time
// of 0 is refused (leave it out), a Pause of 0 is accepted. Decoding never
// turns "+" into a space. It never panics; errors wrap ErrInvalidArgument.
func ParseKeys(s string) ([]KeyEvent, error) {
	if len(s) > maxKeyString {
		return nil, fmt.Errorf("snomapi: key value of %d bytes, want at most %d: %w", len(s), maxKeyString, ErrInvalidArgument)
	}
	if strings.IndexByte(s, '%') >= 0 {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("snomapi: key value %q has a bad percent escape: %w", truncateText(s), ErrInvalidArgument)
		}
		s = u
	}
	if s == "" {
		return nil, fmt.Errorf("snomapi: no key events: %w", ErrInvalidArgument)
	}
	parts := strings.Split(s, ";")
	if len(parts) > MaxKeyEvents {
		return nil, fmt.Errorf("snomapi: %d key events in one request, want at most %d: %w", len(parts), MaxKeyEvents, ErrInvalidArgument)
	}
	events := make([]KeyEvent, 0, len(parts))
	for i, p := range parts {
		fields := strings.Split(p, ",")
		if len(fields) > 3 || fields[0] == "" {
			return nil, fmt.Errorf("snomapi: key event %d %q: want Key[,Time[,Pause]]: %w", i+1, truncateText(p), ErrInvalidArgument)
		}
		ev := KeyEvent{Key: fields[0]}
		if len(fields) > 1 {
			ms, err := parseMillis(fields[1])
			if err != nil || ms == 0 {
				return nil, fmt.Errorf("snomapi: key event %d %q: time must be 1 to %d milliseconds (leave it out for a short press): %w",
					i+1, truncateText(p), MaxPress.Milliseconds(), ErrInvalidArgument)
			}
			ev.Press = time.Duration(ms) * time.Millisecond
		}
		if len(fields) > 2 {
			ms, err := parseMillis(fields[2])
			if err != nil {
				return nil, fmt.Errorf("snomapi: key event %d %q: pause must be 0 to %d milliseconds: %w",
					i+1, truncateText(p), MaxPause.Milliseconds(), ErrInvalidArgument)
			}
			ev.Pause = time.Duration(ms) * time.Millisecond
		}
		events = append(events, ev)
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	return events, nil
}

// ParseKeysQuery finds the key= parameter of a raw command.htm query and
// parses it with ParseKeys. It splits the query at "&" only: net/url
// drops parameters that hold ";" (the key grammar's separator), so
// r.URL.Query().Get("key") is empty for a multi-key request.
func ParseKeysQuery(rawQuery string) ([]KeyEvent, error) {
	for _, p := range strings.Split(rawQuery, "&") {
		if v, ok := strings.CutPrefix(p, "key="); ok {
			return ParseKeys(v)
		}
	}
	return nil, fmt.Errorf("snomapi: query has no key= parameter: %w", ErrInvalidArgument)
}

// parseMillis parses 1 to 6 decimal digits (no sign, no space).
func parseMillis(s string) (int64, error) {
	if s == "" || len(s) > 6 {
		return 0, strconv.ErrSyntax
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, nil
}

// KeysDuration returns how long the phone needs to play events: the sum
// of every Press and Pause. Client.PressKeys adds it to its timeout, since
// the document does not say whether the phone answers before or after
// pressing.
func KeysDuration(events []KeyEvent) time.Duration {
	var d time.Duration
	for _, ev := range events {
		if ev.Press > 0 {
			d += ev.Press
		}
		if ev.Pause > 0 {
			d += ev.Pause
		}
	}
	return d
}

// AttendedTransferKeys returns the key sequences of the document's
// "Attended Transfer (Incoming call A, transferred by B to C)", whose URLs
// the copy lost. Assumed from the steps described and the key table, each
// sequence to be sent with PressKeys:
//
//	consult:  F_HOLD ("Holds the call A"), then each digit of number
//	          ("(X=0-9) Repeat this for each digit"), then ENTER ("B makes
//	          a call to C and announces transfer")
//	complete: TRANSFER ("call is transferred")
//
// The document warns that with "Call Join on Xfer (2 calls)" on, the phone
// shows its held-calls list instead of transferring. CSTA's
// ConsultationCall and TransferCall do the same without key presses.
// number is 1 to 60 digits 0-9.
func AttendedTransferKeys(number string) (consult, complete []KeyEvent, err error) {
	if number == "" || len(number) > MaxKeyEvents-4 || strings.Trim(number, "0123456789") != "" {
		return nil, nil, fmt.Errorf("snomapi: attended transfer to %q: want 1 to %d digits 0-9: %w", truncateText(number), MaxKeyEvents-4, ErrInvalidArgument)
	}
	consult = append(consult, KeyEvent{Key: "F_HOLD"})
	for i := 0; i < len(number); i++ {
		consult = append(consult, KeyEvent{Key: number[i : i+1]})
	}
	consult = append(consult, KeyEvent{Key: "ENTER"})
	return consult, []KeyEvent{{Key: "TRANSFER"}}, nil
}
