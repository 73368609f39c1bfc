package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// fakeMySQL plays MySQL's connection phase as the protocol documents it
// (Initial Handshake v10 with mysql_native_password, the client's
// HandshakeResponse41, then an OK packet or ERR 1045 "Access denied"); it
// answers 1040 "Too many connections" for the user "busy". It counts
// commands sent after authentication other than COM_QUIT.
type fakeMySQL struct {
	users    map[string]string
	commands atomic.Int32
}

func (f *fakeMySQL) serve(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.conn(c)
		}
	}()
	return l.Addr().String()
}

func writePacket(w io.Writer, seq byte, p []byte) error {
	h := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), seq}
	_, err := w.Write(append(h, p...))
	return err
}

func readPacket(r io.Reader) ([]byte, byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, 0, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return p, h[3], err
}

// nativeScramble is mysql_native_password's answer:
// SHA1(pw) XOR SHA1(salt ‖ SHA1(SHA1(pw))).
func nativeScramble(salt []byte, pw string) []byte {
	if pw == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(pw))
	h2 := sha1.Sum(h1[:])
	h3 := sha1.Sum(append(append([]byte{}, salt...), h2[:]...))
	out := make([]byte, 20)
	for i := range out {
		out[i] = h1[i] ^ h3[i]
	}
	return out
}

func (f *fakeMySQL) conn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	salt := make([]byte, 20)
	rand.Read(salt)
	for i := range salt {
		salt[i] = salt[i]%94 + 33 // printable, never NUL
	}
	const caps = 0x00000001 | 0x00000008 | 0x00000200 | 0x00002000 | 0x00008000 | 0x00080000 // long password, with db, protocol 41, transactions, secure connection, plugin auth
	var hs bytes.Buffer
	hs.WriteByte(10)
	hs.WriteString("8.0.36-fake\x00")
	binary.Write(&hs, binary.LittleEndian, uint32(7))
	hs.Write(salt[:8])
	hs.WriteByte(0)
	binary.Write(&hs, binary.LittleEndian, uint16(caps&0xffff))
	hs.WriteByte(0xff) // utf8mb4_0900_ai_ci
	binary.Write(&hs, binary.LittleEndian, uint16(2))
	binary.Write(&hs, binary.LittleEndian, uint16(caps>>16))
	hs.WriteByte(21)
	hs.Write(make([]byte, 10))
	hs.Write(salt[8:])
	hs.WriteByte(0)
	hs.WriteString("mysql_native_password\x00")
	if writePacket(c, 0, hs.Bytes()) != nil {
		return
	}
	resp, seq, err := readPacket(c)
	if err != nil || len(resp) < 32 {
		return
	}
	rest := resp[32:] // capabilities, max packet, charset, 23 reserved bytes
	user, rest, _ := bytes.Cut(rest, []byte{0})
	var auth []byte
	if len(rest) > 0 {
		n := int(rest[0])
		if 1+n <= len(rest) {
			auth = rest[1 : 1+n]
		}
	}
	errPacket := func(code uint16, state, msg string) {
		p := []byte{0xff, byte(code), byte(code >> 8), '#'}
		p = append(append(p, state...), msg...)
		writePacket(c, seq+1, p)
	}
	switch pw, ok := f.users[string(user)]; {
	case string(user) == "busy":
		errPacket(1040, "08004", "Too many connections")
		return
	case !ok || !bytes.Equal(auth, nativeScramble(salt, pw)):
		errPacket(1045, "28000", "Access denied for user '"+string(user)+"'@'localhost' (using password: YES)")
		return
	}
	if writePacket(c, seq+1, []byte{0, 0, 0, 2, 0, 0, 0}) != nil {
		return
	}
	for {
		p, _, err := readPacket(c)
		if err != nil {
			return
		}
		if len(p) > 0 && p[0] == 0x01 { // COM_QUIT
			return
		}
		f.commands.Add(1)
	}
}

// TestMySQLDatabaseURI: a MySQL URI's password, at a server the user
// named, is live when the server lets the user in, revoked on error 1045,
// unknown on another refusal or no answer; nothing but the login is sent.
func TestMySQLDatabaseURI(t *testing.T) {
	password := "My" + "9qT4vB7xL2"
	f := &fakeMySQL{users: map[string]string{"app": password}}
	addr := f.serve(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	rules := builtinRules(t)
	cases := []struct {
		name, uri, secret, want string
	}{
		{"live", "mysql://app:" + password + "@" + addr + "/orders", password, scanner.VerifyLive},
		{"mariadb scheme", "mariadb://app:" + password + "@" + addr + "/orders", password, scanner.VerifyLive},
		{"wrong password", "mysql://app:" + password + "x@" + addr + "/orders", password + "x", scanner.VerifyRevoked},
		{"no such user", "mysql://nobody:" + password + "@" + addr + "/orders", password, scanner.VerifyRevoked},
		{"too many connections", "mysql://busy:" + password + "@" + addr + "/orders", password, scanner.VerifyUnknown},
		{"nothing listening", "mysql://app:" + password + "@" + closedAddr + "/orders", password, scanner.VerifyUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := New(Options{DBHosts: []string{addr, closedAddr}, Timeout: 3 * time.Second})
			got := v.Verify(context.Background(), Candidate{Rule: rules["mysql-uri-password"], Secret: tc.secret, Captures: map[string]string{dbURICapture: tc.uri}})
			if got.Status != tc.want {
				t.Errorf("%s (%s), want %s", got.Status, got.Reason, tc.want)
			}
		})
	}
	if n := f.commands.Load(); n != 0 {
		t.Errorf("%d commands sent after login, want none", n)
	}
}
