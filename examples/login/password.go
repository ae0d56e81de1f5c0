package main

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// iterations follows OWASP's 2023 advice for PBKDF2-HMAC-SHA256.
const iterations = 600_000

// hashPassword returns "pbkdf2-sha256$ITERATIONS$SALT$KEY" for password,
// with a fresh 16-byte salt.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	return formatHash(iterations, salt, derive(password, salt, iterations))
}

func derive(password string, salt []byte, iter int) []byte {
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, 32)
	if err != nil {
		panic(err) // only for invalid parameters, which are fixed here
	}
	return key
}

func formatHash(iter int, salt, key []byte) string {
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iter,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func parseHash(h string) (iter int, salt, key []byte, ok bool) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return 0, nil, nil, false
	}
	iter, err1 := strconv.Atoi(parts[1])
	salt, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	key, err3 := base64.RawStdEncoding.DecodeString(parts[3])
	return iter, salt, key, err1 == nil && err2 == nil && err3 == nil && iter >= 1 && len(key) == 32
}

func validHash(h string) bool {
	_, _, _, ok := parseHash(h)
	return ok
}

// dummyHash is checked for unknown users, so a wrong user name takes as
// long as a wrong password and does not reveal which names exist.
var dummyHash = hashPassword("no such user")

// checkPassword reports whether password is name's, in time that does not
// depend on where the guess went wrong.
func checkPassword(users map[string]string, name, password string) bool {
	h, known := users[name]
	if !known {
		h = dummyHash
	}
	iter, salt, key, ok := parseHash(h)
	if !ok {
		return false
	}
	match := subtle.ConstantTimeCompare(derive(password, salt, iter), key) == 1
	return known && match
}
