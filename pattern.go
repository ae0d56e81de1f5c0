package itty

import (
	"fmt"
	"strconv"
	"strings"
)

// paramType is the converter named in a route pattern: <type:name>.
type paramType uint8

// The order of the constants is the order in which a path segment is tried
// against parameter children: the most specific converter first, so that
// /items/<int:id> wins over /items/<str:name> for "42" and loses for "hat".
const (
	ptInt paramType = iota
	ptFloat
	ptUUID
	ptSlug
	ptStr
	numSegmentTypes // path is handled apart: it consumes the rest of the path
	ptPath          = numSegmentTypes
)

var paramTypeNames = map[string]paramType{
	"int": ptInt, "float": ptFloat, "uuid": ptUUID, "slug": ptSlug, "str": ptStr, "path": ptPath,
	"any": ptPath, // itty3's name for path
}

// matchesSegment is matches for a value already cut at '/'.
func (t paramType) matchesSegment(s string) bool {
	if t == ptStr {
		return s != "" && s != "." && s != ".."
	}
	return t.matches(s)
}

// matches reports whether one path segment (or, for path, the rest of the
// path) converts to the type. Empty values never match.
func (t paramType) matches(s string) bool {
	if s == "" {
		return false
	}
	switch t {
	case ptInt:
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				return false
			}
		}
		_, err := strconv.Atoi(s) // rejects values that overflow int
		return err == nil
	case ptFloat:
		dots := 0
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '.':
				dots++
			case !isDigit(c):
				return false
			}
		}
		if dots > 1 || s == "." {
			return false
		}
		_, err := strconv.ParseFloat(s, 64) // rejects values that overflow float64
		return err == nil
	case ptUUID:
		if len(s) != 36 {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return false
				}
			} else if !isHex(c) {
				return false
			}
		}
		return true
	case ptSlug:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
		return true
	case ptStr:
		// "." and ".." are never values: a path holding them is cleaned
		// (redirected) before it can reach a handler.
		return s != "." && s != ".." && strings.IndexByte(s, '/') < 0
	case ptPath:
		return !needsClean("/" + s)
	}
	return false
}

// segment is one parsed piece of a pattern.
type segment struct {
	literal string
	typ     paramType
	param   bool
	name    string
}

// parsePattern splits a pattern such as /greet/<str:name>/ into segments.
// It panics, naming the pattern, on anything it cannot route unambiguously.
func parsePattern(pattern string) []segment {
	if !strings.HasPrefix(pattern, "/") {
		panic(fmt.Sprintf("itty: route %q must begin with /", pattern))
	}
	parts := strings.Split(pattern[1:], "/")
	segs := make([]segment, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		open := strings.IndexByte(p, '<')
		if open < 0 {
			if strings.IndexByte(p, '>') >= 0 {
				panic(fmt.Sprintf("itty: route %q: stray '>' in segment %q", pattern, p))
			}
			if p == "." || p == ".." || (p == "" && i != len(parts)-1) {
				// Request paths with these are redirected to their clean
				// form before routing, so such a route could never match.
				panic(fmt.Sprintf("itty: route %q: empty, \".\" and \"..\" segments cannot be matched", pattern))
			}
			segs = append(segs, segment{literal: p})
			continue
		}
		if open != 0 || !strings.HasSuffix(p, ">") || strings.Count(p, "<") != 1 {
			panic(fmt.Sprintf("itty: route %q: a parameter must fill a whole path segment, got %q", pattern, p))
		}
		typName, name, ok := strings.Cut(p[1:len(p)-1], ":")
		if !ok {
			panic(fmt.Sprintf("itty: route %q: parameter %q needs a type, as in <str:%s>", pattern, p, typName))
		}
		typ, known := paramTypeNames[typName]
		if !known {
			panic(fmt.Sprintf("itty: route %q: unknown parameter type %q (want int, float, uuid, slug, str, or path or its alias any)", pattern, typName))
		}
		if !validParamName(name) {
			panic(fmt.Sprintf("itty: route %q: invalid parameter name %q", pattern, name))
		}
		if seen[name] {
			panic(fmt.Sprintf("itty: route %q: duplicate parameter name %q", pattern, name))
		}
		seen[name] = true
		if typ == ptPath && i != len(parts)-1 {
			panic(fmt.Sprintf("itty: route %q: a <path:%s> parameter must be the last segment", pattern, name))
		}
		segs = append(segs, segment{typ: typ, param: true, name: name})
	}
	return segs
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || isLetter(c) || i > 0 && isDigit(c)) {
			return false
		}
	}
	return true
}
