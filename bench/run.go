package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/examples/operations"
)

// RunOptions say what Run measures.
type RunOptions struct {
	// Dir holds the generated data (Generate) and, after a run, the gateway's store, its
	// configuration and both servers' logs.
	Dir string
	// People is how many people Generate wrote to Dir.
	People int
	// Gateway runs the gateway: the profilegate binary.
	Gateway string
	// Baseline runs the baseline server; Run appends "-dir DIR -addr ADDR".
	Baseline []string
	// Against, when set, is another profilegate binary run in the baseline's place, on the
	// same sources and a copy of the gateway's store (Dir/against): the before and after of a
	// change to the gateway, measured interleaved.
	Against string
	// Rounds of closed-loop load, each running the gateway and then the baseline (the order
	// alternates), each for Duration with Concurrency clients.
	Rounds      int
	Duration    time.Duration
	Concurrency int
	// Rates are fixed request rates, each run on both servers for Duration (the order
	// alternates from rate to rate).
	Rates []int
	// Pin locks the databases in memory for the run (pinFiles) instead of reading them once.
	Pin bool
	// Aliases is how many aliased customerHeader fields one request of the batching check asks.
	Aliases int
	// Out receives the report.
	Out io.Writer
}

// server is a started process under measurement.
type server struct {
	name string
	url  string
	cmd  *exec.Cmd
	rss  atomic.Int64 // peak sampled resident set while loaded, in KiB
}

// Run starts the gateway and the baseline on the data in o.Dir, checks that both answer the
// traffic right, runs them interleaved and writes a report.
func Run(ctx context.Context, o RunOptions) error {
	if o.Pin {
		unpin, err := pinFiles(o.Dir)
		if err != nil {
			return err
		}
		defer unpin()
	} else if err := cacheFiles(o.Dir); err != nil {
		return err
	}
	other := func() (*server, error) { return startServer(ctx, "baseline", o.Dir, o.Baseline, "/") }
	if o.Against != "" {
		// Copied while no gateway has the store open. Two gateways on one store would each
		// write to it (new contacts, the index's refresh), and in WAL mode every commit makes
		// the other's connections drop their page caches.
		dir := filepath.Join(o.Dir, "against")
		if err := copyStore(o.Dir, dir); err != nil {
			return err
		}
		other = func() (*server, error) { return startGatewayIn(ctx, o, "against", o.Against, dir) }
	}
	gw, err := startGateway(ctx, o)
	if err != nil {
		return err
	}
	defer stop(gw)
	base, err := other()
	if err != nil {
		return err
	}
	defer stop(base)
	servers := []*server{gw, base}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 5 * time.Second}
	w := tabwriter.NewWriter(o.Out, 0, 8, 2, ' ', tabwriter.AlignRight)
	defer w.Flush()
	pinned := ""
	if o.Pin {
		pinned = "; the databases locked in memory"
	}
	fmt.Fprintf(o.Out, "%d people; %d clients; rounds of %s%s\n", o.People, o.Concurrency, o.Duration, pinned)

	// Every answer is checked, in every phase; first each server gets a warm-up of its own.
	for i, s := range servers {
		if r := closedLoop(ctx, client, s, o, trafficOf(o, 99, i), 2*time.Second); r.failed > 0 {
			return fmt.Errorf("bench: %s answered %d of %d warm-up requests wrong, first: %s", s.name, r.failed, r.requests, r.firstFailure)
		}
	}
	fmt.Fprintln(w, "closed loop\tround\tserver\treq/s\tfailed\tCPU/req\tp50\tp99\tpeak RSS\tdisk/req\tsteal\t")
	var tput, cpu [2][]float64
	var failures []string
	for round := range o.Rounds {
		for _, i := range order(round) {
			s := servers[i]
			r := closedLoop(ctx, client, s, o, trafficOf(o, uint64(round+1), i), o.Duration)
			tput[i] = append(tput[i], r.rate())
			cpu[i] = append(cpu[i], r.cpuPerRequest().Seconds()*1000)
			fmt.Fprintf(w, "\t%d\t%s\t%.0f\t%d\t%.3f ms\t%s\t%s\t%s\t%s\t%.1f %%\t\n", round+1, s.name, r.rate(), r.failed, r.cpuPerRequest().Seconds()*1000, ms(r.p(50)), ms(r.p(99)), mib(r.rssKiB), r.diskPerRequest(), 100*r.steal)
			if r.firstFailure != "" {
				failures = append(failures, fmt.Sprintf("round %d, %s: %s", round+1, s.name, r.firstFailure))
			}
		}
	}
	w.Flush()
	for _, f := range failures {
		fmt.Fprintln(o.Out, "first failure of", f)
	}
	// A round runs the two servers one right after the other, so its own ratios are the least
	// touched by the machine's drift, which moves both servers' figures tens of percent within
	// minutes; the ratio of the medians is printed beside them.
	var tputRatio, cpuRatio []float64
	for r := range tput[0] {
		tputRatio = append(tputRatio, tput[0][r]/tput[1][r])
		cpuRatio = append(cpuRatio, cpu[0][r]/cpu[1][r])
	}
	if len(tputRatio) > 0 {
		fmt.Fprintf(o.Out, "ratios gateway/%s, median of the rounds' own: throughput %.2f (%.2f–%.2f); CPU per request %.2f (%.2f–%.2f)\n",
			base.name, median(tputRatio), slices.Min(tputRatio), slices.Max(tputRatio), median(cpuRatio), slices.Min(cpuRatio), slices.Max(cpuRatio))
	}
	fmt.Fprintf(o.Out, "ratios of the medians of rounds: throughput %.2f; CPU per request %.2f\n\n",
		median(tput[0])/median(tput[1]), median(cpu[0])/median(cpu[1]))

	fmt.Fprintln(w, "fixed rate\trate\tserver\tsent\tfailed\tp50\tp99\tpeak RSS\tdisk/req\t")
	failures = nil
	for j, rate := range o.Rates {
		for _, i := range order(j) {
			s := servers[i]
			r := fixedRate(ctx, client, s, o, trafficOf(o, uint64(rate), i), rate, o.Duration)
			fmt.Fprintf(w, "\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", rate, s.name, r.requests, r.failed, ms(r.p(50)), ms(r.p(99)), mib(r.rssKiB), r.diskPerRequest())
			if r.firstFailure != "" {
				failures = append(failures, fmt.Sprintf("%d/s, %s: %s", rate, s.name, r.firstFailure))
			}
		}
	}
	w.Flush()
	for _, f := range failures {
		fmt.Fprintln(o.Out, "first failure at", f)
	}
	fmt.Fprintln(o.Out)
	for _, s := range servers {
		hwm, _ := procStatus(s.cmd.Process.Pid, "VmHWM")
		anon, _ := procStatus(s.cmd.Process.Pid, "RssAnon")
		file, _ := procStatus(s.cmd.Process.Pid, "RssFile")
		fmt.Fprintf(o.Out, "peak RSS %s: %s under load (sampled every 50 ms), %s over its life (VmHWM); at the end %s anonymous, %s of mapped files\n",
			s.name, mib(s.rss.Load()), mib(hwm), mib(anon), mib(file))
	}
	return aliasCheck(ctx, client, gw, o)
}

// order is the order the two servers run in the n-th phase of a kind: the gateway first, then
// the baseline first, and so on, so neither always runs on a machine the other just warmed
// or slowed.
func order(n int) []int {
	if n%2 == 1 {
		return []int{1, 0}
	}
	return []int{0, 1}
}

// trafficOf is the traffic server i gets in a phase: each server its own draw from the same
// mix. With the same lookups, the server running second could find in the page cache what the
// first had just read from disk for them: this machine's page cache does not keep the 10M
// data's 13 GB (it drops several MB a second even while idle), and the fixed rates always ran
// the gateway first. What either server then read from disk (disk/req) was 0.4–5 KiB a
// request at 10M people, about 0.1 at 1M.
func trafficOf(o RunOptions, phase uint64, i int) *Traffic {
	return NewTraffic(o.People, phase<<1|uint64(i))
}

// aliasCheck sends requests of o.Aliases aliased customer headers from o.Concurrency clients
// and counts the statements each source executed per request, from the gateway's metrics.
func aliasCheck(ctx context.Context, client *http.Client, gw *server, o RunOptions) error {
	before, err := statements(client, gw)
	if err != nil {
		return err
	}
	t := NewTraffic(o.People, 7)
	var mu sync.Mutex
	body := func() ([]byte, []Lookup) {
		mu.Lock()
		defer mu.Unlock()
		var ls []Lookup
		var fields []string
		var params []string
		vars := map[string]any{}
		for i := range o.Aliases {
			l := t.Next()
			ls = append(ls, l)
			params = append(params, fmt.Sprintf("$a%d: IdentifierInput!", i))
			fields = append(fields, fmt.Sprintf("a%d: customerHeader(identifier: $a%d) { name badge }", i, i))
			vars[fmt.Sprintf("a%d", i)] = map[string]string{"key": l.Key, "value": l.Value}
		}
		b, _ := json.Marshal(map[string]any{"query": "query Aliases(" + strings.Join(params, ", ") + ") {\n" + strings.Join(fields, "\n") + "\n}", "variables": vars})
		return b, ls
	}
	var requests, failed atomic.Int64
	var first atomic.Value
	deadline := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				b, ls := body()
				err := postAliases(ctx, client, gw.url, b, ls)
				requests.Add(1)
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	after, err := statements(client, gw)
	if err != nil {
		return err
	}
	n := requests.Load()
	fmt.Fprintf(o.Out, "\n%d aliases a request, %d clients: %d requests, %d failed", o.Aliases, o.Concurrency, n, failed.Load())
	if f, ok := first.Load().(string); ok {
		fmt.Fprintf(o.Out, " (first: %s)", f)
	}
	fmt.Fprintln(o.Out, "; statements per request:")
	for _, src := range slices.Sorted(maps.Keys(after)) {
		fmt.Fprintf(o.Out, "  %-10s %.2f (at most 3: one per stitching round)\n", src, float64(after[src]-before[src])/float64(n))
	}
	return nil
}

func postAliases(ctx context.Context, client *http.Client, url string, body []byte, ls []Lookup) error {
	var out struct {
		Data   map[string]answer `json:"data"`
		Errors []struct{ Message string }
	}
	if err := post(ctx, client, url, body, &out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return errors.New(out.Errors[0].Message)
	}
	for i, l := range ls {
		h := out.Data[fmt.Sprintf("a%d", i)]
		if err := l.Check(h.Name, h.Badge); err != nil {
			return err
		}
	}
	return nil
}

// statements reads profilegate_source_statements_total by source.
func statements(client *http.Client, gw *server) (map[string]int64, error) {
	resp, err := client.Get(strings.TrimSuffix(gw.url, "/query") + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, `profilegate_source_statements_total{source="`)
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(rest, `"} `)
		f, _ := strconv.ParseFloat(value, 64)
		out[name] = int64(f)
	}
	return out, sc.Err()
}

type answer struct {
	Name  string  `json:"name"`
	Badge *string `json:"badge"`
}

// result is one phase on one server.
type result struct {
	requests, failed int
	firstFailure     string
	took             time.Duration
	cpu              time.Duration
	latencies        []time.Duration
	rssKiB           int64   // the server's peak resident set during the phase, sampled
	steal            float64 // the share of the machine's CPU time its hypervisor gave others
	diskBytes        int64   // what the server's reads fetched from storage, not the page cache
}

func (r *result) rate() float64 { return float64(r.requests) / r.took.Seconds() }

func (r *result) cpuPerRequest() time.Duration {
	return r.cpu / time.Duration(max(r.requests, 1))
}

// diskPerRequest is what the server read from storage a request, in KiB.
func (r *result) diskPerRequest() string {
	return fmt.Sprintf("%.1f KiB", float64(r.diskBytes)/1024/float64(max(r.requests, 1)))
}

func (r *result) p(q int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	slices.Sort(r.latencies)
	return r.latencies[min(len(r.latencies)-1, len(r.latencies)*q/100)]
}

// recorder collects a phase's answers from concurrent clients.
type recorder struct {
	mu sync.Mutex
	r  result
}

func (rec *recorder) add(took time.Duration, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.r.requests++
	rec.r.latencies = append(rec.r.latencies, took)
	if err != nil {
		rec.r.failed++
		if rec.r.firstFailure == "" {
			rec.r.firstFailure = err.Error()
		}
	}
}

// measure runs load against s and returns what it measured, with the CPU the server's
// process spent meanwhile and its resident set sampled every 50 ms.
func measure(s *server, load func(rec *recorder)) result {
	var rec recorder
	var peak atomic.Int64
	cpu0, disk0 := procCPU(s.cmd.Process.Pid), procReadBytes(s.cmd.Process.Pid)
	stolen0, all0 := hostCPU()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if kb, err := procStatus(s.cmd.Process.Pid, "VmRSS"); err == nil {
					peak.Store(max(peak.Load(), kb))
				}
			}
		}
	}()
	start := time.Now()
	load(&rec)
	rec.r.took = time.Since(start)
	close(done)
	rec.r.cpu = procCPU(s.cmd.Process.Pid) - cpu0
	rec.r.diskBytes = procReadBytes(s.cmd.Process.Pid) - disk0
	if stolen, all := hostCPU(); all > all0 {
		rec.r.steal = float64(stolen-stolen0) / float64(all-all0)
	}
	rec.r.rssKiB = peak.Load()
	s.rss.Store(max(s.rss.Load(), rec.r.rssKiB))
	return rec.r
}

// closedLoop runs o.Concurrency clients, each sending its next request when the last is
// answered, for d.
func closedLoop(ctx context.Context, client *http.Client, s *server, o RunOptions, t *Traffic, d time.Duration) result {
	var mu sync.Mutex
	next := func() Lookup {
		mu.Lock()
		defer mu.Unlock()
		return t.Next()
	}
	return measure(s, func(rec *recorder) {
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for range o.Concurrency {
			wg.Go(func() {
				for time.Now().Before(deadline) && ctx.Err() == nil {
					l := next()
					start := time.Now()
					err := ask(ctx, client, s.url, l)
					rec.add(time.Since(start), err)
				}
			})
		}
		wg.Wait()
	})
}

// fixedRate sends rate requests a second for d whatever the answers take (open loop); a
// request's latency counts from when it was due, so a server falling behind is not hidden.
func fixedRate(ctx context.Context, client *http.Client, s *server, o RunOptions, t *Traffic, rate int, d time.Duration) result {
	return measure(s, func(rec *recorder) {
		interval := time.Second / time.Duration(rate)
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; ; i++ {
			due := start.Add(time.Duration(i) * interval)
			if due.Sub(start) >= d || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Until(due))
			l := t.Next()
			wg.Go(func() {
				err := ask(ctx, client, s.url, l)
				rec.add(time.Since(due), err)
			})
		}
		wg.Wait()
	})
}

var headerQuery = func() string {
	b, err := operations.Files.ReadFile("CustomerHeader.graphql")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// ask sends the desktop's customer header request for l and checks the answer.
func ask(ctx context.Context, client *http.Client, url string, l Lookup) error {
	body, _ := json.Marshal(map[string]any{"query": headerQuery, "operationName": "CustomerHeader",
		"variables": map[string]any{"identifier": map[string]string{"key": l.Key, "value": l.Value}}})
	var out struct {
		Data struct {
			CustomerHeader *answer `json:"customerHeader"`
		} `json:"data"`
		Errors []struct{ Message string }
	}
	if err := post(ctx, client, url, body, &out); err != nil {
		return err
	}
	switch {
	case len(out.Errors) > 0:
		return errors.New(out.Errors[0].Message)
	case out.Data.CustomerHeader == nil:
		return errors.New("no customerHeader")
	}
	return l.Check(out.Data.CustomerHeader.Name, out.Data.CustomerHeader.Badge)
}

func post(ctx context.Context, client *http.Client, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// cacheFiles reads the databases in dir once, so the OS holds them in its page cache as it does
// for a server that has run a while. Without it, the first server measured after the data was
// written or pushed out read its pages from disk for both: at 1M people the gateway's first
// round, its first after the 10M data had filled the cache, ran at 1 619 requests a second and
// its next two at 2 583 and 2 539.
func cacheFiles(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil {
		return err
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("bench: reading %s: %w", name, err)
		}
	}
	return nil
}

// startGateway writes the gateway's configuration (the demo's, over the generated data, with
// the match index rebuilt daily rather than every ten minutes so a rebuild does not fall in
// a measurement) and starts it; the first start builds the match index, which can take minutes.
func startGateway(ctx context.Context, o RunOptions) (*server, error) {
	return startGatewayIn(ctx, o, "gateway", o.Gateway, o.Dir)
}

// startGatewayIn starts the gateway binary as startGateway does, with its store, configuration
// and log in dataDir; the sources are those in o.Dir.
func startGatewayIn(ctx context.Context, o RunOptions, name, binary, dataDir string) (*server, error) {
	c := demo.Config(o.Dir)
	c.DataDir = dataDir
	c.MatchIndex.Reconcile = 24 * time.Hour
	c.Log = config.Default().Log
	c.Limits.MaxRootFields = max(c.Limits.MaxRootFields, o.Aliases) // the default, 20, is below the alias check's 30
	c.Limits.MaxAliases = max(c.Limits.MaxAliases, o.Aliases)
	c.Limits.MaxComplexity = max(c.Limits.MaxComplexity, 100*o.Aliases)
	// One caller sends everything here, unknown numbers at 100 a second: the new-contact budget
	// would refuse most, and the baseline has none.
	c.Limits.PerCaller.NewContactsPerMinute = 0
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, name+".yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, err
	}
	return startServer(ctx, name, dataDir, []string{binary, "--config", path}, "/query")
}

// copyStore copies the gateway's store in dir (its SQLite files, with any write-ahead log) to
// a new directory to, replacing what is there.
func copyStore(dir, to string) error {
	if _, err := os.Stat(filepath.Join(dir, "profilegate.db")); err != nil {
		return fmt.Errorf("bench: no gateway store to copy in %s (a run without -against makes it): %w", dir, err)
	}
	if err := os.RemoveAll(to); err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, db := range []string{"profilegate.db", "profilegate-contacts.db"} {
		for _, suffix := range []string{"", "-wal"} {
			if err := copyFile(filepath.Join(dir, db+suffix), filepath.Join(to, db+suffix)); err != nil && !(suffix != "" && errors.Is(err, fs.ErrNotExist)) {
				return err
			}
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// startServer starts args with "-addr" on a free port and waits until it is ready.
func startServer(ctx context.Context, name, dir string, args []string, path string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	args = append(slices.Clone(args), "--addr", addr)
	if name == "baseline" {
		args = append(args, "--dir", dir)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithBench(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, url: "http://" + addr + path, cmd: cmd}
	ready := "http://" + addr + "/readyz"
	for start := time.Now(); ; {
		resp, err := http.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Since(start) > 2*time.Hour || ctx.Err() != nil {
			stop(s)
			return nil, fmt.Errorf("bench: %s not ready (see %s)", name, logFile.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func stop(s *server) {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// procCPU is the user and system time pid has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// procReadBytes is what pid's reads have fetched from storage (read_bytes of /proc/pid/io):
// reads the page cache answered are not counted.
func procReadBytes(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "read_bytes:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			return n
		}
	}
	return 0
}

// hostCPU is the machine's CPU time its hypervisor gave other machines (steal) and all its
// CPU time, in ticks, from /proc/stat: a round whose steal is high ran on a busy host.
func hostCPU() (steal, all int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))[1:] // user nice system idle iowait irq softirq steal ...
	for i, v := range f {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i < 8 { // guest times are counted in user and nice already
			all += n
		}
		if i == 7 {
			steal = n
		}
	}
	return steal, all
}

// procStatus reads a "kB" field of /proc/pid/status.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// median is the middle of xs, or the mean of its two middles when their count is even.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	switch n := len(s); {
	case n == 0:
		return 0
	case n%2 == 0:
		return (s[n/2-1] + s[n/2]) / 2
	default:
		return s[n/2]
	}
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", d.Seconds()*1000) }
