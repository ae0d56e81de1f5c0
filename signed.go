package itty

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
)

// CookieKey is one key for signed cookies: an HMAC-SHA256 key, and
// optionally an AES key that also encrypts the value.
type CookieKey struct {
	// Hash signs the cookie. It must be at least 32 random bytes.
	Hash []byte
	// Block, if set, encrypts the cookie with AES: 16, 24 or 32 random
	// bytes. Nil means signed but readable by the client.
	Block []byte
}

// ErrNoCookieKeys is returned by SetSignedCookie when the App has no keys:
// itty never signs with a random key it made up, which would log everyone
// out on every restart.
var ErrNoCookieKeys = errors.New("itty: no cookie keys: call App.SetCookieKeys (see CookieKeysFromEnv)")

// DefaultSignedMaxAge is how long a signed cookie's signature stays valid
// when SetSignedCookie is given neither MaxAge nor Expires: 30 days.
const DefaultSignedMaxAge = 30 * 24 * time.Hour

// NewCookieKey returns a fresh random key that signs and encrypts, for
// tests and for generating a secret to store. An app must keep its keys
// (see CookieKeysFromEnv): cookies signed with a key that is lost can no
// longer be read.
func NewCookieKey() CookieKey {
	return CookieKey{Hash: randomBytes(32), Block: randomBytes(32)}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

// String returns the key in the form CookieKeysFromEnv reads:
// base64(hash), or base64(hash):base64(block).
func (k CookieKey) String() string {
	s := base64.StdEncoding.EncodeToString(k.Hash)
	if k.Block != nil {
		s += ":" + base64.StdEncoding.EncodeToString(k.Block)
	}
	return s
}

// Validate returns an error if k cannot be used to sign cookies: Hash must
// have at least 32 bytes, and Block, if set, 16, 24 or 32 (AES-128, AES-192
// or AES-256). SetCookieKeys and CookieKeysFromEnv check every key with
// it, and so does the sessions package's cookie store. The error names the
// part at fault and its length, as in "hash key has 16 bytes, need at
// least 32", without a prefix, so that the caller can say which key of
// its list it was.
func (k CookieKey) Validate() error {
	if len(k.Hash) < 32 {
		return fmt.Errorf("hash key has %d bytes, need at least 32", len(k.Hash))
	}
	switch len(k.Block) {
	case 0, 16, 24, 32:
	default:
		return fmt.Errorf("block key has %d bytes, need 16, 24 or 32", len(k.Block))
	}
	return nil
}

// CookieKeysFromEnv reads keys from the environment variable name (such as
// ITTY_SECRET_KEY): a comma-separated list, newest first, of keys written as
// base64(hash) or base64(hash):base64(block). An unset or empty variable is
// an error, so a misconfigured deployment fails at start-up.
func CookieKeysFromEnv(name string) ([]CookieKey, error) {
	raw := strings.TrimSpace(os.Getenv(name))
	if raw == "" {
		return nil, fmt.Errorf("itty: environment variable %s is not set; generate a key with itty.NewCookieKey().String()", name)
	}
	var keys []CookieKey
	for i, part := range strings.Split(raw, ",") {
		hash, block, _ := strings.Cut(strings.TrimSpace(part), ":")
		var k CookieKey
		var err error
		if k.Hash, err = decodeKey(hash); err != nil {
			return nil, fmt.Errorf("itty: %s key %d: hash: %v", name, i, err)
		}
		if block != "" {
			if k.Block, err = decodeKey(block); err != nil {
				return nil, fmt.Errorf("itty: %s key %d: block: %v", name, i, err)
			}
		}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("itty: cookie key %d: %w", i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// SetCookieKeys sets the keys for signed cookies, newest first: new cookies
// are signed (and, if the key has a Block, encrypted) with keys[0]; cookies
// made with any of the keys are accepted. To rotate, put a new key first
// and keep the old ones until the cookies they signed have expired.
// It returns an error, and changes nothing, if a key is not valid (see
// CookieKey.Validate).
func (a *App) SetCookieKeys(keys ...CookieKey) error {
	if len(keys) == 0 {
		return errors.New("itty: SetCookieKeys needs at least one key")
	}
	codecs := make([]*securecookie.SecureCookie, len(keys))
	for i, k := range keys {
		if err := k.Validate(); err != nil {
			return fmt.Errorf("itty: cookie key %d: %w", i, err)
		}
		block := k.Block
		if len(block) == 0 {
			block = nil // signed only: securecookie would try AES with an empty key
		}
		c := securecookie.New(k.Hash, block)
		c.SetSerializer(signedSerializer{})
		c.MaxAge(0)    // expiry travels in the value; see signedSerializer
		c.MaxLength(0) // itty checks name+value against MaxCookieSize itself
		codecs[i] = c
	}
	a.codecs = codecs
	return nil
}

// SetSignedCookie sets a cookie whose value is v, signed with the App's
// newest key (and encrypted if that key has a Block) and bound to name, so
// that it cannot be changed, forged or renamed by the client. v may be a
// string, a []byte or any value encoding/json can encode.
//
// The signature expires with the cookie: at opts.MaxAge or opts.Expires,
// or after DefaultSignedMaxAge when neither is set. Errors are as for
// SetCookie, plus ErrNoCookieKeys; either way the response fails with 500.
func (a *App) SetSignedCookie(resp *Response, name string, v any, opts ...CookieOptions) error {
	o := oneOption(opts)
	if len(a.codecs) == 0 {
		resp.fail(ErrNoCookieKeys)
		return ErrNoCookieKeys
	}
	now := time.Now()
	expires := now.Add(DefaultSignedMaxAge)
	switch {
	case o.MaxAge < 0:
		expires = now
	case o.MaxAge > 0:
		expires = now.Add(o.MaxAge)
	case !o.Expires.IsZero():
		expires = o.Expires
	}
	encoded, err := a.codecs[0].Encode(name, signedValue{v: v, expires: expires.Unix()})
	if err != nil {
		err = &CookieError{Name: name, Err: err}
		resp.fail(err)
		return err
	}
	return resp.setCookie(name, encoded, o)
}

// SignedCookie decodes the named signed cookie into dst (a pointer: *string,
// *[]byte or anything encoding/json can decode into) and reports whether it
// found a valid one. A cookie that is missing, tampered with, truncated,
// expired, signed with an unknown key, signed for another name or too large
// is simply absent: SignedCookie returns false, leaves dst as it was and
// never fails the request; so is one whose value does not decode into dst.
// On true, dst holds the cookie's value, in place of what it held. If the
// request carries several cookies of that name, the first valid one wins.
func (a *App) SignedCookie(req *Request, name string, dst any) bool {
	req.COOKIES.parse()
	for _, p := range req.COOKIES.pairs {
		if p.name != name || len(name)+len(p.value) > MaxCookieSize || !canonicalBase64(p.value) {
			continue
		}
		for _, c := range a.codecs {
			if c.Decode(name, p.value, signedTarget{dst}) == nil {
				return true
			}
		}
	}
	return false
}

// canonicalBase64 reports whether s is padded URL-safe base64 whose unused
// final bits are zero. securecookie's decoder ignores those bits, so
// without this check a changed last character could decode to the same
// bytes and pass; itty accepts exactly the string it wrote.
func canonicalBase64(s string) bool {
	if len(s) == 0 || len(s)%4 != 0 {
		return false
	}
	pad := 0
	for pad < 2 && s[len(s)-1-pad] == '=' {
		pad++
	}
	if pad == 0 {
		return true
	}
	last := strings.IndexByte(base64URLAlphabet, s[len(s)-1-pad])
	if last < 0 {
		return false
	}
	if pad == 2 {
		return last&0x0f == 0
	}
	return last&0x03 == 0
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// signedValue and signedTarget carry a value and its expiry through
// securecookie to signedSerializer.
type signedValue struct {
	v       any
	expires int64
}

type signedTarget struct{ dst any }

// signedSerializer writes a kind byte, the expiry (Unix seconds, 8 bytes)
// and the value: raw bytes for strings and []byte, which is what most
// cookies hold and is several times faster than gob, JSON for the rest.
// The expiry is inside the signed, optionally encrypted, payload, so it
// matches the cookie's Max-Age and cannot be extended by the client.
type signedSerializer struct{}

const (
	kindString = 's'
	kindBytes  = 'b'
	kindJSON   = 'j'
	headerLen  = 9
)

var errSignedExpired = errors.New("itty: signed cookie expired")

func (signedSerializer) Serialize(src any) ([]byte, error) {
	sv, ok := src.(signedValue)
	if !ok {
		return nil, errors.New("itty: unexpected signed value")
	}
	var kind byte
	var data []byte
	switch v := sv.v.(type) {
	case string:
		kind, data = kindString, []byte(v)
	case []byte:
		kind, data = kindBytes, v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		kind, data = kindJSON, b
	}
	out := make([]byte, headerLen, headerLen+len(data))
	out[0] = kind
	binary.BigEndian.PutUint64(out[1:], uint64(sv.expires))
	return append(out, data...), nil
}

func (signedSerializer) Deserialize(src []byte, dst any) error {
	st, ok := dst.(signedTarget)
	if !ok || len(src) < headerLen {
		return errors.New("itty: malformed signed value")
	}
	if time.Now().Unix() >= int64(binary.BigEndian.Uint64(src[1:])) {
		return errSignedExpired
	}
	data := src[headerLen:]
	switch src[0] {
	case kindString, kindBytes:
		switch d := st.dst.(type) {
		case *string:
			*d = string(data)
		case *[]byte:
			*d = append((*d)[:0], data...)
		case *any:
			*d = string(data)
		default:
			return fmt.Errorf("itty: signed cookie holds a string, not %T", st.dst)
		}
		return nil
	case kindJSON:
		// Into a fresh value, stored only whole: json.Unmarshal fills in
		// what it can before it reports a type error, and a cookie that
		// does not decode is absent, so it must leave nothing in dst.
		rv := reflect.ValueOf(st.dst)
		if rv.Kind() != reflect.Pointer || rv.IsNil() {
			return json.Unmarshal(data, st.dst) // the error that names the mistake
		}
		fresh := reflect.New(rv.Type().Elem())
		if err := json.Unmarshal(data, fresh.Interface()); err != nil {
			return err
		}
		rv.Elem().Set(fresh.Elem())
		return nil
	}
	return errors.New("itty: unknown signed value kind")
}
