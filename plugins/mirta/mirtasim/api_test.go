package mirtasim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// connected sets up 0612345678 → 101, answered 37 seconds ago.
func connected(t *testing.T) (*PBX, *clock, Channel, Channel) {
	t.Helper()
	p, clk := fixture(t)
	in, err := p.RingIn("DEVEL", "0612345678", "101")
	if err != nil {
		t.Fatal(err)
	}
	leg, err := p.Answer("DEVEL", "101")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(37 * time.Second)
	return p, clk, in, leg
}

func TestGetCurrentCalls(t *testing.T) {
	p, _, in, leg := connected(t)
	wantJSON := `{"Channel":"` + leg.Name + `","UniqueID":"` + leg.UniqueID + `","LinkedID":"` + in.UniqueID +
		`","CallerIDNum":"0612345678","CallerIDName":"","Connected Line ID":"0612345678","Connected Line ID Name":"",` +
		`"State":"Up","Direction":"IN","Context":"DEVEL","Extension":"101","OtherParty":"` + in.Name + `","Duration":"37"}`
	mustEqual(t, "json", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "101", "format", "json"), wantJSON)
	mustEqual(t, "json multiple", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "101", "format", "json", "multiple", "yes"), "["+wantJSON+"]")
	wantPlain := leg.Name + "|" + leg.UniqueID + "|" + in.UniqueID + "|0612345678||0612345678||Up|IN|37|\n"
	mustEqual(t, "plain", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "101"), wantPlain)
	mustEqual(t, "plain multiple", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "101", "multiple", "yes"), wantPlain)
	mustEqual(t, "idle", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "102", "format", "json"), "")
	mustEqual(t, "unknown", devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "999"), "")
	mustEqual(t, "missing", devel(t, p, "reqtype", "GETCURRENTCALLS"), "No phone specified")

	// Two channels: a consultation in progress shows both with multiple=yes.
	devel(t, p, "reqtype", "ATXTRANSFER", "channel", leg.Name, "dest", "102")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(devel(t, p, "reqtype", "GETCURRENTCALLS", "phone", "102", "format", "json", "multiple", "yes")), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("102 during consultation: %v %v", recs, err)
	}
	if recs[0]["State"] != "Ringing" || recs[0]["Direction"] != "IN" || recs[0]["LinkedID"] != in.UniqueID {
		t.Errorf("%v", recs[0])
	}
}

func TestChannels(t *testing.T) {
	p, _, in, leg := connected(t)
	body := devel(t, p, "reqtype", "CHANNELS", "format", "json")
	var recs []map[string]string
	if err := json.Unmarshal([]byte(body), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("%q: %v", body, err)
	}
	keys := []string{"Channel", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName", "ChannelState",
		"ChannelStateDesc", "Context", "Exten", "Priority", "Uniqueid", "Linkedid", "BridgeId", "Application", "Duration", "AccountCode"}
	if got := jsonKeys(t, body); strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Errorf("keys %v\nwant %v", got, keys)
	}
	r := recs[1]
	if r["Channel"] != leg.Name || r["ChannelState"] != "6" || r["ChannelStateDesc"] != "Up" || r["Duration"] != "00:00:37" ||
		r["Linkedid"] != in.UniqueID || r["BridgeId"] == "" || r["BridgeId"] != recs[0]["BridgeId"] {
		t.Errorf("%v", r)
	}
	want := "Channel|CallerIDNum|CallerIDName|ConnectedLineNum|ConnectedLineName|ChannelStateDesc|Context|Exten|Uniqueid|Linkedid|Duration\n" +
		in.Name + "|0612345678||101|Alice|Up|DEVEL|101|" + in.UniqueID + "|" + in.UniqueID + "|00:00:37\n" +
		leg.Name + "|0612345678||0612345678||Up|DEVEL|101|" + leg.UniqueID + "|" + in.UniqueID + "|00:00:37\n"
	mustEqual(t, "plain", devel(t, p, "reqtype", "CHANNELS"), want)
	// The admin key without tenant= sees every tenant.
	p.RingIn("OTHER", "0655", "201")
	_, body, _ = api(t, p, "key", adminKey, "reqtype", "CHANNELS")
	if strings.Count(body, "\n") != 5 {
		t.Errorf("admin CHANNELS: %q", body)
	}
	p2, _ := fixture(t)
	mustEqual(t, "none", devel(t, p2, "reqtype", "CHANNELS"), "")
}

// jsonKeys returns the keys of the first object in body, in order.
func jsonKeys(t *testing.T, body string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(strings.TrimPrefix(body, "[")))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestChannel(t *testing.T) {
	p, _, in, leg := connected(t)
	mustEqual(t, "json", devel(t, p, "reqtype", "CHANNEL", "channel", leg.Name, "format", "json"),
		`[["Channel","`+leg.Name+`"],["CallerIDNum","0612345678"],["CallerIDName",""],["ConnectedLineNum","0612345678"],`+
			`["ConnectedLineName",""],["State","Up"],["Context","DEVEL"],["Extension","101"],["Uniqueid","`+leg.UniqueID+
			`"],["Linkedid","`+in.UniqueID+`"],["Seconds","37"]]`)
	mustEqual(t, "plain", devel(t, p, "reqtype", "CHANNEL", "channel", leg.Name),
		"Channel:"+leg.Name+"|CallerIDNum:0612345678|CallerIDName:|ConnectedLineNum:0612345678|ConnectedLineName:|State:Up|Context:DEVEL|Extension:101|Uniqueid:"+
			leg.UniqueID+"|Linkedid:"+in.UniqueID+"|Seconds:37|")
	mustEqual(t, "unknown json", devel(t, p, "reqtype", "CHANNEL", "channel", "SIP/x", "format", "json"), `[["",""],["",""],["",""],["",""],["",""],["",""],["",""],["",""],["",""],["",""],["",""]]`)
	mustEqual(t, "unknown plain", devel(t, p, "reqtype", "CHANNEL"), strings.Repeat(":|", 11))
}

func TestInfoExtensions(t *testing.T) {
	p, _ := fixture(t)
	body := devel(t, p, "reqtype", "INFO", "info", "extensions", "format", "json")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(body), &recs); err != nil || len(recs) != 5 {
		t.Fatalf("%q %v", body, err)
	}
	r := recs[0]
	for k, want := range map[string]any{"ex_number": "101", "ex_name": "Alice", "ex_tech": "SIP", "st_state": "NOT_INUSE",
		"username": "101-DEVEL", "password": "sim-secret-101", "ex_lastcostalert": nil} {
		if r[k] != want {
			t.Errorf("%s = %v, want %v", k, r[k], want)
		}
	}
	for _, k := range []string{"ex_webpassword", "ex_lockpin", "ex_2fa_param1", "ex_email", "ex_token"} {
		if s, _ := r[k].(string); s == "" {
			t.Errorf("secret-like field %s is empty: the driver's dropping of it would go untested", k)
		}
	}
	if recs[4]["st_state"] != "UNAVAILABLE" {
		t.Errorf("unregistered 105: %v", recs[4]["st_state"])
	}
	mustEqual(t, "plain one", devel(t, p, "reqtype", "INFO", "info", "EXTENSIONS", "number", "102"),
		"Number|Name|Tech|State|Username|Password\n102|Bob|SIP|NOT_INUSE|102-DEVEL|sim-secret-102\n")
	mustEqual(t, "unknown", devel(t, p, "reqtype", "INFO", "info", "extensions", "number", "201"), "")
}

func TestInfoQueuesAgents(t *testing.T) {
	p, _ := fixture(t)
	mustEqual(t, "queues json", devel(t, p, "reqtype", "INFO", "info", "queues", "format", "json"), `{"281":"Support"}`)
	mustEqual(t, "queues plain", devel(t, p, "reqtype", "INFO", "info", "queues"), "281: Support|")
	mustEqual(t, "queue json", devel(t, p, "reqtype", "INFO", "info", "queue", "id", "281", "format", "json"),
		`{"id":"281","number":"600","name":"Support","strategy":"ringall","callers":"0","agents":"2","agentsfree":"2"}`)
	mustEqual(t, "queue plain", devel(t, p, "reqtype", "INFO", "info", "queue", "id", "281"),
		"Id|Number|Name|Strategy|Callers|Agents|Agentsfree\n281|600|Support|ringall|0|2|2\n")
	mustEqual(t, "queue missing", devel(t, p, "reqtype", "INFO", "info", "queue"), "No id specified")
	devel(t, p, "reqtype", "AGENT", "action", "pause", "queue", "281", "extension", "103", "pausereason", "Lunch")
	mustEqual(t, "agents json", devel(t, p, "reqtype", "INFO", "info", "agents", "queue", "281", "format", "json"),
		`{"102-DEVEL":{"0":0,"1":"available","2":"NOT_INUSE","4":"","5":"0","6":"0","7":"","8":"281","10":"102-DEVEL","11":"102-DEVEL"},`+
			`"103-DEVEL":{"0":1,"1":"paused","2":"NOT_INUSE","4":"Lunch","5":"2","6":"0","7":"","8":"281","10":"103-DEVEL","11":"103-DEVEL"}}`)
	mustEqual(t, "agents plain", devel(t, p, "reqtype", "INFO", "info", "agents"), "102-DEVEL:NOT_INUSE|103-DEVEL:NOT_INUSE|")
	mustEqual(t, "agents no queue json", devel(t, p, "reqtype", "INFO", "info", "agents", "queue", "9", "format", "json"), "null")
	mustEqual(t, "agents no queue plain", devel(t, p, "reqtype", "INFO", "info", "agents", "queue", "9"), "")
	p.SetRegistered("DEVEL", "103", false)
	mustEqual(t, "connected json", devel(t, p, "reqtype", "INFO", "info", "agentsconnected", "format", "json"), `{"102":{"281":1},"103":{"281":0}}`)
	mustEqual(t, "connected plain", devel(t, p, "reqtype", "INFO", "info", "agentsconnected"), "102:1|103:0|")
}

func TestInfoStates(t *testing.T) {
	p, _, in, leg := connected(t)
	mustEqual(t, "extstate busy json", devel(t, p, "reqtype", "INFO", "info", "EXTSTATE", "ext", "101", "format", "json"),
		`{"UniqueID":"`+leg.UniqueID+`","LinkedID":"`+in.UniqueID+`","Connected Line ID":"0612345678","Connected Line ID Name":"","Context":"DEVEL","Extension":"101","Direction":"IN","OtherParty":"`+in.Name+`"}`)
	mustEqual(t, "extstate busy plain", devel(t, p, "reqtype", "INFO", "info", "extstate", "number", "101"),
		leg.UniqueID+"|"+in.UniqueID+"|0612345678||DEVEL|101|IN|"+in.Name+"|")
	mustEqual(t, "extstate idle json", devel(t, p, "reqtype", "INFO", "info", "extstate", "ext", "102", "format", "json"),
		`{"UniqueID":"","LinkedID":"","Connected Line ID":"","Connected Line ID Name":"","Context":"","Extension":"","Direction":"","OtherParty":""}`)
	mustEqual(t, "extstate idle plain", devel(t, p, "reqtype", "INFO", "info", "extstate", "ext", "102"), "\r\n")
	mustEqual(t, "extstate unregistered json", devel(t, p, "reqtype", "INFO", "info", "extstate", "ext", "105", "format", "json"),
		`{"UniqueID":"KO","LinkedID":"Extension not registered","Connected Line ID":"","Connected Line ID Name":"","Context":"","Extension":"","Direction":"","OtherParty":""}`)
	mustEqual(t, "extstate unregistered plain", devel(t, p, "reqtype", "INFO", "info", "extstate", "ext", "105"), "KO|Extension not registered|||||||")
	mustEqual(t, "extstate unknown", devel(t, p, "reqtype", "INFO", "info", "extstate", "ext", "999"), "")
	for _, f := range []string{"json", "plain"} {
		mustEqual(t, "regstate "+f, devel(t, p, "reqtype", "INFO", "info", "regstate", "ext", "101", "format", f), "REGISTERED")
		mustEqual(t, "regstate "+f, devel(t, p, "reqtype", "INFO", "info", "regstate", "ext", "105", "format", f), "UNREGISTERED")
		mustEqual(t, "flow "+f, devel(t, p, "reqtype", "INFO", "info", "FLOW", "number", "500", "format", f), "NOT_INUSE")
	}
	mustEqual(t, "config json", devel(t, p, "reqtype", "INFO", "info", "config", "format", "json"), `{"maxchannels":"100","maxextensions":"10000","maxdids":"10"}`)
	mustEqual(t, "config plain", devel(t, p, "reqtype", "INFO", "info", "config"), "100|10000|10|0|-1|0|0|")
	mustEqual(t, "unknown info", devel(t, p, "reqtype", "INFO", "info", "nosuch"), "")
	fl, _ := p.Flows("DEVEL")
	mustEqual(t, "flow by id", devel(t, p, "reqtype", "INFO", "info", "flow", "id", itoa(fl[0].ID)), "NOT_INUSE")
}

func TestDND(t *testing.T) {
	p, _ := fixture(t)
	for _, f := range []string{"json", "plain"} {
		mustEqual(t, "get off", devel(t, p, "reqtype", "DND", "action", "get", "number", "101", "format", f), "off")
		mustEqual(t, "set on", devel(t, p, "reqtype", "DND", "action", "set", "number", "101", "value", "on", "format", f), "Success|DND set|")
		mustEqual(t, "get on", devel(t, p, "reqtype", "DND", "action", "get", "number", "101", "format", f), "on")
		mustEqual(t, "set off", devel(t, p, "reqtype", "DND", "action", "set", "number", "101", "value", "", "format", f), "Success|DND set|")
		mustEqual(t, "unknown get", devel(t, p, "reqtype", "DND", "action", "get", "number", "999", "format", f), "")
		mustEqual(t, "unknown set", devel(t, p, "reqtype", "DND", "action", "set", "number", "999", "value", "on", "format", f), "Error|Extension not found|")
	}
	mustEqual(t, "missing", devel(t, p, "reqtype", "DND", "action", "get"), "No number specified")
}

func TestBLFsAndFlows(t *testing.T) {
	p, _, _, _ := connected(t)
	body := devel(t, p, "reqtype", "BLFS")
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 6 || lines[0] != "101-DEVEL|101-DEVEL|INUSE|INUSE|2025-12-01 18:00|2025-12-01 18:00|" ||
		!strings.HasPrefix(lines[4], "105-DEVEL|105-DEVEL|UNAVAILABLE|UNAVAILABLE|") || !strings.HasPrefix(lines[5], "500-flow|500-flow|NOT_INUSE|NOT_INUSE|") {
		t.Errorf("BLFS plain %q", body)
	}
	body = devel(t, p, "reqtype", "BLFS", "format", "json")
	if !strings.HasPrefix(body, `[{"0":"101-DEVEL","st_extension":"101-DEVEL","1":"INUSE","st_state":"INUSE","2":"2025-12-01 18:00","st_timestamp":"2025-12-01 18:00"}`) {
		t.Errorf("BLFS json %q", body)
	}
	mustEqual(t, "SETFLOW", devel(t, p, "reqtype", "SETFLOW", "number", "500", "state", "INUSE", "value", "night"), "Success|Flow updated|")
	mustEqual(t, "SETFLOW bad state", devel(t, p, "reqtype", "SETFLOW", "number", "500", "state", "ASLEEP"), "Error|Invalid state|")
	mustEqual(t, "SETFLOW unknown", devel(t, p, "reqtype", "SETFLOW", "number", "510", "state", "INUSE"), "Error|Flow not found|")
	mustEqual(t, "SETFLOW missing", devel(t, p, "reqtype", "SETFLOW"), "No number specified")
	fl, _ := p.Flows("DEVEL")
	id, te := itoa(fl[0].ID), itoa(p.tenants["DEVEL"].id)
	vals := []string{id, te, "Night", "", "500", "night", "", "", "", "", "", "flow-state", "1", "", "500-flow", "INUSE", "2025-12-01 18:00", "PBX"}
	mustEqual(t, "FLOWS plain", devel(t, p, "reqtype", "FLOWS"), fetchBothLine(vals)+"\n")
	var o strings.Builder
	o.WriteString("[{")
	for i, n := range flowColumns {
		if i > 0 {
			o.WriteString(",")
		}
		o.WriteString(`"` + itoa(i) + `":"` + vals[i] + `","` + n + `":"` + vals[i] + `"`)
	}
	o.WriteString("}]")
	mustEqual(t, "FLOWS json", devel(t, p, "reqtype", "FLOWS", "format", "json"), o.String())
}

func TestQueueReqtype(t *testing.T) {
	p, _ := fixture(t)
	mustEqual(t, "list json", devel(t, p, "reqtype", "QUEUE", "action", "list", "id", "281", "format", "json"),
		`[{"extension":"102-DEVEL","number":"102","name":"Bob","type":"NF","order":"1","paused":"0","penalty":"0"},`+
			`{"extension":"103-DEVEL","number":"103","name":"Carol","type":"NF","order":"2","paused":"0","penalty":"2"}]`)
	mustEqual(t, "add", devel(t, p, "reqtype", "QUEUE", "action", "add", "number", "600", "extension", "104", "paused", "1", "penalty", "3"), "Success|Agent added|")
	mustEqual(t, "add again", devel(t, p, "reqtype", "QUEUE", "action", "add", "number", "600", "extension", "104"), "Error|Agent already in queue|")
	mustEqual(t, "list plain", devel(t, p, "reqtype", "QUEUE", "action", "list", "number", "600"),
		"Extension|Number|Name|Type|Order|Paused|Penalty\n102-DEVEL|102|Bob|NF|1|0|0\n103-DEVEL|103|Carol|NF|2|0|2\n104-DEVEL|104|Dave|NF|3|1|3\n")
	mustEqual(t, "del", devel(t, p, "reqtype", "QUEUE", "action", "del", "id", "281", "extension", "104-DEVEL"), "Success|Agent removed|")
	mustEqual(t, "del again", devel(t, p, "reqtype", "QUEUE", "action", "del", "id", "281", "extension", "104"), "Error|Agent not found|")
	mustEqual(t, "no queue", devel(t, p, "reqtype", "QUEUE", "action", "list"), "No queue (id or number) specified")
	mustEqual(t, "other's queue", devel(t, p, "reqtype", "QUEUE", "action", "list", "id", "381"), "Error|Queue not found|")
	mustEqual(t, "no extension", devel(t, p, "reqtype", "QUEUE", "action", "add", "id", "281"), "No extension specified")
}

func TestAgentReqtype(t *testing.T) {
	p, _ := fixture(t)
	mustEqual(t, "listqueues json", devel(t, p, "reqtype", "AGENT", "action", "listqueues", "extension", "103", "format", "json"),
		`[{"id":"281","number":"600","name":"Support","paused":"0","pausereason":""}]`)
	mustEqual(t, "pause", devel(t, p, "reqtype", "AGENT", "action", "pause", "queuenumber", "600", "extension", "103", "pausereason", "Breakfast"), "Success|Agent paused|")
	mustEqual(t, "listqueues plain", devel(t, p, "reqtype", "AGENT", "action", "listqueues", "extension", "103-DEVEL"),
		"Id|Number|Name|Paused|Pausereason\n281|600|Support|1|Breakfast\n")
	mustEqual(t, "non-agent", devel(t, p, "reqtype", "AGENT", "action", "listqueues", "extension", "101"), "")
	mustEqual(t, "not member", devel(t, p, "reqtype", "AGENT", "action", "pause", "queue", "281", "extension", "101"), "Error|Agent not found|")
	mustEqual(t, "no extension", devel(t, p, "reqtype", "AGENT", "action", "listqueues"), "No extension specified")
	mustEqual(t, "no queue", devel(t, p, "reqtype", "AGENT", "action", "pause", "extension", "103"), "No queue (id or number) specified")
	mustEqual(t, "del", devel(t, p, "reqtype", "AGENT", "action", "del", "queue", "ALL", "extension", "103"), "Success|Agent removed|")
	if qs, _ := p.Queues("DEVEL"); len(qs[0].Agents) != 1 {
		t.Errorf("%+v", qs)
	}
}

func TestPhonebooks(t *testing.T) {
	p, _ := fixture(t)
	pbID := itoa(p.tenants["DEVEL"].phonebooks[0].id)
	mustEqual(t, "list json", devel(t, p, "reqtype", "PHONEBOOKS", "subreqtype", "list", "format", "json"), `{"`+pbID+`":"Default"}`)
	mustEqual(t, "list plain", devel(t, p, "reqtype", "PHONEBOOKS", "subreqtype", "list"), pbID+": Default|")
	q := func(field, value, format string) string {
		return devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "query", "field", field, "value", value, "format", format)
	}
	mustEqual(t, "partial json", q("PHONE1", "%5551%", "json"),
		`[{"peid":"2","NAME":"Ann Jones","COMPANY":"Initech","PHONE1":"0655515551","PHONE2":"0201234567","EMAIL":""}]`)
	mustEqual(t, "prefix plain", q("name", "ben%", "plain"), "peid|NAME|COMPANY|PHONE1|PHONE2|EMAIL\n1|Ben Smith|Acme|0612345678||ben@example.com\n")
	mustEqual(t, "exact needs whole value", q("NAME", "Ben", "plain"), "")
	mustEqual(t, "all", itoa(strings.Count(q("NAME", "%", "plain"), "\n")), "3")
	mustEqual(t, "bad field", q("SALARY", "%", "plain"), "Error|Invalid field|")
	mustEqual(t, "unknown book", devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Secret", "subreqtype", "getall"), "Error|Phonebook not found|")
	mustEqual(t, "missing book", devel(t, p, "reqtype", "PHONEBOOK", "subreqtype", "getall"), "No phonebook specified")
	mustEqual(t, "add", devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "add", "values", `{"NAME":"Cy","PHONE1":"0611"}`), "Success|Record added|3|")
	mustEqual(t, "add many", devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "add", "values", `[{"name":"Di"},{"NAME":"Ed"}]`), "Success|Record added|4,5|")
	mustEqual(t, "add bad", devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "add", "values", `nope`), "Error|Invalid values|")
	mustEqual(t, "delete", devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "delete", "peid", "3"), "Success|Record deleted|")
	mustEqual(t, "delete again", devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "delete", "peid", "3"), "Error|Record not found|")
	getall := devel(t, p, "reqtype", "PHONEBOOK", "phonebook", "Default", "subreqtype", "getall", "format", "json")
	var recs []map[string]string
	if err := json.Unmarshal([]byte(getall), &recs); err != nil || len(recs) != 4 || recs[3]["NAME"] != "Ed" {
		t.Errorf("getall %q %v", getall, err)
	}
	if !like("0655515551", "%5551%") || like("0612", "%5551%") || !like("Ann", "a_n") || !like("", "%") || like("x", "") {
		t.Error("like")
	}
}

func TestCDRAndReboot(t *testing.T) {
	p, _, in, leg := connected(t)
	mustEqual(t, "get empty", devel(t, p, "reqtype", "CDR", "action", "get", "field", "userfield", "uniqueid", leg.UniqueID), "")
	mustEqual(t, "update", devel(t, p, "reqtype", "CDR", "action", "update", "field", "userfield", "uniqueid", leg.UniqueID, "value", "abc"), "Success|CDR updated|")
	mustEqual(t, "append", devel(t, p, "reqtype", "CDR", "action", "update", "field", "userfield", "uniqueid", leg.UniqueID, "value", ";def"), "Success|CDR updated|")
	for _, f := range []string{"json", "plain"} {
		mustEqual(t, "get "+f, devel(t, p, "reqtype", "CDR", "action", "get", "field", "userfield", "uniqueid", leg.UniqueID, "format", f), "abc;def")
	}
	mustEqual(t, "unknown", devel(t, p, "reqtype", "CDR", "action", "update", "field", "userfield", "uniqueid", "1.2", "value", "x"), "Error|CDR not found|")
	mustEqual(t, "field", devel(t, p, "reqtype", "CDR", "action", "update", "field", "src", "uniqueid", in.UniqueID, "value", "x"), "Error|Invalid field|")
	if v, ok := p.CDRUserfield("DEVEL", leg.UniqueID); !ok || v != "abc;def" {
		t.Errorf("%q %v", v, ok)
	}
	mustEqual(t, "reboot", devel(t, p, "reqtype", "REBOOT", "peer", "103-DEVEL"), "Success|Reboot requested|")
	mustEqual(t, "reboot all", devel(t, p, "reqtype", "REBOOT", "peer", "ALL"), "Success|Reboot requested|")
	mustEqual(t, "reboot unknown", devel(t, p, "reqtype", "REBOOT", "peer", "201-OTHER"), "Error|Peer not found|")
	exts, _ := p.Extensions("DEVEL")
	if exts[2].Reboots != 2 || exts[0].Reboots != 1 {
		t.Errorf("%+v", exts)
	}
}

func TestGeneralAnswers(t *testing.T) {
	p, _ := fixture(t)
	for _, tc := range []struct {
		name   string
		kv     []string
		body   string
		ctype  string
		status int
	}{
		{"bad key", []string{"key", "nope", "reqtype", "CHANNELS"}, TooBad, "text/html; charset=UTF-8", 200},
		{"bad key json", []string{"key", "nope", "reqtype", "CHANNELS", "format", "json"}, TooBad, "application/json", 200},
		{"no key", []string{"reqtype", "CHANNELS"}, TooBad, "text/html; charset=UTF-8", 200},
		{"unknown tenant", []string{"key", adminKey, "tenant", "NOPE", "reqtype", "CHANNELS"}, TooBad, "text/html; charset=UTF-8", 200},
		{"admin without tenant", []string{"key", adminKey, "reqtype", "INFO", "info", "queues"}, TooBad, "text/html; charset=UTF-8", 200},
		{"admin with tenant", []string{"key", adminKey, "tenant", "devel", "reqtype", "INFO", "info", "queues"}, "281: Support|", "text/html; charset=UTF-8", 200},
		{"unknown reqtype", []string{"key", develKey, "reqtype", "COUNTPEERS"}, "Error|Unknown request type|", "text/html; charset=UTF-8", 200},
		{"no reqtype", []string{"key", develKey}, "No reqtype specified", "text/html; charset=UTF-8", 200},
		{"jsonp", []string{"key", develKey, "reqtype", "INFO", "info", "queues", "format", "json", "callback", "cb"}, `cb({"281":"Support"})`, "application/json", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, ct := api(t, p, tc.kv...)
			if status != tc.status || body != tc.body || ct != tc.ctype {
				t.Errorf("got %d %q %q, want %d %q %q", status, body, ct, tc.status, tc.body, tc.ctype)
			}
		})
	}
}

func TestFlowWithParamAndReadOnlyError(t *testing.T) {
	p, _ := fixture(t, func(o *Options) { o.ReadOnlyError = true })
	if err := p.AddFlow("DEVEL", FlowSpec{Number: "510[on]", Name: "night-mode"}); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "setflow by bare number", devel(t, p, "reqtype", "SETFLOW", "number", "510", "state", "INUSE"), "Success|Flow updated|")
	mustEqual(t, "info flow", devel(t, p, "reqtype", "INFO", "info", "flow", "number", "510[on]"), "INUSE")
	if body := devel(t, p, "reqtype", "FLOWS"); !strings.Contains(body, "|510[on]|510[on]|||||||||||||flow-state|flow-state|1|1|[on]|[on]|510[on]-flow|510[on]-flow|INUSE|INUSE|") {
		t.Errorf("FLOWS %q", body)
	}
	_, body, _ := api(t, p, "key", develRO, "reqtype", "REBOOT", "peer", "ALL")
	mustEqual(t, "read-only opt-in", body, "Error|Read only API key|")
}
