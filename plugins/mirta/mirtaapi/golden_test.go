package mirtaapi

// Golden answers: the example bodies of the issue-13 facts file (the shapes the
// simulator implements), one per reqtype and format. Published/observed
// shapes carry their source; the rest are the modelled shapes.

const (
	// Published: https://www.mirtapbx.com/manual/index.php?title=Proxyapi (DIAL).
	goldenDial = "Success|Originate successfully queued|15a4cfe6429054|"
	// Observed: DOCS_AUDIT.md A-48.
	goldenBadKey = "Too bad... you mistaken the security api key."
	// Observed: A-69.
	goldenWrongTenant = "Wrong or missing tenant"
	// Observed: A-60.
	goldenNoID = "No id specified"
	// Modelled failure line.
	goldenActionError = "Error|Channel not found|"

	// Observed shape: A-40, A-51 (values ours; secret fields present on purpose).
	goldenExtensionsJSON = `[{"ex_id":"3272","ex_te_id":"12","ex_number":"201","ex_name":"Reception","ex_tech":"SIP",
 "st_state":"NOT_INUSE","username":"201-DEVEL","password":"s3cretSIP","ex_webpassword":"9f86d0818884",
 "ex_lockpin":"1234","ex_2fa_param1":"totpseed","ex_token":"tok123","ex_email":"r@example.com",
 "ex_lastcostalert":null,"ex_lastofflinealert":null},
 {"ex_id":155450,"ex_number":300,"ex_name":"Support","ex_tech":"PJSIP","st_state":"UNAVAILABLE","username":"300-DEVEL","password":""}]`
	goldenExtensionsPlain = "Number|Name|Tech|State|Username|Password\n" +
		"201|Reception|SIP|NOT_INUSE|201-DEVEL|s3cretSIP\n" +
		"300|Support|PJSIP|UNAVAILABLE|300-DEVEL|\n"
	// Observed older capture (source-docs/observed/info-extensions.json): keyed by ex_id.
	goldenExtensionsKeyed = `{"3272":{"ex_id":"3272","ex_name":"Reception","ex_number":"201"},"155450":{"ex_id":"155450","ex_name":"Support","ex_number":"300"}}`

	// Observed shape: A-56.
	goldenQueuesJSON  = `{"281":"Support","282":"Sales, EMEA"}`
	goldenQueuesPlain = "281: Support|282: Sales, EMEA|"

	// Published keys: extension-state page; observed: A-62.
	goldenExtStateJSON = `{"UniqueID":"1764612000.42","LinkedID":"1764612000.41","Connected Line ID":"0612345678",
 "Connected Line ID Name":"Bob","Context":"DEVEL","Extension":"0612345678","Direction":"IN",
 "OtherParty":"SIP/trunk-0000002b"}`
	goldenExtStatePlain       = "1764612000.42|1764612000.41|0612345678|Bob|DEVEL|0612345678|IN|SIP/trunk-0000002b|"
	goldenExtStateIdlePlain   = "\r\n"
	goldenExtStateIdleJSON    = `{"UniqueID":"","LinkedID":"","Connected Line ID":"","Connected Line ID Name":"","Context":"","Extension":"","Direction":"","OtherParty":""}`
	goldenExtStateUnregJSON   = `{"UniqueID":"KO","LinkedID":"Extension not registered","Connected Line ID":"","Connected Line ID Name":"","Context":"","Extension":"","Direction":"","OtherParty":""}`
	goldenExtStateUnregPlain  = "KO|Extension not registered|||||||"
	goldenRegStateRegistered  = "REGISTERED"
	goldenRegStateUnreg       = "UNREGISTERED"
	goldenRegStateJSONString  = `"REGISTERED"`
	goldenRegStateJSONObject  = `{"regstate":"UNREGISTERED"}`
	goldenDNDOn               = "on"
	goldenDNDOff              = "off"
	goldenFlowState           = "UNAVAILABLE"
	goldenSuccessPlain        = "Success|DND set|"
	goldenSuccessJSONTolerant = `{"result":"Success","message":"Originate successfully queued","id":"15a4cfe6429054"}`

	// Observed: A-72.
	goldenBLFsJSON = `[{"0":"103-DEVEL","st_extension":"103-DEVEL","1":"NOT_INUSE","st_state":"NOT_INUSE","2":"2026-12-01 10:00","st_timestamp":"2026-12-01 10:00"},
 {"0":"500[on]-flow","st_extension":"500[on]-flow","1":"INUSE","st_state":"INUSE","2":"2026-12-01 09:00","st_timestamp":"2026-12-01 09:00"}]`
	goldenBLFsPlain = "103-DEVEL|103-DEVEL|NOT_INUSE|NOT_INUSE|2026-12-01 10:00|2026-12-01 10:00|\n" +
		"500[on]-flow|500[on]-flow|INUSE|INUSE|2026-12-01 09:00|2026-12-01 09:00|\n"

	// Modelled (AMI CoreShowChannels names).
	goldenChannelsJSON = `[{"Channel":"SIP/103-DEVEL-0000002a","CallerIDNum":"103","CallerIDName":"Alice",
 "ConnectedLineNum":"0612345678","ConnectedLineName":"Bob","ChannelState":"6",
 "ChannelStateDesc":"Up","Context":"DEVEL","Exten":"0612345678","Priority":"1",
 "Uniqueid":"1764612000.42","Linkedid":"1764612000.41","BridgeId":"","Application":"Dial",
 "Duration":"00:00:37","AccountCode":""}]`
	goldenChannelsPlain = "Channel|CallerIDNum|CallerIDName|ConnectedLineNum|ConnectedLineName|ChannelStateDesc|Context|Exten|Uniqueid|Linkedid|Duration\n" +
		"SIP/103-DEVEL-0000002a|103|Alice|0612345678|Bob|Up|DEVEL|0612345678|1764612000.42|1764612000.41|00:00:37\n"

	// Observed shape A-69 (pairs), modelled names.
	goldenChannelJSON = `[["Channel","SIP/103-DEVEL-0000002a"],["CallerIDNum","103"],["CallerIDName","Alice"],
 ["ConnectedLineNum","0612345678"],["ConnectedLineName","Bob"],["State","Up"],
 ["Context","DEVEL"],["Extension","0612345678"],["Uniqueid","1764612000.42"],
 ["Linkedid","1764612000.41"],["Seconds","37"]]`
	goldenChannelPlain = "Channel:SIP/103-DEVEL-0000002a|CallerIDNum:103|CallerIDName:Alice|ConnectedLineNum:0612345678|ConnectedLineName:Bob|State:Up|Context:DEVEL|Extension:0612345678|Uniqueid:1764612000.42|Linkedid:1764612000.41|Seconds:37|"

	// Modelled.
	goldenCurrentCallsJSON = `[{"Channel":"SIP/103-DEVEL-0000002a","UniqueID":"1764612000.42","LinkedID":"1764612000.41",
  "CallerIDNum":"103","CallerIDName":"Alice","Connected Line ID":"0612345678",
  "Connected Line ID Name":"Bob","State":"Up","Direction":"OUT","Context":"DEVEL",
  "Extension":"0612345678","OtherParty":"SIP/trunk-0000002b","Duration":"37"}]`
	goldenCurrentCallJSONSingle = `{"Channel":"SIP/103-DEVEL-0000002a","UniqueID":"1764612000.42","LinkedID":"1764612000.41","CallerIDNum":"103","CallerIDName":"Alice","Connected Line ID":"0612345678","Connected Line ID Name":"Bob","State":"Up","Direction":"OUT","Duration":37}`
	goldenCurrentCallsPlain     = "SIP/103-DEVEL-0000002a|1764612000.42|1764612000.41|103|Alice|0612345678|Bob|Up|OUT|37|\n"

	// Observed: A-43, A-52 (0 is a JSON number).
	goldenAgentsJSON  = `{"104-DEVEL":{"0":0,"1":"available","2":"NOT_INUSE","4":"","5":"","6":"","7":"","8":"","10":"104-DEVEL","11":"104-DEVEL"},"105-DEVEL":{"0":"1","1":"paused","2":"INUSE","4":"Lunch","5":"","6":"","7":"","8":"","10":"105-DEVEL","11":"105-DEVEL"}}`
	goldenAgentsPlain = "104-DEVEL:NOT_INUSE|105-DEVEL:INUSE|"

	// Observed shape: A-57.
	goldenAgentsConnectedJSON  = `{"104":{"281":1},"105":{"281":0,"282":1}}`
	goldenAgentsConnectedPlain = "104:1|105:0|"

	// Modelled.
	goldenQueueCallersJSON  = `[{"Position":"1","CallerIDNum":"0612345678","CallerIDName":"Bob","Wait":"12","Channel":"SIP/trunk-0000002b","Uniqueid":"1764612000.43"}]`
	goldenQueueCallersPlain = "Position|CallerIDNum|CallerIDName|Wait|Channel|Uniqueid\n1|0612345678|Bob|12|SIP/trunk-0000002b|1764612000.43\n"

	// Observed: A-73.
	goldenFlowsJSON = `[{"0":"12","fl_id":"12","1":"500","fl_te_id":"500","2":"night-mode","fl_name":"night-mode","3":"Night mode toggle","fl_comment":"Night mode toggle",
 "4":"500[on]","fl_number":"500[on]","5":"","fl_value":"","6":"","fl_value_for_unavailable":"","7":"","fl_value_for_inuse":"",
 "8":"","fl_value_for_notinuse":"","9":"","fl_value_for_ringing":"","10":"","fl_variable_name":"","11":"flow-state","fl_monitor_type":"flow-state",
 "12":"1","fl_monitor_type_id":"1","13":"[on]","fl_monitor_parameter":"[on]","14":"500[on]-flow","st_extension":"500[on]-flow",
 "15":"NOT_INUSE","st_state":"NOT_INUSE","16":"2026-01-15 09:30","st_timestamp":"2026-01-15 09:30","17":"PBX","st_peername":"PBX"}]`
	goldenFlowsPlain = "12|12|500|500|night-mode|night-mode|Night mode toggle|Night mode toggle|500[on]|500[on]|||||||||||||flow-state|flow-state|1|1|[on]|[on]|500[on]-flow|500[on]-flow|NOT_INUSE|NOT_INUSE|2026-01-15 09:30|2026-01-15 09:30|PBX|PBX|\n"

	// Modelled.
	goldenQueueAgentsJSON  = `[{"extension":"104-DEVEL","number":"104","name":"Alice","type":"NF","order":"1","paused":"0","penalty":"0"},{"extension":"105-DEVEL","number":105,"name":"Carol","type":"AD","order":2,"paused":1,"penalty":3}]`
	goldenQueueAgentsPlain = "Extension|Number|Name|Type|Order|Paused|Penalty\n104-DEVEL|104|Alice|NF|1|0|0\n105-DEVEL|105|Carol|AD|2|1|3\n"

	goldenAgentQueuesJSON  = `[{"id":"281","number":"9200","name":"Support","paused":"0","pausereason":""},{"id":"282","number":"9201","name":"Sales","paused":"1","pausereason":"Lunch"}]`
	goldenAgentQueuesPlain = "Id|Number|Name|Paused|Pausereason\n281|9200|Support|0|\n282|9201|Sales|1|Lunch\n"

	goldenPhonebooksJSON  = `{"1":"Default","2":"Suppliers"}`
	goldenPhonebooksPlain = "1: Default|2: Suppliers|"

	// Published field names NAME/PHONE1 and peid (LEGACY); rest modelled.
	goldenContactsJSON  = `[{"peid":"17","NAME":"Ben Smith","COMPANY":"Acme","PHONE1":"0612345678","PHONE2":"","EMAIL":"ben@example.com","PIN":"9999"}]`
	goldenContactsPlain = "peid|NAME|COMPANY|PHONE1|PHONE2|EMAIL\n17|Ben Smith|Acme|0612345678||ben@example.com\n"
)
