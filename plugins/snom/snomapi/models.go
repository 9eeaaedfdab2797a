package snomapi

import (
	"fmt"
	"slices"
	"strings"
)

// Model is what this package knows of one phone model's keys. It is a plain
// value: a driver may raise PKeys for keys on expansion modules (on D7xx
// they continue the P numbering after the phone's own keys) or on pages the
// sources below do not count.
type Model struct {
	// Name is the canonical name: "D785" for D models, "snom370" for the
	// models the vendor document names.
	Name string
	// PKeys is the number of free programmable keys, P1..PKeys.
	PKeys int
	// FKeys is the number of context keys, F1..FKeys: 4, except 3 on the
	// snom 190/200 and 0 on the snom870 (document: "snom 190/200 have no
	// key F4 and snom870 no key F1-F4").
	FKeys int
	// EKeys is the number of expansion module keys, EK0..EK(EKeys-1); 0
	// where the document does not allow them ("expansion module Only for
	// snom3xx"). The document gives no EKmax; 126 (three 42-key modules)
	// is a bound, not a fact.
	EKeys int
	// Legacy marks the pre-D models the document names.
	Legacy bool
}

// ekBound is EKeys of every 3xx model (see Model.EKeys).
const ekBound = 126

// models holds every accepted model by canonical name.
//
// Legacy P-key counts are the document's ("X=15 for snom870, X=12 for
// snom320/360/370/820, X=4 for snom300"); snom190/200 have 5 (old Snom
// knowledge base, kb.snom.com EntryID=40: "X=5 for snom190/200/220").
// The document gives no count for D models. Theirs are the "function_keys"
// of the public Wazo provisioning plugins (github.com/wazo-platform/
// wazo-provd-plugins, plugins/wazo-snom/8.9.3.80/plugin-info and
// 10.1.152.12/plugin-info), the larger where the two differ, which agree
// with the Symcon Snom module (github.com/symcon/Snom, SnomDeskphone/
// deviceProperties.php: D335 32, D385 48, D735 32, D785 24). They count
// physical keys; if a model pages its keys, raise PKeys.
var models = map[string]Model{
	// Legacy models named by the document.
	"snom190": {Name: "snom190", PKeys: 5, FKeys: 3, Legacy: true},
	"snom200": {Name: "snom200", PKeys: 5, FKeys: 3, Legacy: true},
	"snom300": {Name: "snom300", PKeys: 4, FKeys: 4, EKeys: ekBound, Legacy: true},
	"snom320": {Name: "snom320", PKeys: 12, FKeys: 4, EKeys: ekBound, Legacy: true},
	"snom360": {Name: "snom360", PKeys: 12, FKeys: 4, EKeys: ekBound, Legacy: true},
	"snom370": {Name: "snom370", PKeys: 12, FKeys: 4, EKeys: ekBound, Legacy: true},
	"snom710": {Name: "snom710", PKeys: 5, FKeys: 4, Legacy: true},
	"snom720": {Name: "snom720", PKeys: 18, FKeys: 4, Legacy: true},
	"snom760": {Name: "snom760", PKeys: 16, FKeys: 4, Legacy: true},
	"snom820": {Name: "snom820", PKeys: 12, FKeys: 4, Legacy: true},
	"snom870": {Name: "snom870", PKeys: 15, FKeys: 0, Legacy: true},
	// D3xx: EK keys allowed ("Only for snom3xx").
	"D305": {Name: "D305", PKeys: 5, FKeys: 4, EKeys: ekBound},
	"D315": {Name: "D315", PKeys: 5, FKeys: 4, EKeys: ekBound},
	"D335": {Name: "D335", PKeys: 32, FKeys: 4, EKeys: ekBound},
	"D345": {Name: "D345", PKeys: 48, FKeys: 4, EKeys: ekBound},
	"D375": {Name: "D375", PKeys: 12, FKeys: 4, EKeys: ekBound},
	"D385": {Name: "D385", PKeys: 48, FKeys: 4, EKeys: ekBound},
	// D7xx.
	"D712": {Name: "D712", PKeys: 5, FKeys: 4},
	"D713": {Name: "D713", PKeys: 4, FKeys: 4},
	"D715": {Name: "D715", PKeys: 5, FKeys: 4},
	"D717": {Name: "D717", PKeys: 3, FKeys: 4},
	"D725": {Name: "D725", PKeys: 18, FKeys: 4},
	"D735": {Name: "D735", PKeys: 32, FKeys: 4},
	"D745": {Name: "D745", PKeys: 32, FKeys: 4},
	"D765": {Name: "D765", PKeys: 16, FKeys: 4},
	"D785": {Name: "D785", PKeys: 24, FKeys: 4},
}

// aliases maps the bare numbers phones send in their User-Agent
// ("snom715-SIP", "snom725-SIP" for the D715/D725, as the Wazo plugin's
// model names show) to canonical names.
var aliases = map[string]string{
	"190": "snom190", "200": "snom200", "300": "snom300", "320": "snom320",
	"360": "snom360", "370": "snom370", "710": "snom710", "720": "snom720",
	"760": "snom760", "820": "snom820", "870": "snom870",
	"715": "D715", "725": "D725",
}

// LookupModel returns the Model for a name such as "D785", "d385",
// "snomD717", "snomD717-SIP", "snom370" or "715". D8xx models are refused
// with KindUnsupported semantics (errors.Is ErrUnsupported): the document's
// first line says HTTP remote control "is not supported for D8XX". Other
// unknown names wrap ErrInvalidArgument and list the known models.
func LookupModel(name string) (Model, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	n = strings.TrimSuffix(strings.TrimPrefix(n, "SNOM"), "-SIP")
	if a, ok := aliases[n]; ok {
		return models[a], nil
	}
	if m, ok := models[n]; ok {
		return m, nil
	}
	if len(n) == 4 && n[0] == 'D' && n[1] == '8' {
		return Model{}, fmt.Errorf("snomapi: model %q: snom documents http remote control for d3xx and d7xx only, not d8xx: %w", truncateText(name), ErrUnsupported)
	}
	return Model{}, fmt.Errorf("snomapi: unknown model %q; known models are %s: %w", truncateText(name), strings.Join(ModelNames(), ", "), ErrInvalidArgument)
}

// ModelNames returns the canonical names of every known model, sorted. The
// caller owns the slice.
func ModelNames() []string {
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// CheckKeys validates events for model m: EncodeKeys' checks, then P keys
// up to m.PKeys, F keys up to m.FKeys and EK keys below m.EKeys. Errors
// wrap ErrInvalidArgument and name the model's range.
func (m Model) CheckKeys(events []KeyEvent) error {
	if err := checkEvents(events); err != nil {
		return err
	}
	for i, ev := range events {
		prefix, n, ok := numberedKey(ev.Key)
		if !ok {
			continue
		}
		var err error
		switch {
		case prefix == "P" && n > m.PKeys:
			err = fmt.Errorf("snomapi: key event %d: %s has keys P1-P%d only", i+1, m.Name, m.PKeys)
		case prefix == "F" && m.FKeys == 0:
			err = fmt.Errorf("snomapi: key event %d: %s has no F keys", i+1, m.Name)
		case prefix == "F" && n > m.FKeys:
			err = fmt.Errorf("snomapi: key event %d: %s has keys F1-F%d only", i+1, m.Name, m.FKeys)
		case prefix == "EK" && m.EKeys == 0:
			err = fmt.Errorf("snomapi: key event %d: %s takes no EK keys (the document allows expansion module keys on snom3xx only)", i+1, m.Name)
		case prefix == "EK" && n >= m.EKeys:
			err = fmt.Errorf("snomapi: key event %d: %s has keys EK0-EK%d only", i+1, m.Name, m.EKeys-1)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrInvalidArgument)
		}
	}
	return nil
}
