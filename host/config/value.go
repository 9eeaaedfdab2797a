package config

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// bodyRules says how checkBody treats one block body.
type bodyRules struct {
	object string    // names the block in messages: `device "hq/reception"`
	owner  string    // who declared attrs: a driver name or "ctihost"
	at     hcl.Range // where a missing attribute is reported: the block header
	attrs  []*ctiv1.ConfigAttribute
	// others are attribute names handled by another pass; they are neither
	// checked nor reported as unknown.
	others []string
	// anyAttr skips the unknown-attribute check (the schema is not known yet).
	anyAttr bool
	// blocks are the nested block types the caller decodes itself; anyBlock
	// skips the unknown-block check.
	blocks   []string
	anyBlock bool
}

// setting is one checked attribute value, as text (see ConfigType).
type setting struct {
	text   string
	rng    hcl.Range // the value's expression, or the block header for a default
	given  bool      // written in the file, not a default
	secret bool      // declared secret, or read by env() or file(): redact it
}

// shown is the setting's value for a message: quoted and cut short, or
// only "a value read by env() or file()" for a secret, which never shows.
func (v setting) shown() string {
	if v.secret {
		return "a value read by env() or file()"
	}
	text := v.text
	if len(text) > 64 {
		text = text[:61] + "..."
	}
	return fmt.Sprintf("%q", text)
}

// checkBody evaluates and checks body against rules and returns the values of
// the declared attributes that are present or have a default. Every problem
// is reported on s; an attribute with a problem is left out of the result.
func (c *Config) checkBody(s *sink, body *hclsyntax.Body, r bodyRules) map[string]setting {
	out := map[string]setting{}
	var present hclsyntax.Attributes
	if body != nil {
		present = body.Attributes
		c.checkUnknown(s, body, r)
	}
	for _, a := range r.attrs {
		if slices.Contains(r.others, a.GetName()) {
			continue
		}
		attr, ok := present[a.GetName()]
		if !ok {
			if a.GetRequired() {
				s.errorf(r.at, a.GetName(), describe(r.owner, a), "%s: missing required attribute %q", r.object, a.GetName())
			} else if a.GetDefaultValue() != "" {
				out[a.GetName()] = setting{text: a.GetDefaultValue(), rng: r.at, secret: a.GetSecret()}
			}
			continue
		}
		// A value read by env() or file() is whatever the host can read (its
		// environment, /etc/passwd, a key), so it is handled as a secret even
		// where the driver did not declare one: never shown in a diagnostic,
		// and redacted (Instance.Secrets) wherever the host redacts secrets.
		outside := usesSecretSource(attr.Expr)
		secret := a.GetSecret() || outside
		v, ok := c.eval(s, r.object, attr, secret)
		if !ok {
			continue
		}
		if a.GetSecret() && !outside {
			s.warnf(attr.Expr.Range(), a.GetName(), "keep secrets out of the config file: the value is in it, and in every copy of it",
				"%s: secret attribute %q is written inline; use env(\"…\") or file(\"…\")", r.object, a.GetName())
		}
		if outside && !a.GetSecret() && hasControl(v) {
			// Several lines are a whole file read by mistake (or on purpose:
			// /etc/passwd), not a host name or a duration, and control
			// characters could forge lines wherever the value is written.
			// A secret setting may hold several lines (a PEM key).
			s.errorf(attr.Expr.Range(), a.GetName(), "check that the file or variable holds this setting's value alone; file() trims trailing newlines",
				"%s: attribute %q: a value read by file() or env() for a non-secret setting must be one line of text without control characters", r.object, a.GetName())
			continue
		}
		if v.IsNull() {
			if a.GetRequired() {
				s.errorf(attr.Expr.Range(), a.GetName(), describe(r.owner, a), "%s: required attribute %q is null; give it a value", r.object, a.GetName())
			} else if a.GetDefaultValue() != "" {
				out[a.GetName()] = setting{text: a.GetDefaultValue(), rng: attr.Expr.Range(), secret: a.GetSecret()}
			}
			continue
		}
		text, problem := toText(v, a)
		if problem != "" {
			s.errorf(attr.Expr.Range(), a.GetName(), describe(r.owner, a), "%s: attribute %q %s, got %s",
				r.object, a.GetName(), problem, shown(v, secret))
			continue
		}
		// A number, a duration or a boolean that passed its check reveals
		// nothing of where it was read; redacting "true" or "1s" from every
		// log line would only garble them.
		redact := a.GetSecret() || (outside && isText(a))
		out[a.GetName()] = setting{text: text, rng: attr.Expr.Range(), given: true, secret: redact}
	}
	return out
}

// checkUnknown reports attributes and blocks that rules do not declare.
func (c *Config) checkUnknown(s *sink, body *hclsyntax.Body, r bodyRules) {
	if !r.anyAttr {
		valid := append([]string(nil), r.others...)
		for _, a := range r.attrs {
			valid = append(valid, a.GetName())
		}
		for _, attr := range sortedAttrs(body) {
			if !slices.Contains(valid, attr.Name) {
				s.errorf(attr.NameRange, attr.Name, unknownHint(attr.Name, valid, "attribute"),
					"%s: unknown attribute %q", r.object, attr.Name)
			}
		}
	}
	if !r.anyBlock {
		for _, b := range body.Blocks {
			if !slices.Contains(r.blocks, b.Type) {
				s.errorf(b.TypeRange, "", unknownHint(b.Type, r.blocks, "block"),
					"%s: unknown block %q", r.object, b.Type)
			}
		}
	}
}

// sortedAttrs returns body's attributes in file order.
func sortedAttrs(body *hclsyntax.Body) []*hclsyntax.Attribute {
	if body == nil {
		return nil
	}
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// describe is the detail of a diagnostic about attribute a: who declared it
// and what it is for.
func describe(owner string, a *ctiv1.ConfigAttribute) string {
	if a.GetDescription() == "" {
		return owner + " declares no description"
	}
	return owner + ": " + strings.TrimSuffix(a.GetDescription(), ".")
}

// toText converts v to the text form of a's type and checks allowed_values.
// problem is empty on success; it never contains the value.
func toText(v cty.Value, a *ctiv1.ConfigAttribute) (text, problem string) {
	if !v.IsWhollyKnown() {
		return "", "must be a known value"
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch a.GetType() {
	case ctiv1.ConfigType_CONFIG_TYPE_INT:
		switch ty {
		case cty.Number:
			bf := v.AsBigFloat()
			if !bf.IsInt() {
				return "", "must be a whole number"
			}
			i, acc := bf.Int64()
			if acc != big.Exact {
				return "", "must be a whole number between -9223372036854775808 and 9223372036854775807"
			}
			text = strconv.FormatInt(i, 10)
		case cty.String:
			i, err := strconv.ParseInt(v.AsString(), 10, 64)
			if err != nil {
				return "", "must be a whole number, written without quotes"
			}
			text = strconv.FormatInt(i, 10)
		default:
			return "", "must be a whole number"
		}
	case ctiv1.ConfigType_CONFIG_TYPE_BOOL:
		switch {
		case ty == cty.Bool:
			text = strconv.FormatBool(v.True())
		case ty == cty.String && (v.AsString() == "true" || v.AsString() == "false"):
			text = v.AsString()
		default:
			return "", "must be true or false"
		}
	case ctiv1.ConfigType_CONFIG_TYPE_DURATION:
		if ty != cty.String {
			return "", `must be a duration string with a unit, such as "1s" or "250ms"`
		}
		text = v.AsString()
		if _, err := time.ParseDuration(text); err != nil {
			return "", `must be a duration with a unit, such as "1s" or "250ms"`
		}
	default: // STRING, and UNSPECIFIED treated as STRING
		if !ty.IsPrimitiveType() {
			return "", "must be a string"
		}
		if ty == cty.Number && !numberInRange(v.AsBigFloat()) {
			return "", "is out of range"
		}
		sv, err := convert.Convert(v, cty.String)
		if err != nil || sv.IsNull() {
			return "", "must be a string"
		}
		text = sv.AsString()
	}
	if allowed := a.GetAllowedValues(); len(allowed) > 0 && !slices.Contains(allowed, text) {
		if a.GetSecret() { // listing the allowed values of a secret would give it away
			return "", "is not one of the values the driver allows"
		}
		return "", "must be one of " + quoteList(allowed)
	}
	return text, ""
}

// isText reports whether a holds free text (a string setting), rather than
// a value its type checks.
func isText(a *ctiv1.ConfigAttribute) bool {
	switch a.GetType() {
	case ctiv1.ConfigType_CONFIG_TYPE_INT, ctiv1.ConfigType_CONFIG_TYPE_BOOL, ctiv1.ConfigType_CONFIG_TYPE_DURATION:
		return false
	}
	return true
}

// hasControl reports whether v is a string holding a newline, a tab or any
// other control character.
func hasControl(v cty.Value) bool {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return false
	}
	return strings.ContainsFunc(v.AsString(), unicode.IsControl)
}

// shown describes v for a type or range error: its type only for a secret or
// a structured value, its type and value otherwise.
func shown(v cty.Value, secret bool) string {
	v, _ = v.Unmark()
	ty := v.Type()
	if secret || !ty.IsPrimitiveType() || !v.IsKnown() {
		switch {
		case ty.IsTupleType() || ty.IsListType() || ty.IsSetType():
			return "a list"
		case ty.IsObjectType() || ty.IsMapType():
			return "an object"
		}
		return article(ty.FriendlyName())
	}
	switch ty {
	case cty.String:
		s := v.AsString()
		if len(s) > 64 {
			s = s[:61] + "..."
		}
		return fmt.Sprintf("%q", s)
	case cty.Number:
		if !numberInRange(v.AsBigFloat()) {
			return "a number out of range"
		}
		return v.AsBigFloat().Text('g', 20)
	default:
		return strconv.FormatBool(v.True())
	}
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
