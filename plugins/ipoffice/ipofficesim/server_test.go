package ipofficesim

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

var framings = []mtcti.Framing{mtcti.Framed, mtcti.NoFraming}

func TestAuthRefusedWith401(t *testing.T) {
	srv, addr := testServer(t, nil)
	for _, o := range []dialOpts{
		{user: DefaultUsername, pass: "wrong"},
		{user: "nobody", pass: DefaultPassword},
	} {
		_, resp, err := rawDial(srv, addr, o)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%+v: err %v, resp %v; want 401", o, err, resp)
		}
		if resp.Header.Get("Server") != ServerHeader {
			t.Errorf("Server header %q", resp.Header.Get("Server"))
		}
	}
	srv.RefuseLogin(true)
	if _, resp, err := rawDial(srv, addr, dialOpts{}); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("RefuseLogin: err %v resp %v", err, resp)
	}
	srv.RefuseLogin(false)
	ws, _, err := rawDial(srv, addr, dialOpts{})
	if err != nil {
		t.Fatalf("after RefuseLogin(false): %v", err)
	}
	ws.CloseNow()
}

func TestUpgradeEchoesSubprotocolBothFramings(t *testing.T) {
	srv, addr := testServer(t, nil)
	for _, f := range framings {
		ws, resp, err := rawDial(srv, addr, dialOpts{framing: f}) // Go sends a Host header: accepted
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Protocol") != mtcti.Subprotocol ||
			ws.Subprotocol() != mtcti.Subprotocol || resp.Header.Get("Server") != ServerHeader {
			t.Errorf("%s: status %d, headers %v", f, resp.StatusCode, resp.Header)
		}
		ws.CloseNow()
	}
	if _, resp, err := rawDial(srv, addr, dialOpts{noProto: true}); err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("without subprotocol: err %v, resp %v; want 400", err, resp)
	}
}

func TestCertificatePinning(t *testing.T) {
	srv, addr := testServer(t, nil)
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	if sha256.Sum256(leaf.Raw) != srv.CertSHA256() {
		t.Fatal("CertSHA256 does not match the served certificate")
	}
	if !bytes.Contains(srv.CertPEM(), []byte("BEGIN CERTIFICATE")) || len(srv.CertFingerprint()) != 95 {
		t.Fatalf("PEM or fingerprint malformed: %s", srv.CertFingerprint())
	}
}

func TestGetVersionInfo(t *testing.T) {
	srv, addr := testServer(t, func(o *Options) { o.Version = "IP Office 12.1.0.0 build 7" })
	for _, f := range framings {
		c := dialClient(t, srv, addr, f)
		c.send(&mtcti.Message{Payload: &mtcti.Message_Generalcmd{Generalcmd: &mtcti.GeneralCmd{Requestid: 3000, Payload: &mtcti.GeneralCmd_Getversioninfo{Getversioninfo: true}}}})
		r := c.take("response", isResponse(3000)).GetResponse()
		if r.Result != 0 {
			t.Errorf("%s: result %d", f, r.Result)
		}
		gd := c.take("generaldata", func(m *mtcti.Message) bool { return m.GetGeneraldata() != nil }).GetGeneraldata()
		if gd.Responseid != 3000 || gd.GetVersioninfo() != "IP Office 12.1.0.0 build 7" {
			t.Errorf("%s: %v", f, gd)
		}
	}
}

func TestGarbageFromClientAnswersUnpackError(t *testing.T) {
	srv, addr := testServer(t, nil)
	for _, f := range framings {
		c := dialClient(t, srv, addr, f)
		frames := [][]byte{{0, 0, 0, 1, 0x0a, 0x7f}, {0x0a, 0x7f}, {0, 0}, {0xff, 0xff, 0xff}}
		for _, b := range frames {
			c.sendRaw(b)
			r := c.take("unpack error", isResponse(0)).GetResponse()
			if r.Result != mtcti.ResultUnpackErr {
				t.Fatalf("%s % x: %v", f, b, r)
			}
		}
		// A frame with no payload at all (an unknown field only).
		b, _ := mtcti.Encode(f, &mtcti.Message{})
		c.sendRaw(append(b, 0xf8, 0x07, 0x01)) // field 127, varint 1
		if r := c.take("unpack error", isResponse(0)).GetResponse(); r.Result != mtcti.ResultUnpackErr {
			t.Fatalf("%s unknown payload: %v", f, r)
		}
		c.sync() // still usable
	}
}

func TestSendGarbageReachesClients(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.sync()
	srv.SendGarbage()
	c.until("garbage frame", func() bool { return len(c.bad) == 1 })
	if _, err := mtcti.Decode(mtcti.Framed, c.bad[0]); err == nil {
		t.Fatal("garbage decoded")
	}
	c.sync()
}

func TestOversizedFrameCloses1009(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.NoFraming)
	c.sendRaw(make([]byte, mtcti.MaxFrameSize+1))
	if err := c.closeErr(); !isCloseStatus(err, websocket.StatusMessageTooBig) {
		t.Fatalf("close: %v, want 1009", err)
	}
}

func TestEleventhConnectionRefused(t *testing.T) {
	srv, addr := testServer(t, nil)
	var conns []*websocket.Conn
	for i := range 10 {
		ws, _, err := rawDial(srv, addr, dialOpts{framing: framings[i%2]})
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		conns = append(conns, ws)
	}
	_, resp, err := rawDial(srv, addr, dialOpts{})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("11th: err %v resp %v; want 503", err, resp)
	}
	conns[0].Close(websocket.StatusNormalClosure, "")
	eventually(t, "a connection to go", func() bool { return srv.Connections() == 9 })
	ws, _, err := rawDial(srv, addr, dialOpts{})
	if err != nil {
		t.Fatalf("after one left: %v", err)
	}
	ws.CloseNow()
	for _, c := range conns {
		c.CloseNow()
	}
}

func TestDropConnections(t *testing.T) {
	srv, addr := testServer(t, nil)
	c := dialClient(t, srv, addr, mtcti.Framed)
	c.subscribe(&mtcti.Subscribe{SubscribeId: 1, Payload: &mtcti.Subscribe_Lines{Lines: &mtcti.SubscribeLines{Flags: 3}}})
	srv.DropConnections()
	if err := c.closeErr(); err == nil {
		t.Fatal("still connected")
	}
	eventually(t, "connections gone", func() bool { return srv.Connections() == 0 && len(srv.Subscriptions()) == 0 })
}
