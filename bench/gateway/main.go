// Command gateway measures the latency the aigis gateway adds, against the
// same mock upstream reached directly and through a bare
// httputil.ReverseProxy (the floor for a Go proxy on the machine).
//
//	go run ./bench/gateway [-aigis PATH] [-baseline PATH] [-duration 2s] [-rounds 3] [-conc 1,16,64]
//
// Three processes serve: `aigis mockllm`, a bare reverse proxy (this
// program re-executed with -role proxy) and `aigis serve` with API-key
// auth, per-key and per-role quotas and the SQLite audit log on. Rounds are
// interleaved (direct, proxy, gateway in turn, for each concurrency) over
// keep-alive loopback connections. It reports p50/p99 and the added
// latency, throughput at each concurrency, time to first byte and
// inter-chunk delay of streams, and the gateway's RSS idle and under load.
// With -baseline, a second gateway (another build, e.g. the previous
// commit's) runs as target gateway-base in the same interleaved rounds, so
// a change can be compared on a shared, noisy machine.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aigis-dev/aigis/internal/apikey"
	"github.com/aigis-dev/aigis/internal/store"
)

func main() {
	role := flag.String("role", "bench", "internal: bench or proxy")
	target := flag.String("target", "", "internal: proxy target URL")
	listen := flag.String("listen", "", "internal: proxy listen address")
	aigis := flag.String("aigis", "", "aigis binary (default: go build ./cmd/aigis into a temp dir)")
	baseline := flag.String("baseline", "", "optional second aigis binary (e.g. the previous commit), run as target gateway-base interleaved with the others, with its own store")
	duration := flag.Duration("duration", 2*time.Second, "length of one measurement round")
	rounds := flag.Int("rounds", 3, "interleaved rounds per concurrency")
	concs := flag.String("conc", "1,16,64", "concurrency levels")
	streams := flag.Int("streams", 300, "streamed requests per target for TTFB and inter-chunk delay")
	flag.Parse()
	if *role == "proxy" {
		runProxy(*target, *listen)
		return
	}
	if err := run(*aigis, *baseline, *duration, *rounds, *concs, *streams); err != nil {
		log.Fatal(err)
	}
}

// runProxy is the floor: a bare httputil.ReverseProxy with a tuned transport.
func runProxy(target, listen string) {
	u, err := url.Parse(target)
	if err != nil {
		log.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	p.FlushInterval = -1
	log.Fatal(http.ListenAndServe(listen, p))
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(url string) error {
	for i := 0; i < 300; i++ {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up", url)
}

type target struct {
	name string
	base string // up to and including /v1
	key  string
}

func run(aigis, baseline string, dur time.Duration, rounds int, concList string, nStreams int) error {
	dir, err := os.MkdirTemp("", "aigis-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if aigis == "" {
		aigis = filepath.Join(dir, "aigis")
		if out, err := exec.Command("go", "build", "-o", aigis, "./cmd/aigis").CombinedOutput(); err != nil {
			return fmt.Errorf("build aigis: %v\n%s", err, out)
		}
	}
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_, _ = p.Process.Wait()
		}
	}()
	start := func(name string, args ...string) (*exec.Cmd, error) {
		cmd := exec.Command(name, args...)
		// nil is the null device itself. io.Discard would be a pipe drained by
		// a goroutine of this process, the load generator: every log line of
		// the gateway would wake the client.
		cmd.Stdout, cmd.Stderr = nil, nil
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // children die with the harness
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		procs = append(procs, cmd)
		return cmd, nil
	}

	mockAddr, proxyAddr, gwAddr := freeAddr(), freeAddr(), freeAddr()
	if _, err := start(aigis, "mockllm", "--listen", mockAddr, "--chunks", "8", "--chunk-delay", "2ms"); err != nil {
		return err
	}
	self, _ := os.Executable()
	if _, err := start(self, "-role", "proxy", "-target", "http://"+mockAddr, "-listen", proxyAddr); err != nil {
		return err
	}
	// startGateway starts one `aigis serve` with its own store and API key.
	startGateway := func(bin, name, addr string) (*exec.Cmd, string, error) {
		dsn := filepath.Join(dir, name+".db")
		ctx := context.Background()
		st, err := store.Open(ctx, dsn)
		if err != nil {
			return nil, "", err
		}
		secret, key, err := apikey.Generate("bench", []string{"bench"}, 0)
		if err != nil {
			return nil, "", err
		}
		if err := st.CreateKey(ctx, key); err != nil {
			return nil, "", err
		}
		st.Close()
		cfg := fmt.Sprintf(`listen: {addr: "%s"}
store: "%s"
logging: {level: info}
upstreams:
  - {name: mock, kind: openai, base_url: "http://%s/v1"}
models:
  - {name: gpt-4o-mini, upstream: mock}
roles:
  - name: bench
    models: ["*"]
    endpoints: ["*"]
    limits: {rpm: 100000000, tpm: 10000000000, tpd: 100000000000}
default_key_limits: {rpm: 100000000, tpm: 10000000000}
`, addr, dsn, mockAddr)
		cfgPath := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			return nil, "", err
		}
		cmd, err := start(bin, "serve", "--config", cfgPath)
		if err != nil {
			return nil, "", err
		}
		return cmd, secret, waitUp("http://" + addr + "/healthz")
	}
	for _, u := range []string{"http://" + mockAddr + "/v1/models", "http://" + proxyAddr + "/v1/models"} {
		if err := waitUp(u); err != nil {
			return err
		}
	}
	gw, secret, err := startGateway(aigis, "gateway", gwAddr)
	if err != nil {
		return err
	}
	targets := []target{
		{"direct", "http://" + mockAddr + "/v1", "mock"},
		{"proxy", "http://" + proxyAddr + "/v1", "mock"},
		{"gateway", "http://" + gwAddr + "/v1", secret},
	}
	if baseline != "" {
		baseAddr := freeAddr()
		_, baseSecret, err := startGateway(baseline, "gateway-base", baseAddr)
		if err != nil {
			return err
		}
		targets = append(targets, target{"gateway-base", "http://" + baseAddr + "/v1", baseSecret})
	}
	// warm up every path
	for _, t := range targets {
		runLoad(t, 4, 300*time.Millisecond)
	}
	rssIdle := rssKB(gw.Process.Pid)

	var concurrency []int
	for _, s := range strings.Split(concList, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		concurrency = append(concurrency, n)
	}
	fmt.Printf("# aigis gateway benchmark\n\nmachine: %d CPUs (%s), %s; rounds=%d x %s per target, interleaved\n\n", cpuCount(), cpuModel(), time.Now().UTC().Format(time.RFC3339), rounds, dur)
	fmt.Println("| concurrency | target | requests | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var rssLoad int64
	for _, c := range concurrency {
		lat := map[string][]time.Duration{}
		count := map[string]int{}
		elapsed := map[string]time.Duration{}
		for r := 0; r < rounds; r++ {
			for _, t := range targets {
				res := runLoad(t, c, dur)
				lat[t.name] = append(lat[t.name], res.lat...)
				count[t.name] += len(res.lat)
				elapsed[t.name] += res.elapsed
				if t.name == "gateway" {
					if v := rssKB(gw.Process.Pid); v > rssLoad {
						rssLoad = v
					}
				}
			}
		}
		d50, d99 := pct(lat["direct"], 50), pct(lat["direct"], 99)
		for _, t := range targets {
			l := lat[t.name]
			p50, p99 := pct(l, 50), pct(l, 99)
			add50, add99 := "", ""
			if t.name != "direct" {
				add50, add99 = ms(p50-d50), ms(p99-d99)
			}
			fmt.Printf("| %d | %s | %d | %.0f | %s | %s | %s | %s |\n", c, t.name, count[t.name],
				float64(count[t.name])/elapsed[t.name].Seconds(), ms(p50), ms(p99), add50, add99)
		}
	}
	fmt.Printf("\n## Streams (concurrency 1, %d streamed requests per target, 8 chunks, 2 ms apart at the mock)\n\n", nStreams)
	fmt.Println("| target | TTFB p50 ms | TTFB p99 ms | inter-chunk p50 ms | inter-chunk p99 ms | failed streams |")
	fmt.Println("|---|---|---|---|---|---|")
	sres := map[string]*streamStats{}
	for _, t := range targets {
		sres[t.name] = &streamStats{}
	}
	streamErrs := map[string]int{}
	for i := 0; i < nStreams; i++ { // interleaved
		for _, t := range targets {
			if err := streamOnce(t, sres[t.name]); err != nil {
				streamErrs[t.name]++
				log.Printf("%s stream: %v", t.name, err)
			}
		}
	}
	for _, t := range targets {
		s := sres[t.name]
		fmt.Printf("| %s | %s | %s | %s | %s | %d |\n", t.name, ms(pct(s.ttfb, 50)), ms(pct(s.ttfb, 99)), ms(pct(s.gaps, 50)), ms(pct(s.gaps, 99)), streamErrs[t.name])
	}
	fmt.Printf("\n## Gateway memory\n\nRSS idle (after warm-up): %.1f MiB; RSS peak under load: %.1f MiB\n", float64(rssIdle)/1024, float64(rssLoad)/1024)
	return nil
}

var chatBody = []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`)
var streamBody = []byte(`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}`)

type loadResult struct {
	lat     []time.Duration
	elapsed time.Duration
}

func newClient(c int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: c * 2, MaxIdleConnsPerHost: c * 2, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// runLoad runs c closed-loop workers for d and records each request's latency.
func runLoad(t target, c int, d time.Duration) loadResult {
	client := newClient(c)
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", t.base+"/chat/completions", bytes.NewReader(chatBody))
				req.Header.Set("Authorization", "Bearer "+t.key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					log.Printf("%s: %v", t.name, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					log.Printf("%s: status %d", t.name, resp.StatusCode)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return loadResult{lat: all, elapsed: time.Since(start)}
}

type streamStats struct {
	client *http.Client
	ttfb   []time.Duration
	gaps   []time.Duration
}

// streamOnce sends one streamed request and records the time to the first
// content chunk and the gaps between chunks.
func streamOnce(t target, s *streamStats) error {
	if s.client == nil {
		s.client = newClient(1)
	}
	req, _ := http.NewRequest("POST", t.base+"/chat/completions", bytes.NewReader(streamBody))
	req.Header.Set("Authorization", "Bearer "+t.key)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	rd := bufio.NewReader(resp.Body)
	var last time.Time
	for {
		line, err := rd.ReadString('\n')
		if strings.HasPrefix(line, "data: ") {
			now := time.Now()
			if last.IsZero() {
				s.ttfb = append(s.ttfb, now.Sub(t0))
			} else {
				s.gaps = append(s.gaps, now.Sub(last))
			}
			last = now
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i >= len(s) {
		i = len(s) - 1
	}
	if i > 0 {
		i--
	}
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d.Microseconds())/1000) }

func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

func cpuCount() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}
