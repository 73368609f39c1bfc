package corpus

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Key material is derived from the corpus seed and a stable id, never from
// crypto/rand: since Go 1.26 crypto/rsa and crypto/ecdsa ignore the caller's
// random source, so keys are assembled from deterministic primes and
// scalars instead. The keys are real (they parse and validate) but must
// never be used for anything.

var rsaCache sync.Map // "seed/id/bits" -> *rsa.PrivateKey

func keyRand(seed uint64, id string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, h.Sum64()))
}

func genPrime(r *rand.Rand, bits int) *big.Int {
	two := big.NewInt(2)
	for {
		b := randBytes(r, bits/8)
		b[0] |= 0xc0
		b[len(b)-1] |= 1
		p := new(big.Int).SetBytes(b)
		for i := 0; i < 10000; i++ {
			if p.ProbablyPrime(20) {
				return p
			}
			p.Add(p, two)
		}
	}
}

// rsaKey returns the RSA key of the given size for (seed, id), building it
// once per process.
func rsaKey(seed uint64, id string, bits int) *rsa.PrivateKey {
	ck := fmt.Sprintf("%d/%s/%d", seed, id, bits)
	if k, ok := rsaCache.Load(ck); ok {
		return k.(*rsa.PrivateKey)
	}
	r := keyRand(seed, id)
	e := big.NewInt(65537)
	one := big.NewInt(1)
	for {
		p := genPrime(r, bits/2)
		q := genPrime(r, bits/2)
		if p.Cmp(q) == 0 {
			continue
		}
		if p.Cmp(q) < 0 {
			p, q = q, p
		}
		pm1 := new(big.Int).Sub(p, one)
		qm1 := new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm1, qm1)
		d := new(big.Int).ModInverse(e, phi)
		if d == nil {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != bits {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if err := k.Validate(); err != nil {
			continue
		}
		actual, _ := rsaCache.LoadOrStore(ck, k)
		return actual.(*rsa.PrivateKey)
	}
}

func ecKey(r *rand.Rand, curve elliptic.Curve) *ecdsa.PrivateKey {
	size := (curve.Params().BitSize + 7) / 8
	for {
		k, err := ecdsa.ParseRawPrivateKey(curve, randBytes(r, size))
		if err == nil {
			return k
		}
	}
}

func ed25519Key(r *rand.Rand) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(randBytes(r, ed25519.SeedSize))
}

func pemText(typ string, headers map[string]string, der []byte) string {
	return strings.TrimRight(string(pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})), "\n")
}

func pkcs1PEM(k *rsa.PrivateKey) string {
	return pemText("RSA PRIVATE KEY", nil, x509.MarshalPKCS1PrivateKey(k))
}

func sec1PEM(k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pemText("EC PRIVATE KEY", nil, der)
}

func pkcs8DER(k any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return der
}

func pkcs8PEM(k any) string { return pemText("PRIVATE KEY", nil, pkcs8DER(k)) }

func publicPEM(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return pemText("PUBLIC KEY", nil, der)
}

// pkcs8EncryptedPEM encrypts the PKCS#8 DER with PBES2 (PBKDF2-HMAC-SHA256,
// AES-256-CBC), the way `openssl pkcs8 -topk8 -v2 aes256` does.
func pkcs8EncryptedPEM(r *rand.Rand, k any, pass string) string {
	salt := randBytes(r, 16)
	iv := randBytes(r, 16)
	const iter = 2048
	key, err := pbkdf2.Key(sha256.New, pass, salt, iter, 32)
	if err != nil {
		panic(err)
	}
	ct := cbcEncrypt(key, iv, pkcs8DER(k))
	type algID struct {
		Alg    asn1.ObjectIdentifier
		Params asn1.RawValue `asn1:"optional"`
	}
	mustRaw := func(v any) asn1.RawValue {
		b, err := asn1.Marshal(v)
		if err != nil {
			panic(err)
		}
		return asn1.RawValue{FullBytes: b}
	}
	nullParam := asn1.RawValue{FullBytes: []byte{5, 0}}
	kdf := algID{
		Alg: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12},
		Params: mustRaw(struct {
			Salt []byte
			Iter int
			PRF  algID
		}{salt, iter, algID{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, nullParam}}),
	}
	enc := algID{Alg: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, Params: mustRaw(iv)}
	outer := struct {
		Alg  algID
		Data []byte
	}{
		Alg: algID{
			Alg:    asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13},
			Params: mustRaw(struct{ KDF, Enc algID }{kdf, enc}),
		},
		Data: ct,
	}
	der, err := asn1.Marshal(outer)
	if err != nil {
		panic(err)
	}
	return pemText("ENCRYPTED PRIVATE KEY", nil, der)
}

func cbcEncrypt(key, iv, plain []byte) []byte {
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(append([]byte{}, plain...), make([]byte, pad)...)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(buf, buf)
	return buf
}

// legacyEncryptedPEM writes a traditional OpenSSL encrypted PEM
// (Proc-Type: 4,ENCRYPTED; DEK-Info: AES-256-CBC) with EVP_BytesToKey(MD5).
func legacyEncryptedPEM(r *rand.Rand, typ string, der []byte, pass string) string {
	iv := randBytes(r, 16)
	var key, prev []byte
	for len(key) < 32 {
		h := md5.New()
		h.Write(prev)
		h.Write([]byte(pass))
		h.Write(iv[:8])
		prev = h.Sum(nil)
		key = append(key, prev...)
	}
	ct := cbcEncrypt(key[:32], iv, der)
	return pemText(typ, map[string]string{
		"Proc-Type": "4,ENCRYPTED",
		"DEK-Info":  "AES-256-CBC," + strings.ToUpper(fmt.Sprintf("%x", iv)),
	}, ct)
}

// SSH wire format helpers.

func sshString(b []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	return append(out, b...)
}

func sshMPInt(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return sshString(b)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

type sshKey struct {
	pub     []byte // public key wire blob
	private []byte // private fields as in the openssh-key-v1 private section, without comment
	typ     string
}

func sshEd25519(k ed25519.PrivateKey) sshKey {
	pub := k.Public().(ed25519.PublicKey)
	return sshKey{
		typ:     "ssh-ed25519",
		pub:     cat(sshString([]byte("ssh-ed25519")), sshString(pub)),
		private: cat(sshString([]byte("ssh-ed25519")), sshString(pub), sshString(k)),
	}
}

func sshECDSA(k *ecdsa.PrivateKey) sshKey {
	pk, err := k.PublicKey.Bytes()
	if err != nil {
		panic(err)
	}
	d, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return sshKey{
		typ:     "ecdsa-sha2-nistp256",
		pub:     cat(sshString([]byte("ecdsa-sha2-nistp256")), sshString([]byte("nistp256")), sshString(pk)),
		private: cat(sshString([]byte("ecdsa-sha2-nistp256")), sshString([]byte("nistp256")), sshString(pk), sshMPInt(new(big.Int).SetBytes(d))),
	}
}

func sshRSA(k *rsa.PrivateKey) sshKey {
	e := big.NewInt(int64(k.E))
	return sshKey{
		typ: "ssh-rsa",
		pub: cat(sshString([]byte("ssh-rsa")), sshMPInt(e), sshMPInt(k.N)),
		private: cat(sshString([]byte("ssh-rsa")), sshMPInt(k.N), sshMPInt(e), sshMPInt(k.D),
			sshMPInt(k.Precomputed.Qinv), sshMPInt(k.Primes[0]), sshMPInt(k.Primes[1])),
	}
}

func (k sshKey) authorizedKey(comment string) string {
	s := k.typ + " " + base64.StdEncoding.EncodeToString(k.pub)
	if comment != "" {
		s += " " + comment
	}
	return s
}

// openssh builds an "openssh-key-v1" private key file. When encrypted,
// the header names aes256-ctr/bcrypt and the private section is replaced by
// random bytes of the right length: structurally an encrypted key, but
// decryptable by no passphrase (bcrypt_pbkdf is not in the standard library).
func (k sshKey) openssh(r *rand.Rand, comment string, encrypted bool) string {
	check := r.Uint32()
	sec := binary.BigEndian.AppendUint32(nil, check)
	sec = binary.BigEndian.AppendUint32(sec, check)
	sec = append(sec, k.private...)
	sec = append(sec, sshString([]byte(comment))...)
	block := 8
	cipherName, kdfName, kdfOpts := "none", "none", []byte{}
	if encrypted {
		block = 16
		cipherName, kdfName = "aes256-ctr", "bcrypt"
		kdfOpts = cat(sshString(randBytes(r, 16)), binary.BigEndian.AppendUint32(nil, 16))
	}
	for i := byte(1); len(sec)%block != 0; i++ {
		sec = append(sec, i)
	}
	if encrypted {
		sec = randBytes(r, len(sec))
	}
	blob := cat([]byte("openssh-key-v1\x00"),
		sshString([]byte(cipherName)), sshString([]byte(kdfName)), sshString(kdfOpts),
		binary.BigEndian.AppendUint32(nil, 1), sshString(k.pub), sshString(sec))
	enc := base64.StdEncoding.EncodeToString(blob)
	var sb strings.Builder
	sb.WriteString("-----BEGIN OPENSSH PRIVATE KEY-----\n")
	for len(enc) > 70 {
		sb.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	sb.WriteString(enc + "\n-----END OPENSSH PRIVATE KEY-----")
	return sb.String()
}

// JWKs.

func b64uInt(n *big.Int) string { return b64url(n.Bytes()) }

type jwkField struct{ k, v string }

func rsaJWK(k *rsa.PrivateKey, kid, alg string, private bool) []jwkField {
	f := []jwkField{{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"alg", alg},
		{"n", b64uInt(k.N)}, {"e", "AQAB"}}
	if private {
		f = append(f, jwkField{"d", b64uInt(k.D)}, jwkField{"p", b64uInt(k.Primes[0])},
			jwkField{"q", b64uInt(k.Primes[1])}, jwkField{"dp", b64uInt(k.Precomputed.Dp)},
			jwkField{"dq", b64uInt(k.Precomputed.Dq)}, jwkField{"qi", b64uInt(k.Precomputed.Qinv)})
	}
	return f
}

func ecJWK(k *ecdsa.PrivateKey, kid, alg string, private bool) []jwkField {
	pk, _ := k.PublicKey.Bytes() // 0x04 || X || Y
	size := (len(pk) - 1) / 2
	crv := map[int]string{32: "P-256", 48: "P-384", 66: "P-521"}[size]
	f := []jwkField{{"kty", "EC"}, {"kid", kid}, {"use", "sig"}, {"alg", alg}, {"crv", crv},
		{"x", b64url(pk[1 : 1+size])}, {"y", b64url(pk[1+size:])}}
	if private {
		d, _ := k.Bytes()
		f = append(f, jwkField{"d", b64url(d)})
	}
	return f
}

// renderJWK writes a JWK pretty-printed, one member per line (indent two
// spaces inside the braces), and returns the byte offset of the "d" value
// (or -1).
func renderJWK(fields []jwkField, oneLine bool) (string, int) {
	var sb strings.Builder
	off := -1
	sb.WriteString("{")
	for i, f := range fields {
		if i > 0 {
			sb.WriteString(",")
		}
		if oneLine {
			if i > 0 {
				sb.WriteString(" ")
			}
		} else {
			sb.WriteString("\n  ")
		}
		sb.WriteString(`"` + f.k + `": "`)
		if f.k == "d" {
			off = sb.Len()
		}
		sb.WriteString(f.v + `"`)
	}
	if !oneLine {
		sb.WriteString("\n")
	}
	sb.WriteString("}")
	return sb.String(), off
}

// Certificates (bait: public material).

func selfSignedPEM(r *rand.Rand, signer any, pub any, cn string) string {
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(randBytes(r, 16)),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Example Health Systems"}},
		NotBefore:             time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{cn},
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, pub, signer)
	if err != nil {
		panic(err)
	}
	return pemText("CERTIFICATE", nil, der)
}

func x25519Pair(r *rand.Rand) (priv, pub []byte) {
	k, err := ecdh.X25519().NewPrivateKey(randBytes(r, 32))
	if err != nil {
		panic(err)
	}
	return k.Bytes(), k.PublicKey().Bytes()
}
