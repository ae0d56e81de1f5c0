// Package docsnippets compiles the Go code of the documentation, so that a
// page cannot rot: its tests (go test ./internal/docsnippets, part of make
// test) build and vet every ```go block of README.md and of every .md file
// under docs/, pages added later included.
//
// # What a block becomes
//
//   - A block with a package clause is a complete program: it is built and
//     vetted as it is, alone in a package.
//   - Any other go block is a fragment. All the fragments of a page go into
//     one package, with the page's harness (below). A fragment that parses
//     as top-level declarations (a func, a type, a //go:embed var) is a file
//     of that package as it is. Otherwise it is statements, the body of a
//     function: one that returns *itty.Response if the statements return a
//     value (a handler's body), and nothing if they do not (main's body).
//     Variables the statements declare at their top level count as used,
//     as the code around them on the page would use them; err does not: an
//     error a fragment never checks is a mistake a reader would copy.
//   - A fragment's imports are added: each of the names in knownImports it
//     uses without declaring it (http, time, fmt, itty, sessions, …) is
//     imported. Those names mean those packages in fragments.
//   - A block under <!-- file: PATH --> (any language) is the file PATH of
//     the program the page builds: the page's .go file blocks are built and
//     vetted together as a package, and its other file blocks are also put
//     beside the fragments, where a //go:embed can find them. TestTutorial
//     goes further for docs/tutorial.md: it builds the page's files in a
//     module of their own, runs the program and uses it over HTTP, and
//     checks that they are examples/todolist's files.
//   - A go block under <!-- not compiled: REASON --> is left alone. Use it
//     sparingly (output, pseudo-code), and prefer a ```text fence.
//
// Blocks of other languages are not compiled. The marker comments go on
// the line above the fence (blank lines between are allowed).
//
// # The harnesses
//
// The context a page's fragments assume, such as the app, req or mgr its
// prose talks about, a Cart type or a checkPassword function, is declared
// in its harness: pages/NAME.go for docs/NAME.md (pages/README.go for
// README.md), a file of package snippets with the build tag docsnippets,
// which keeps it out of the repository's builds. A harness declares only
// what its page takes for granted, each with a comment saying what it
// stands for; a page with no fragments needs none. Fragments may shadow
// the harness's names, as a handler's req shadows the package-level one.
//
// # Failures
//
// The generated files carry //line comments, so the compiler and go vet
// report positions on the page. A failure names the page, the line of the
// block's opening fence and its kind, then the tool's message at its line
// on the page:
//
//	docs/sessions.md:119 (statements block): docs/sessions.md:126:5: undefined: checkPassword
//
// The packages are generated in a scratch Go workspace (the repository's
// go.work modules plus a generated module), built with GOPROXY=off. Set
// DOCSNIPPETS_DIR to a directory to keep the generated workspace there for
// a look.
package docsnippets
