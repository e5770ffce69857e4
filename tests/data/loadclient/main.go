// loadclient: a latency client for the agent's benchmark.
//
// It opens -c connections (one http.Transport each, so each worker keeps its own
// connection), sends -warmup requests (not measured) and then -n measured GET
// requests to -url, split evenly over the connections; each connection sends its
// requests one after another, back to back or at -rate requests per second. A
// request is timed from send to the full body read (monotonic clock). Warmup and
// measurement are separated by a barrier across all connections.
//
// Output: one JSON line on stdout with n, p50_us, p90_us, p99_us, max_us, mean_us,
// errors and proto (percentiles by nearest rank; proto is what the server answered
// with, e.g. "HTTP/1.1" or "HTTP/2.0", "mixed" if it varied), and with -out one
// latency per line in microseconds. A transport
// error or a non-2xx status is an error; the exit status is 1 if there was any.
//
// HTTP/1.1 keep-alive by default (HTTP/2 disabled); -http2 negotiates h2 by ALPN.
// Standard library only (Go 1.19).
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

type result struct {
	N      int     `json:"n"`
	P50    int64   `json:"p50_us"`
	P90    int64   `json:"p90_us"`
	P99    int64   `json:"p99_us"`
	Max    int64   `json:"max_us"`
	Mean   float64 `json:"mean_us"`
	Errors int     `json:"errors"`
	Proto  string  `json:"proto"`
}

type worker struct {
	client    *http.Client
	lat       []time.Duration
	errors    int
	proto     string
	protoSeen bool
	mixed     bool
}

var (
	url      = flag.String("url", "", "URL to GET (required)")
	n        = flag.Int("n", 5000, "measured requests (total over all connections)")
	warmup   = flag.Int("warmup", 200, "warmup requests, not measured (total)")
	conns    = flag.Int("c", 1, "concurrent connections")
	useH2    = flag.Bool("http2", false, "use HTTP/2 (default HTTP/1.1 keep-alive)")
	insecure = flag.Bool("insecure", false, "do not verify the server certificate")
	caFile   = flag.String("ca", "", "CA certificate (PEM) to verify the server with")
	rate     = flag.Float64("rate", 0, "requests per second per connection (0 = back to back)")
	outFile  = flag.String("out", "", "write each latency (microseconds) to this file, one a line")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("loadclient: ")
	if *url == "" || *n < 0 || *warmup < 0 || *conns < 1 || *rate < 0 {
		flag.Usage()
		os.Exit(2)
	}
	tlsCfg := &tls.Config{InsecureSkipVerify: *insecure}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			log.Fatal(err)
		}
		tlsCfg.RootCAs = x509.NewCertPool()
		if !tlsCfg.RootCAs.AppendCertsFromPEM(pem) {
			log.Fatalf("no certificates in %s", *caFile)
		}
	}

	workers := make([]*worker, *conns)
	for i := range workers {
		tr := &http.Transport{
			TLSClientConfig:     tlsCfg.Clone(),
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			ForceAttemptHTTP2:   *useH2,
		}
		if !*useH2 {
			// A non-nil empty map turns HTTP/2 off.
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		workers[i] = &worker{client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	}

	// Warmup on all connections, then a barrier, then the measured requests.
	var warm, done sync.WaitGroup
	start := make(chan struct{})
	for i, w := range workers {
		warm.Add(1)
		done.Add(1)
		go func(w *worker, nw, nm int) {
			defer done.Done()
			w.run(nw, false)
			warm.Done()
			<-start
			w.run(nm, true)
		}(w, share(*warmup, i), share(*n, i))
	}
	warm.Wait()
	close(start)
	done.Wait()

	var lat []time.Duration
	res := result{}
	mixed := false
	for _, w := range workers {
		lat = append(lat, w.lat...)
		res.Errors += w.errors
		if w.protoSeen && res.Proto == "" {
			res.Proto = w.proto
		}
		if w.mixed || (w.protoSeen && w.proto != res.Proto) {
			mixed = true
		}
	}
	if mixed {
		res.Proto = "mixed"
	}

	if *outFile != "" {
		if err := writeLatencies(*outFile, lat); err != nil {
			log.Print(err)
			res.Errors++
		}
	}

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.N = len(lat)
	if res.N > 0 {
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		res.P50 = us(percentile(lat, 50))
		res.P90 = us(percentile(lat, 90))
		res.P99 = us(percentile(lat, 99))
		res.Max = us(lat[res.N-1])
		res.Mean = math.Round(float64(sum)/float64(res.N)/100) / 10
	}
	line, _ := json.Marshal(&res)
	fmt.Println(string(line))
	if res.Errors > 0 {
		os.Exit(1)
	}
}

// share returns connection i's part of total requests.
func share(total, i int) int {
	s := total / *conns
	if i < total%*conns {
		s++
	}
	return s
}

// run sends count requests sequentially, recording latencies if measure is set.
func (w *worker) run(count int, measure bool) {
	var interval time.Duration
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) / *rate)
	}
	begin := time.Now()
	for i := 0; i < count; i++ {
		if interval > 0 {
			if wait := time.Until(begin.Add(time.Duration(i) * interval)); wait > 0 {
				time.Sleep(wait)
			}
		}
		d, err := w.once()
		if err != nil {
			if w.errors < 5 {
				log.Print(err)
			}
			w.errors++
			continue
		}
		if measure {
			w.lat = append(w.lat, d)
		}
	}
}

// once sends one request and reads the whole body, returning the elapsed time.
func (w *worker) once() (time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, *url, nil)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if !w.protoSeen {
		w.proto, w.protoSeen = resp.Proto, true
	} else if resp.Proto != w.proto {
		w.mixed = true
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, fmt.Errorf("%s: %s", *url, resp.Status)
	}
	return d, nil
}

// percentile by nearest rank over sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return sorted[i]
}

func us(d time.Duration) int64 { return (int64(d) + 500) / 1000 }

func writeLatencies(path string, lat []time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for _, d := range lat {
		fmt.Fprintf(bw, "%.3f\n", float64(d)/1e3)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
