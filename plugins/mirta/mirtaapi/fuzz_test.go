package mirtaapi

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ctihost/ctihost/sdk"
)

// maxFuzzBody keeps fuzz inputs in the range of real answers the client
// accepts after its size limit; parsers are linear in their input.
const maxFuzzBody = 64 << 10

// seeds are the golden answers of every reqtype in both formats, plus the
// error texts and a few edge shapes.
var seeds = []string{
	goldenDial, goldenBadKey, goldenWrongTenant, goldenNoID, goldenActionError,
	goldenExtensionsJSON, goldenExtensionsPlain, goldenExtensionsKeyed,
	goldenQueuesJSON, goldenQueuesPlain, goldenExtStateJSON, goldenExtStatePlain,
	goldenExtStateIdlePlain, goldenExtStateUnregJSON, goldenExtStateUnregPlain,
	goldenRegStateJSONObject, goldenDNDOn, goldenFlowState, goldenSuccessJSONTolerant,
	goldenBLFsJSON, goldenBLFsPlain, goldenChannelsJSON, goldenChannelsPlain,
	goldenChannelJSON, goldenChannelPlain, goldenCurrentCallsJSON, goldenCurrentCallJSONSingle,
	goldenCurrentCallsPlain, goldenAgentsJSON, goldenAgentsPlain, goldenAgentsConnectedJSON,
	goldenAgentsConnectedPlain, goldenQueueCallersJSON, goldenQueueCallersPlain,
	goldenFlowsJSON, goldenFlowsPlain, goldenQueueAgentsJSON, goldenQueueAgentsPlain,
	goldenAgentQueuesJSON, goldenAgentQueuesPlain, goldenPhonebooksJSON, goldenPhonebooksPlain,
	goldenContactsJSON, goldenContactsPlain,
	"]", "null", "", "\r\n", `[[""]]`, `{"error":{"code":"invalid_api_key"}}`, "<html>",
	strings.Repeat("[", 40), "|||", "a:b:c|",
}

// parseAll runs every parser on body; none may panic.
func parseAll(t *testing.T, body []byte) {
	_, _ = parseExtensions(body)
	_, _ = parseQueues(body)
	_, _ = parseExtState(body)
	_, _ = parseRegState(body)
	_, _, _ = parseDND(body)
	_, _ = parseBLFs(body)
	_, _ = parseChannels(body)
	_, _ = parseChannel(body)
	_, _ = parseCurrentCalls(body)
	_, _ = parseQueueAgents(body)
	_, _ = parseAgentQueues(body)
	_, _ = parseQueueCallers(body)
	_, _ = parseAgents(body)
	_, _ = parseAgentsConnected(body)
	_, _ = parseFlows(body)
	_, _ = parsePhonebooks(body)
	_, _ = parseFlowState(body)
	if cs, err := parseContacts(body); err == nil {
		for _, c := range cs {
			for k := range c.Fields {
				if isSecretField(k) || isIndex(k) {
					t.Fatalf("contact kept field %q", k)
				}
			}
		}
	}
	_, _ = parseResult(body)
	_, _, _ = jsonError(body)
	_ = classifyText(string(body))
}

// FuzzParseJSON feeds JSON-looking answers to every parser. Besides not
// panicking, a decoded tree must never hold a secret field.
func FuzzParseJSON(f *testing.F) {
	for _, s := range seeds {
		if sniff([]byte(s)) == bodyJSON {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > maxFuzzBody {
			return
		}
		if n, err := parseJSON(body); err == nil {
			var walk func(*node, int)
			walk = func(n *node, depth int) {
				if depth > maxDepth+1 {
					t.Fatal("tree deeper than maxDepth")
				}
				for i, k := range n.keys {
					if isSecretField(k) {
						t.Fatalf("secret field %q kept", k)
					}
					walk(n.vals[i], depth+1)
				}
				if n.kind == 'a' {
					for _, v := range n.vals {
						walk(v, depth+1)
					}
				}
			}
			walk(n, 0)
		}
		parseAll(t, body)
	})
}

// FuzzParsePlain feeds pipe-delimited text to every parser.
func FuzzParsePlain(f *testing.F) {
	for _, s := range seeds {
		if sniff([]byte(s)) != bodyJSON {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > maxFuzzBody {
			return
		}
		parseAll(t, []byte(body))
		if exts, err := parseExtensions([]byte(body)); err == nil {
			for _, e := range exts {
				_ = e
			}
		}
		ls := lines([]byte(body))
		for _, l := range ls {
			if strings.ContainsAny(l, "\n") {
				t.Fatalf("line with a newline: %q", l)
			}
		}
	})
}

// FuzzSanitize checks that APIError messages are bounded, printable, valid
// UTF-8 and never hold the key, whatever the PBX sends.
func FuzzSanitize(f *testing.F) {
	f.Add("Too bad... you mistaken the security api key.", testKey)
	f.Add(strings.Repeat("x", 60)+testKey, testKey)
	f.Add("key="+testKey, testKey)
	f.Fuzz(func(t *testing.T, text, key string) {
		if len(text) > maxFuzzBody || len(key) < 3 || len(key) > 64 {
			return
		}
		r := sdk.NewRedactor(key)
		m := sanitize(r, text)
		if len(m) > maxMessage || !utf8.ValidString(m) {
			t.Fatalf("sanitize gave %q", m)
		}
		if strings.Contains(m, key) && !strings.Contains(sdk.Redacted, key) && key != "***" && key != "-" {
			t.Fatalf("key %q in %q", key, m)
		}
		for _, c := range m {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control character in %q", m)
			}
		}
	})
}
