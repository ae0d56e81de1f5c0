package itty

import (
	"slices"
	"testing"
)

func TestParamTypeMatches(t *testing.T) {
	const uuid = "123e4567-e89b-12d3-a456-426614174000"
	tests := []struct {
		typ  paramType
		in   string
		want bool
	}{
		{ptInt, "42", true},
		{ptInt, "007", true},
		{ptInt, "-1", false},
		{ptInt, "4x", false},
		{ptInt, "99999999999999999999", false}, // overflows int
		{ptInt, "", false},
		{ptFloat, "2.5", true},
		{ptFloat, "3", true},
		{ptFloat, ".5", true},
		{ptFloat, ".", false},
		{ptFloat, "1.2.3", false},
		{ptFloat, "1e3", false},
		{ptUUID, uuid, true},
		{ptUUID, "123E4567-E89B-12D3-A456-426614174000", true},
		{ptUUID, "123e4567e89b12d3a456426614174000", false},
		{ptUUID, "g23e4567-e89b-12d3-a456-426614174000", false},
		{ptSlug, "hello-world_2", true},
		{ptSlug, "hello world", false},
		{ptSlug, "café", false},
		{ptStr, "café au lait", true},
		{ptStr, ".", false},
		{ptStr, "..", false},
		{ptStr, "a/b", false},
		{ptPath, "a/b/c.txt", true},
		{ptPath, "a//b", false},
		{ptPath, "a/../b", false},
		{ptPath, "", false},
	}
	for _, tt := range tests {
		if got := tt.typ.matches(tt.in); got != tt.want {
			t.Errorf("type %d matches(%q) = %v, want %v", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestParsePattern(t *testing.T) {
	segs := parsePattern("/users/<int:id>/files/<path:rest>")
	want := []segment{
		{literal: "users"},
		{typ: ptInt, param: true, name: "id"},
		{literal: "files"},
		{typ: ptPath, param: true, name: "rest"},
	}
	if !slices.Equal(segs, want) {
		t.Fatalf("parsePattern = %+v, want %+v", segs, want)
	}
	if segs := parsePattern("/files/<any:x>"); segs[1].typ != ptPath {
		t.Fatalf("<any:x>: %+v, want any to be path", segs)
	}
	if segs := parsePattern("/greet/<str:name>/"); len(segs) != 3 || segs[2] != (segment{}) {
		t.Fatalf("/greet/<str:name>/: %+v, want the trailing slash as an empty literal", segs)
	}
}
