package redisstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// TestCommandsPredateRedis62 watches, with MONITOR, every command the
// store sends while the Store suite and a login, logout and "log out
// everywhere" run, its scripts' commands included, and checks each
// command, and each option it passes, against the server's own command
// documentation (COMMAND DOCS, Redis 7.0 and newer): none may be newer
// than Redis 2.6.12, as the package doc says, so the store runs on 6.2,
// the oldest version it supports, although the tests run on 7.0. It also
// checks that the commands sent are exactly the doc's ACL list.
func TestCommandsPredateRedis62(t *testing.T) {
	t.Parallel()
	needBins(t, "redis-server", "redis-cli")
	srv := ownServer(t, nil)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: srv.addr, Protocol: 2})
	t.Cleanup(func() { admin.Close() })
	if err := admin.Do(ctx, "COMMAND", "DOCS", "get").Err(); err != nil {
		t.Skipf("this redis-server has no COMMAND DOCS (it is older than 7.0): %v; the suites running on it are the check", err)
	}

	mon := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.port), "monitor")
	out, err := mon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	if first := <-lines; first != "OK" {
		t.Fatalf("redis-cli monitor: %q", first)
	}

	rdb := redis.NewClient(&redis.Options{Addr: srv.addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	// Fresh scripts, so that EVAL (on NOSCRIPT) shows up too.
	if err := admin.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	t.Run("Store", func(t *testing.T) {
		sessionstest.RunStore(t, func(t *testing.T) sessions.Store {
			return redisstore.New(rdb, "itty-test:"+sessions.NewID()[:12]+":")
		})
	})
	a := sessionstest.NewLoginApp(t, redisstore.New(rdb, ""), sessions.Options{CookieName: uniqueCookie("version_sid")})
	c1, c2 := a.Login(t, "ada"), a.Login(t, "ada")
	c1.PostForm("/logout", nil)
	if r := c2.PostForm("/everywhere", nil); r.Body != "1" {
		t.Fatalf("log out everywhere: %d %q", r.StatusCode, r.Body)
	}
	// A marker to know the monitor has seen everything before it.
	marker := "itty-test:end:" + sessions.NewID()
	admin.Get(ctx, marker)
	var calls [][]string
	for line := range lines {
		args := monitorArgs(line)
		if len(args) == 0 {
			continue
		}
		if len(args) == 2 && strings.EqualFold(args[0], "get") && args[1] == marker {
			break
		}
		calls = append(calls, args)
	}
	mon.Process.Kill()
	mon.Wait()

	// go-redis's connection handshake is go-redis's, not the store's: it
	// falls back on servers without HELLO and ignores CLIENT's errors.
	handshake := map[string]bool{"hello": true, "client": true, "auth": true}
	docs := map[string]*commandDoc{}
	sent := map[string]int{}
	newest, newestWhat := "0.0.0", ""
	for _, args := range calls {
		name := strings.ToLower(args[0])
		if handshake[name] || name == "script" && len(args) > 1 && strings.EqualFold(args[1], "flush") {
			continue
		}
		sent[name]++
		d := docs[name]
		if d == nil {
			d = loadCommandDoc(t, admin, name)
			docs[name] = d
		}
		check := func(what, since string) {
			if versionLess("6.2.0", since) {
				t.Errorf("%s is from Redis %s, newer than 6.2: %q", what, since, args)
			}
			if versionLess(newest, since) {
				newest, newestWhat = since, what
			}
		}
		check(strings.ToUpper(name), d.since)
		for _, arg := range args[1:] {
			if since, ok := d.tokens[strings.ToUpper(arg)]; ok {
				check(strings.ToUpper(name)+" "+strings.ToUpper(arg), since)
			}
		}
	}
	if versionLess("2.6.12", newest) {
		t.Errorf("the newest command or option the store sends, %s, is from Redis %s: the package doc says none is newer than 2.6.12", newestWhat, newest)
	}

	var names, want []string
	for name := range sent {
		names = append(names, name)
	}
	for _, c := range docCommands(t) {
		want = append(want, strings.TrimPrefix(c, "+"))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("the store sent %v; the doc's ACL list is %v", names, want)
	}
	var counts []string
	for _, name := range names {
		counts = append(counts, fmt.Sprintf("%s %d", strings.ToUpper(name), sent[name]))
	}
	t.Logf("%d commands seen: %s; the newest is %s, from Redis %s", len(calls), strings.Join(counts, ", "), newestWhat, newest)
}

// commandDoc is what COMMAND DOCS says of a command: since which version
// it exists, and since which each of its option tokens does.
type commandDoc struct {
	since  string
	tokens map[string]string
}

func loadCommandDoc(t *testing.T, admin *redis.Client, name string) *commandDoc {
	t.Helper()
	reply, err := admin.Do(context.Background(), "COMMAND", "DOCS", name).Slice()
	if err != nil || len(reply) != 2 {
		t.Fatalf("COMMAND DOCS %s: %v %v", name, reply, err)
	}
	fields := pairs(reply[1])
	d := &commandDoc{since: fmt.Sprint(fields["since"]), tokens: map[string]string{}}
	var walk func(args any, since string)
	walk = func(args any, since string) {
		list, _ := args.([]any)
		for _, a := range list {
			f := pairs(a)
			s := since
			if v, ok := f["since"]; ok && versionLess(s, fmt.Sprint(v)) {
				s = fmt.Sprint(v)
			}
			if tok, ok := f["token"]; ok {
				d.tokens[strings.ToUpper(fmt.Sprint(tok))] = s
			}
			walk(f["arguments"], s)
		}
	}
	walk(fields["arguments"], d.since)
	return d
}

// pairs turns a RESP2 list of alternating names and values into a map.
func pairs(v any) map[string]any {
	list, _ := v.([]any)
	m := map[string]any{}
	for i := 0; i+1 < len(list); i += 2 {
		m[fmt.Sprint(list[i])] = list[i+1]
	}
	return m
}

// versionLess reports whether Redis version a is before b.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// monitorArgs returns the arguments of a MONITOR line,
// `1700000000.123456 [0 127.0.0.1:5000] "SET" "k" "v"`, unquoted; nil for
// other lines.
func monitorArgs(line string) []string {
	_, rest, ok := strings.Cut(line, "] ")
	if !ok {
		return nil
	}
	var args []string
	for rest = strings.TrimSpace(rest); strings.HasPrefix(rest, `"`); rest = strings.TrimSpace(rest) {
		var b strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				if rest[i] == 'x' && i+2 < len(rest) {
					if n, err := strconv.ParseUint(rest[i+1:i+3], 16, 8); err == nil {
						b.WriteByte(byte(n))
						i += 2
						continue
					}
				}
			}
			b.WriteByte(rest[i])
		}
		args = append(args, b.String())
		if i >= len(rest) {
			break
		}
		rest = rest[i+1:]
	}
	return args
}
