package redisstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// testPKI is a certificate authority made for one test, with a server
// certificate for 127.0.0.1 and a client certificate, all written as PEM
// files into dir.
type testPKI struct {
	caFile, certFile, keyFile string // for redis-server
	roots                     *x509.CertPool
	client                    tls.Certificate
}

func newTestPKI(t *testing.T, dir string) *testPKI {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(0)
	sign := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) *x509.Certificate {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	caKey := newKey()
	ca := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "itty test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}, nil, &caKey.PublicKey, caKey)
	srvKey := newKey()
	srv := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &srvKey.PublicKey, caKey)
	cliKey := newKey()
	cli := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "itty test client"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, &cliKey.PublicKey, caKey)

	p := &testPKI{
		caFile:   write("ca.crt", "CERTIFICATE", ca.Raw),
		certFile: write("server.crt", "CERTIFICATE", srv.Raw),
		keyFile:  write("server.key", "PRIVATE KEY", keyDER(srvKey)),
		roots:    x509.NewCertPool(),
		client:   tls.Certificate{Certificate: [][]byte{cli.Raw}, PrivateKey: cliKey},
	}
	p.roots.AddCert(ca)
	return p
}

// TestTLS runs the Store and Manager suites, and a login, logout and "log
// out everywhere", against a redis-server that speaks TLS only (no plain
// port) and asks for client certificates, with certificates the test makes.
// A client without TLS, and one without a client certificate, are refused.
func TestTLS(t *testing.T) {
	t.Parallel()
	needBins(t, "redis-server")
	pki := newTestPKI(t, t.TempDir())
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig := func(withCert bool) *tls.Config {
		c := &tls.Config{RootCAs: pki.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
		if withCert {
			c.Certificates = []tls.Certificate{pki.client}
		}
		return c
	}
	ping := func(opts *redis.Options) error {
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return rdb.Ping(ctx).Err()
	}
	srv := ownServerOn(t, port, func(s *server) error {
		return ping(&redis.Options{Addr: s.addr, TLSConfig: tlsConfig(true)})
	}, "--port", "0", "--tls-port", strconv.Itoa(port),
		"--tls-cert-file", pki.certFile, "--tls-key-file", pki.keyFile, "--tls-ca-cert-file", pki.caFile)
	addr := srv.addr

	if err := ping(&redis.Options{Addr: addr, MaxRetries: -1}); err == nil {
		t.Fatal("a plain-text client was answered on the TLS port")
	}
	if err := ping(&redis.Options{Addr: addr, TLSConfig: tlsConfig(false), MaxRetries: -1}); err == nil {
		t.Fatal("a client without a certificate was answered")
	}

	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: tlsConfig(true), ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	newStore := func(t *testing.T) sessions.Store {
		return redisstore.New(rdb, "itty-test:"+sessions.NewID()[:12]+":")
	}
	t.Run("Store", func(t *testing.T) { sessionstest.RunStore(t, newStore) })
	t.Run("Manager", func(t *testing.T) {
		sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true}, newStore)
	})
	t.Run("LoginLogout", func(t *testing.T) {
		a := sessionstest.NewLoginApp(t, redisstore.New(rdb, ""), sessions.Options{CookieName: uniqueCookie("tls_sid")})
		c1, c2, c3 := a.Login(t, "ada"), a.Login(t, "ada"), a.Login(t, "ada")
		if r := c1.PostForm("/logout", nil); r.StatusCode != 200 {
			t.Fatalf("logout: %d %q", r.StatusCode, r.Body)
		}
		if r := c2.PostForm("/everywhere", nil); r.StatusCode != 200 || r.Body != "2" {
			t.Fatalf("log out everywhere: %d %q, want \"2\"", r.StatusCode, r.Body)
		}
		for i, r := range []string{c1.Get("/whoami").Body, c2.Get("/whoami").Body, c3.Get("/whoami").Body} {
			if r != "stranger" {
				t.Fatalf("device %d after logging out: %q", i+1, r)
			}
		}
		if r := c3.PostForm("/login", url.Values{"user": {"bob"}}); r.StatusCode != 200 {
			t.Fatalf("login again: %d", r.StatusCode)
		}
		if r := c3.Get("/whoami"); r.Body != "bob" {
			t.Fatalf("whoami: %q", r.Body)
		}
	})
}
