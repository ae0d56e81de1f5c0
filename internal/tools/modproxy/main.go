// Command modproxy writes a Go module proxy on the file system (the layout
// GOPROXY=file://DIR reads) holding the modules of this repository at one
// version, zipped from the working tree as `go mod download` would see a
// release of them. scripts/consumer.sh builds a consumer module against it,
// so a file left out of a zip, a placeholder version or a replace that only
// works inside the repository fails before a release does.
//
//	modproxy -out DIR -version v0.1.0 . sessions/redisstore sessions/pgstore
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	out := flag.String("out", "", "directory to write the proxy into")
	version := flag.String("version", "", "the version to give every module, such as v0.1.0")
	flag.Parse()
	if *out == "" || *version == "" || flag.NArg() == 0 {
		log.Fatal("usage: modproxy -out DIR -version vX.Y.Z MODULE_DIR...")
	}
	for _, dir := range flag.Args() {
		path, err := add(*out, *version, dir)
		if err != nil {
			log.Fatalf("modproxy: %s: %v", dir, err)
		}
		fmt.Printf("modproxy: %s@%s from %s\n", path, *version, dir)
	}
}

// add writes dir's module at version into the proxy at out and returns its
// module path.
func add(out, version, dir string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return "", err
	}
	if f.Module == nil {
		return "", errors.New("go.mod names no module")
	}
	mv := module.Version{Path: f.Module.Mod.Path, Version: version}
	if err := module.Check(mv.Path, mv.Version); err != nil {
		return "", err
	}
	esc, err := module.EscapePath(mv.Path)
	if err != nil {
		return "", err
	}
	at := filepath.Join(out, esc, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return "", err
	}
	z, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		return "", err
	}
	if err := zip.CreateFromDir(z, mv, dir); err != nil {
		z.Close()
		return "", err
	}
	if err := z.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(at, version+".mod"), gomod, 0o644); err != nil {
		return "", err
	}
	info, _ := json.Marshal(map[string]any{"Version": version, "Time": time.Now().UTC().Format(time.RFC3339)})
	if err := os.WriteFile(filepath.Join(at, version+".info"), info, 0o644); err != nil {
		return "", err
	}
	return mv.Path, os.WriteFile(filepath.Join(at, "list"), []byte(version+"\n"), 0o644)
}
