package mirtasim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// apiPhonebooks serves PHONEBOOKS list.
//
// Modelled (facts §23): json an object id → name, plain "<id>: <name>|"
// pairs, like INFO queues. No phone book: empty body.
func apiPhonebooks(p *PBX, s scope, q params, js bool) answer {
	if sub := strings.ToLower(q.get("subreqtype")); sub != "" && sub != "list" {
		return errLine("Unknown subreqtype")
	}
	if len(s.t.phonebooks) == 0 {
		return plain("")
	}
	if js {
		o := obj{}
		for _, pb := range s.t.phonebooks {
			o = append(o, kv{strconv.Itoa(pb.id), pb.name})
		}
		return jsonAnswer(o)
	}
	var b strings.Builder
	for _, pb := range s.t.phonebooks {
		b.WriteString(strconv.Itoa(pb.id) + ": " + pb.name + "|")
	}
	return plain(b.String())
}

// apiPhonebook serves PHONEBOOK query, getall, add, delete and cleanall.
//
// Published request ([LEGACY] https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples:
// upper-case fields NAME, PHONE1 in the add example; "%" for partial
// searches; peid "returned by search"). Answers modelled (facts §24):
// query/getall json an array of peid, NAME, COMPANY, PHONE1, PHONE2,
// EMAIL, plain header "peid|NAME|COMPANY|PHONE1|PHONE2|EMAIL" and rows;
// no match: empty body; unknown phone book "Error|Phonebook not found|".
// Modelled (nothing public): add "Success|Record added|<peid>|" (peids
// joined by "," for an array), delete "Success|Record deleted|" or
// "Error|Record not found|", cleanall "Success|Phonebook cleaned|".
func apiPhonebook(p *PBX, s scope, q params, js bool) answer {
	name := q.get("phonebook")
	if name == "" {
		return missing("phonebook")
	}
	sub := strings.ToLower(q.get("subreqtype"))
	if sub == "" {
		return missing("subreqtype")
	}
	pb := s.t.phonebook(name)
	if pb == nil && sub != "add" {
		return errLine("Phonebook not found")
	}
	switch sub {
	case "query":
		field, value := q.get("field"), q.get("value")
		if field == "" {
			return missing("field")
		}
		if value == "" {
			return missing("value")
		}
		if _, ok := (&Contact{}).field(field); !ok {
			return errLine("Invalid field")
		}
		var found []*Contact
		for _, c := range pb.contacts {
			if f, _ := c.field(field); like(*f, value) {
				found = append(found, c)
				if len(found) >= maxPhonebookResults {
					break
				}
			}
		}
		return contactsAnswer(found, js)
	case "getall":
		return contactsAnswer(pb.contacts, js)
	case "add":
		return phonebookAdd(p, s.t, name, q.get("values"))
	case "delete":
		peid := q.get("peid")
		if peid == "" {
			return missing("peid")
		}
		for i, c := range pb.contacts {
			if c.PEID == peid {
				pb.contacts = append(pb.contacts[:i], pb.contacts[i+1:]...)
				return okLine("Record deleted")
			}
		}
		return errLine("Record not found")
	case "cleanall":
		pb.contacts = nil
		return okLine("Phonebook cleaned")
	}
	return errLine("Unknown subreqtype")
}

func phonebookAdd(p *PBX, t *tenant, name, values string) answer {
	if values == "" {
		return missing("values")
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(values), &recs); err != nil {
		var one map[string]any
		if err := json.Unmarshal([]byte(values), &one); err != nil || one == nil {
			return errLine("Invalid values")
		}
		recs = []map[string]any{one}
	}
	if len(recs) == 0 || len(recs) > 1000 {
		return errLine("Invalid values")
	}
	var peids []string
	for _, r := range recs {
		var c Contact
		for k, v := range r {
			f, ok := c.field(k)
			if !ok || strings.EqualFold(k, "peid") {
				continue // modelled: unknown columns are ignored
			}
			switch v := v.(type) {
			case string:
				*f = v
			case float64:
				*f = strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
		peid, err := p.addContact(t, name, &c)
		if err != nil {
			return errLine("Phonebook full")
		}
		peids = append(peids, peid)
	}
	return okLine("Record added", strings.Join(peids, ","))
}

func contactsAnswer(cs []*Contact, js bool) answer {
	if len(cs) == 0 {
		return plain("")
	}
	rows := make([][]string, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, c.values())
	}
	if js {
		return jsonRows(contactColumns, rows)
	}
	return table(contactColumns, rows)
}

// like matches s against an SQL LIKE pattern: "%" any run, "_" one
// character, case-insensitive (MySQL's default collation).
func like(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	// Iterative wildcard match with backtracking to the last "%".
	si, pi, star, mark := 0, 0, -1, 0
	sr, pr := []rune(s), []rune(pattern)
	for si < len(sr) {
		switch {
		case pi < len(pr) && (pr[pi] == '_' || pr[pi] == sr[si]):
			si++
			pi++
		case pi < len(pr) && pr[pi] == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}

// apiCDR serves CDR update and get of the userfield by uniqueid.
//
// Published request ([LEGACY] https://manual.mirtapbx.com/books/api/page/old-proxyapi-legacy-proxy-api-reference-and-examples:
// update appends value to the field). get OBSERVED [AUDIT A-42]: the raw
// field text whatever format= says. Modelled (facts §25): "Success|CDR
// updated|", "Error|CDR not found|"; get of an unknown uniqueid: empty
// body; a field other than userfield: "Error|Invalid field|".
func apiCDR(p *PBX, s scope, q params, _ bool) answer {
	action := strings.ToLower(q.get("action"))
	if action == "" {
		return missing("action")
	}
	if action != "update" && action != "get" {
		return errLine("Unknown action")
	}
	field := q.get("field")
	if field == "" {
		return missing("field")
	}
	if !strings.EqualFold(field, "userfield") {
		return errLine("Invalid field")
	}
	uid := q.get("uniqueid")
	if uid == "" {
		return missing("uniqueid")
	}
	v, ok := s.t.cdr[uid]
	if action == "get" {
		return plain(v)
	}
	if !ok {
		return errLine("CDR not found")
	}
	add := q.get("value")
	if len(v)+len(add) > maxValueLen {
		return errLine("Value too long")
	}
	s.t.cdr[uid] = v + add
	return okLine("CDR updated")
}

// apiReboot serves REBOOT (peer= a peer name like 103-DEVEL, a number, or
// ALL). The simulator counts reboots (Extension.Reboots).
//
// Modelled (facts §26): "Success|Reboot requested|", "Error|Peer not
// found|".
func apiReboot(p *PBX, s scope, q params, _ bool) answer {
	peer := q.get("peer")
	if peer == "" {
		return missing("peer")
	}
	if strings.EqualFold(peer, "ALL") {
		for _, e := range s.t.exts {
			e.reboots++
		}
		return okLine("Reboot requested")
	}
	e := s.t.extByUser(peer)
	if e == nil {
		return errLine("Peer not found")
	}
	e.reboots++
	return okLine("Reboot requested")
}
