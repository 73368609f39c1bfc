// Package testcert makes the certificates tests need at run time: a
// certificate from a template, self-signed or signed by a test CA, its
// key and PEM forms, and an httptest TLS server that presents one for
// the host names a test dials. Nothing it makes is a fixture on disk. It
// is imported by tests only.
package testcert
