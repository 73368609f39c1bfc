package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"testing"
	"time"
)

func TestNewChain(t *testing.T) {
	tpl := func(cn string, ca bool) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			BasicConstraintsValid: true, IsCA: ca}
	}
	ca := New(t, tpl("test-ca", true), nil, nil)
	leaf := New(t, tpl("leaf", false), nil, ca)
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("leaf does not verify against its CA: %v", err)
	}
	if _, err := tls.X509KeyPair(leaf.CertPEM(), leaf.KeyPEM(t)); err != nil {
		t.Errorf("PEM forms do not make a key pair: %v", err)
	}
}

func TestServer(t *testing.T) {
	srv, pool := Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }), "example.test")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.test"}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatalf("GET with the pool, as example.test: %v", err)
	}
	resp.Body.Close()
	tr2 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "other.test"}}
	defer tr2.CloseIdleConnections()
	if _, err := (&http.Client{Transport: tr2}).Get(srv.URL); err == nil {
		t.Error("a host the certificate does not name was accepted")
	}
}
