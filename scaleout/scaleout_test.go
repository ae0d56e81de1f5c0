package scaleout

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
	"github.com/ittygo/itty/internal/testservers"
)

// fleet is three instances of sessionapp over one store.
type fleet struct {
	bin   *exampletest.Program
	args  []string
	procs []*exampletest.Process
	urls  []string
}

func startFleet(t *testing.T, args ...string) *fleet {
	t.Helper()
	f := &fleet{bin: exampletest.Build(t, "./sessionapp"), args: args}
	for range 3 {
		p := f.bin.Start(t, args...)
		f.procs = append(f.procs, p)
		f.urls = append(f.urls, p.URL)
	}
	return f
}

// client is one browser: a cookie jar shared by every instance (cookies
// ignore ports, as browsers do), and the count it was acknowledged.
type client struct {
	http  *http.Client
	acked int
}

func newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *client) do(method, u string, form url.Values) (int, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// runScaleOut is the whole check for one store: a login on one instance
// is seen on the others and a logout on a third ends it everywhere; then
// 32 clients for LOAD_DURATION (default 20 s) over the three instances,
// one instance SIGKILLed half-way and restarted: no acknowledged write
// lost, no session back after its logout, no unexpected status.
func runScaleOut(t *testing.T, args ...string) {
	f := startFleet(t, args...)

	c := newClient()
	if st, body, err := c.do("POST", f.urls[0]+"/login", url.Values{"user": {"ada"}}); err != nil || st != 200 {
		t.Fatalf("login on instance 1: %d %q %v", st, body, err)
	}
	for i, u := range f.urls {
		if _, body, _ := c.do("GET", u+"/whoami", nil); body != "ada" {
			t.Fatalf("instance %d after a login on instance 1: %q", i+1, body)
		}
	}
	if st, _, err := c.do("POST", f.urls[2]+"/logout", url.Values{}); err != nil || st != 200 {
		t.Fatalf("logout on instance 3: %d %v", st, err)
	}
	for i, u := range f.urls {
		if _, body, _ := c.do("GET", u+"/whoami", nil); body != "stranger" {
			t.Fatalf("instance %d after a logout on instance 3: %q", i+1, body)
		}
	}

	duration := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("LOAD_DURATION")); err == nil && d > 0 {
		duration = d
	}
	const clients = 32
	var (
		requests, failedConn atomic.Int64
		mu                   sync.Mutex
		problems             []string
		statuses             = map[int]int{}
	)
	report := func(format string, a ...any) {
		mu.Lock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, a...))
		}
		mu.Unlock()
	}
	count := func(st int) {
		mu.Lock()
		statuses[st]++
		mu.Unlock()
	}
	var live atomic.Pointer[[]string]
	urls := append([]string(nil), f.urls...)
	live.Store(&urls)
	pick := func() string {
		u := *live.Load()
		return u[rand.IntN(len(u))]
	}

	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			c := newClient()
			user := fmt.Sprintf("user%d", i)
			login := func() bool {
				for tries := 0; tries < 5; tries++ {
					st, _, err := c.do("POST", pick()+"/login", url.Values{"user": {user}})
					requests.Add(1)
					if err != nil {
						failedConn.Add(1)
						continue
					}
					count(st)
					if st == 200 {
						// A login of the user whose session survived keeps
						// it and its count: start counting from there.
						for range 5 {
							if _, body, err := c.do("GET", pick()+"/n", nil); err == nil {
								c.acked, _ = strconv.Atoi(body)
								return true
							}
						}
						report("%s: cannot read the count after login", user)
						return false
					}
					report("%s: login answered %d", user, st)
				}
				return false
			}
			if !login() {
				return
			}
			for n := 0; time.Now().Before(stop); n++ {
				switch {
				case n%50 == 49: // log out, then replay the old cookie: must be a stranger
					u, _ := url.Parse(pick())
					old := c.http.Jar.Cookies(u)
					st, _, err := c.do("POST", pick()+"/logout", url.Values{})
					requests.Add(1)
					if err != nil {
						// Unknown outcome (the instance was killed): ask
						// whether the session is still there.
						failedConn.Add(1)
						_, who, err := c.do("GET", pick()+"/whoami", nil)
						if err == nil && who == user {
							continue // the logout never happened
						}
						if !login() {
							return
						}
						continue
					}
					count(st)
					replay := newClient()
					replay.http.Jar.SetCookies(u, old)
					if _, body, err := replay.do("GET", pick()+"/whoami", nil); err == nil && body != "stranger" {
						report("%s: the cookie of a logged-out session still works: %q", user, body)
					}
					if !login() {
						return
					}
				case n%5 == 4: // read back: must equal every acknowledged increment
					st, body, err := c.do("GET", pick()+"/n", nil)
					requests.Add(1)
					if err != nil {
						failedConn.Add(1)
						continue
					}
					count(st)
					if got, _ := strconv.Atoi(body); st == 200 && got != c.acked {
						report("%s: counter %s, %d increments acknowledged (a write was lost or invented)", user, body, c.acked)
						c.acked = got
					}
				default:
					st, body, err := c.do("POST", pick()+"/incr", url.Values{})
					requests.Add(1)
					if err != nil {
						// Not acknowledged: it may or may not have landed.
						failedConn.Add(1)
						if _, body, err := c.do("GET", pick()+"/n", nil); err == nil {
							if got, _ := strconv.Atoi(body); got == c.acked || got == c.acked+1 {
								c.acked = got
							} else {
								report("%s: after a failed request, counter %s with %d acknowledged", user, body, c.acked)
							}
						}
						continue
					}
					count(st)
					if st != 200 {
						report("%s: incr answered %d %q", user, st, body)
						continue
					}
					got, _ := strconv.Atoi(body)
					if got != c.acked+1 {
						report("%s: incr answered %d, %d acknowledged before", user, got, c.acked)
					}
					c.acked = got
				}
			}
		})
	}

	// Half-way, kill an instance without warning; the clients' requests to
	// it fail and they carry on with the other two. Then restart it.
	time.Sleep(duration / 2)
	victim := f.procs[1]
	live.Store(&[]string{f.urls[0], f.urls[2]})
	victim.Kill()
	restarted := f.bin.Start(t, f.args...)
	live.Store(&[]string{f.urls[0], restarted.URL, f.urls[2]})
	wg.Wait()

	t.Logf("scale-out: 3 instances, %d clients, %v, %d requests (%.0f req/s), statuses %v, %d failed connections around one SIGKILLed instance; %d problems",
		clients, duration, requests.Load(), float64(requests.Load())/duration.Seconds(), statuses, failedConn.Load(), len(problems))
	for _, p := range problems {
		t.Error(p)
	}
	for st := range statuses {
		if st != 200 {
			t.Errorf("unexpected status %d (%d times)", st, statuses[st])
		}
	}
}

// TestScaleOutFiles: three processes on one machine sharing the file
// store (flock makes every update atomic across them).
func TestScaleOutFiles(t *testing.T) {
	runScaleOut(t, "-store", "files", "-data", filepath.Join(t.TempDir(), "sessions"))
}

// TestScaleOutRedis: three instances sharing one redis-server.
func TestScaleOutRedis(t *testing.T) {
	r, err := testservers.StartRedis()
	testservers.Need(t, err)
	t.Cleanup(r.Stop)
	runScaleOut(t, "-store", "redis", "-redis", r.URL())
}

// TestScaleOutRedisCluster: three instances on a three-master Redis
// Cluster, the sessions spread over its slots.
func TestScaleOutRedisCluster(t *testing.T) {
	c, err := testservers.StartRedisCluster(3)
	testservers.Need(t, err)
	t.Cleanup(c.Stop)
	runScaleOut(t, "-store", "redis-cluster", "-cluster", strings.Join(c.Addrs(), ","))
}

// TestScaleOutPostgres: three instances sharing one PostgreSQL database,
// each creating the schema as it starts.
func TestScaleOutPostgres(t *testing.T) {
	bin, err := testservers.FindPostgres()
	if err != nil {
		testservers.Need(t, fmt.Errorf("%w (apt-get install postgresql, or scripts/deps.sh as root)", err))
	}
	pg, err := testservers.NewPostgres(bin)
	testservers.Need(t, err)
	t.Cleanup(pg.Remove)
	testservers.Need(t, pg.Start())
	runScaleOut(t, "-store", "postgres", "-postgres", pg.ConnString("postgres"))
}
