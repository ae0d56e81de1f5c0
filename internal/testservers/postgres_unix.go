//go:build unix

package testservers

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Postgres is a PostgreSQL cluster of the tests' own: a data directory in a
// temporary directory, served by a postmaster that listens on a Unix socket
// in that directory only.
type Postgres struct {
	bin  string // the directory of initdb, pg_ctl and postgres
	dir  string // the temporary directory: socket, log, data/
	cred *syscall.Credential
	// watchdog stops the server and deletes its directory when its stdin
	// closes: at remove, or when the test binary dies without removing
	// them (a panic, a timeout, a kill), so no server outlives the tests.
	watchdog *exec.Cmd
	wdStdin  io.WriteCloser
}

// FindPostgres returns the directory holding initdb and pg_ctl: PATH's, or
// the newest of /usr/lib/postgresql/*/bin (Debian and Ubuntu keep them off
// PATH).
func FindPostgres() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(initdb), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb and pg_ctl, in PATH or /usr/lib/postgresql/*/bin)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// NewPostgres makes a cluster with initdb in a new temporary directory. Run
// as root, everything runs as the postgres user, since PostgreSQL refuses
// to run as root.
func NewPostgres(bin string) (*Postgres, error) {
	s := &Postgres{bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "pgstore-test-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if s.cred != nil {
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			s.Remove()
			return nil, err
		}
	}
	s.watchdog = exec.Command("/bin/sh", "-c", `cat >/dev/null; "$0" -D "$1" -m immediate stop >/dev/null 2>&1; rm -rf "$2"`,
		filepath.Join(bin, "pg_ctl"), s.data(), s.dir)
	s.watchdog.Dir = dir
	if s.cred != nil {
		s.watchdog.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	if s.wdStdin, err = s.watchdog.StdinPipe(); err == nil {
		err = s.watchdog.Start()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting the watchdog: %w", err)
	}
	if out, err := s.run("initdb", "-D", s.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-locale", "--no-sync", "--no-instructions"); err != nil {
		s.Remove()
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return s, nil
}

func (s *Postgres) data() string { return filepath.Join(s.dir, "data") }

// run runs one of the server's programs as the server's user.
func (s *Postgres) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=" + s.bin + ":/usr/bin:/bin", "LANG=C", "LC_ALL=C", "HOME=" + s.dir}
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

// Start starts the postmaster and waits until it accepts connections. The
// settings trade durability for speed: the data is thrown away anyway.
func (s *Postgres) Start() error {
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c full_page_writes=off", s.dir)
	out, err := s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the postmaster; mode is pg_ctl's: "fast", or "immediate" for
// a crash.
func (s *Postgres) Stop(mode string) error {
	if out, err := s.run("pg_ctl", "-D", s.data(), "-m", mode, "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Remove stops the server if it runs and deletes its directory.
func (s *Postgres) Remove() {
	s.SignalAll(syscall.SIGCONT) // a stopped server cannot shut down
	s.wdStdin.Close()
	s.watchdog.Wait()
	os.RemoveAll(s.dir)
}

// ConnString is the libpq connection string of database db.
func (s *Postgres) ConnString(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", s.dir, db)
}

// PIDs returns the postmaster's pid and its children's (the backends and
// the background processes), from /proc.
func (s *Postgres) PIDs() ([]int, error) {
	b, err := os.ReadFile(filepath.Join(s.data(), "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil, fmt.Errorf("postmaster.pid: %q", first)
	}
	pids := []int{pm}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing the server's processes needs /proc: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pm) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// SignalAll sends sig to the postmaster and its children.
func (s *Postgres) SignalAll(sig syscall.Signal) error {
	pids, err := s.PIDs()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		syscall.Kill(pid, sig)
	}
	return nil
}
