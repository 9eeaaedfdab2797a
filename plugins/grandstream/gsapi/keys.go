package gsapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Key tables of api-send_key, from the guide's "Sending Keys Functions"
// table. The guide does not say which keys belong to which family; the split
// below is inferred from its examples: keys shown without hs= are GXP keys,
// keys shown with hs= (LEFT_SOFT_KEY, ONHOOK, OK, LOCK, arrows...) are DP
// keys, and SPEAKER, MUTE and the keypad are shown in both forms.
var (
	gxpKeys = keySet(
		[]string{"SPEAKER", "XFER", "VUP", "VDOWN", "MUTE", "HOLD", "CONF", "VM", "HEADSET", "DND", "SEND"},
		keypad, []string{"*", "#"},
		numbered("LINE", 8), numbered("SOFT", 4), numbered("MPK", 24),
	)
	dpKeys = keySet(
		[]string{"SPEAKER", "MUTE"}, keypad, []string{"*", "#", "HASH", "STAR",
			"LEFT_SOFT_KEY", "RIGHT_SOFT_KEY", "ONHOOK", "OFFHOOK", "OK", "LOCK", "UNLOCK",
			"UP", "DOWN", "LEFT", "RIGHT"},
	)
	keypad = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
)

// Key lists for error messages, with the numbered ranges folded.
const (
	gxpKeyList = "SPEAKER, XFER, VUP, VDOWN, MUTE, HOLD, 0-9, *, #, LINE1-LINE8, CONF, VM, HEADSET, DND, SEND, SOFT1-SOFT4, MPK1-MPK24"
	dpKeyList  = "SPEAKER, MUTE, 0-9, * (sent as STAR), # (sent as HASH), HASH, STAR, LEFT_SOFT_KEY, RIGHT_SOFT_KEY, ONHOOK, OFFHOOK, OK, LOCK, UNLOCK, UP, DOWN, LEFT, RIGHT"
)

// maxKeys bounds one api-send_key request.
const maxKeys = 128

func numbered(prefix string, n int) []string {
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func keySet(groups ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, g := range groups {
		for _, k := range g {
			m[k] = true
		}
	}
	return m
}

// errFlash explains the missing FLASH key. The GXP1165 has a physical FLASH
// key (XFER then FLASH transfers, FLASH swaps calls), but api-send_key has
// no code for it: sending FLASH fails (grandstream-send-key-flash-thread).
var errFlash = errors.New(`key "FLASH" does not exist in the cti api (the GXP1165 has a physical flash key, but api-send_key has no code for it); ` +
	`use XFER followed by the number and SEND or # for a transfer, or LINEn to switch between calls`)

// NormalizeKeys validates keys against family f's key table and returns
// them as they travel to the phone: upper-case, and on DP models '#' as HASH
// and '*' as STAR ("# key need be sent as HASH on DP75x/DP720/722/730").
// Input is case-insensitive and surrounding spaces are ignored. An error
// (wrapping ErrInvalidArgument) names the first bad key and lists the valid
// ones; FLASH gets its own explanation. Safe for concurrent use.
func NormalizeKeys(f Family, keys []string) ([]string, error) {
	var set map[string]bool
	var list string
	switch f {
	case FamilyGXP:
		set, list = gxpKeys, gxpKeyList
	case FamilyDP:
		set, list = dpKeys, dpKeyList
	default:
		return nil, fmt.Errorf("gsapi: unknown family %v: %w", f, ErrInvalidArgument)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("gsapi: no keys to send: %w", ErrInvalidArgument)
	}
	if len(keys) > maxKeys {
		return nil, fmt.Errorf("gsapi: %d keys in one request, want at most %d: %w", len(keys), maxKeys, ErrInvalidArgument)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		u := strings.ToUpper(strings.TrimSpace(k))
		if u == "FLASH" {
			return nil, fmt.Errorf("gsapi: %w: %w", errFlash, ErrInvalidArgument)
		}
		if !set[u] {
			return nil, fmt.Errorf("gsapi: key %q is not a %s key; valid keys are %s: %w", truncateText(k), f, list, ErrInvalidArgument)
		}
		if f == FamilyDP {
			switch u {
			case "#":
				u = "HASH"
			case "*":
				u = "STAR"
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// ValidWireKey reports whether key, as the phone receives it (percent
// decoded), is in family f's table. It is case-insensitive. On DP models a
// raw "#" is not valid (the guide says it must be sent as HASH); "*" and
// STAR both are. Simulators use it to answer like the phone.
func ValidWireKey(f Family, key string) bool {
	u := strings.ToUpper(key)
	switch f {
	case FamilyGXP:
		return gxpKeys[u]
	case FamilyDP:
		return u != "#" && dpKeys[u]
	}
	return false
}

// encodeKeys joins normalized keys with an unescaped ':' as the guide shows
// (keys=1:0:0:0). '#' travels as %23: a raw '#' would end the URL and start
// its fragment (grandstream-send-key-flash-thread: "# cannot be sent ... so
// %23 should be used instead of #").
func encodeKeys(keys []string) string {
	return strings.ReplaceAll(strings.Join(keys, ":"), "#", "%23")
}

// SendKeys sends api-send_key: the keys are pressed in order. hs 0 is the
// GXP form (no hs= parameter, GXP key table); hs >= 1 is the DP form for
// that handset (DP key table). Keys go through NormalizeKeys first. A key
// the phone does not accept in its state is KindRefused (body "unknown").
// Not idempotent.
func (c *Client) SendKeys(ctx context.Context, hs int, keys []string) error {
	const fn = "api-send_key"
	if hs < 0 {
		return invalid(fn, "handset %d; want 0 (GXP) or >= 1 (DP)", hs)
	}
	f := FamilyGXP
	if hs > 0 {
		f = FamilyDP
	}
	norm, err := NormalizeKeys(f, keys)
	if err != nil {
		return err
	}
	q := c.newQuery()
	if hs > 0 {
		q.int("hs", hs)
	}
	_, err = c.get(ctx, fn, q.raw("keys", encodeKeys(norm)))
	return err
}

// Keys returns every key name family f accepts in NormalizeKeys, sorted, for
// drivers that list them to apps. The caller owns the slice.
func Keys(f Family) []string {
	set := gxpKeys
	if f == FamilyDP {
		set = dpKeys
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
