package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// serveHTTP serves h on a loopback port and returns its base URL and a stop function.
func serveHTTP(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		// Connections a client dialed but never used count as busy for 5 s in Shutdown: give
		// the rest a second, then close everything.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
	}, nil
}

// baselineHandler is the baseline of every throughput figure: it reads the body and answers 200.
func baselineHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
}

// newClient is the HTTP client of the load: keep-alive connections, enough idle ones for every
// sender.
func newClient() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		Proxy: nil, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
}

// post delivers w to base and reports whether it was answered 200.
func post(ctx context.Context, c *http.Client, base string, w webhook) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+w.path, bytes.NewReader(w.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(w.sigHeader, w.signature)
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// loadResult is what a load phase saw.
type loadResult struct {
	Sent, Acked, Failed int
	// AckedIDs holds the id of every acknowledged delivery, repeats included.
	AckedIDs []string
	// Latencies are the times to the answer of the acknowledged deliveries.
	Latencies []time.Duration
	// AckTimes maps a delivery's id to when its first 200 arrived, SendTimes to when it was
	// scheduled (open loop only).
	AckTimes, SendTimes map[string]time.Time
	Elapsed             time.Duration
}

// distinct is the number of different ids acknowledged: acked − duplicates.
func (r loadResult) distinct() int {
	seen := make(map[string]struct{}, len(r.AckedIDs))
	for _, id := range r.AckedIDs {
		seen[id] = struct{}{}
	}
	return len(seen)
}

func (r *loadResult) merge(o loadResult) {
	r.Sent += o.Sent
	r.Acked += o.Acked
	r.Failed += o.Failed
	r.AckedIDs = append(r.AckedIDs, o.AckedIDs...)
	r.Latencies = append(r.Latencies, o.Latencies...)
}

// closedLoop runs senders goroutines, each posting one delivery after the other for d: fresh ones
// from next, and every dupEvery-th a repeat of the sender's last acknowledged delivery (a provider
// retrying a delivery).
func closedLoop(ctx context.Context, c *http.Client, base string, senders int, d time.Duration, dupEvery int, next func() webhook) loadResult {
	results := make([]loadResult, senders)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[g]
			var last *webhook
			for k := 1; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				w := last
				if k%dupEvery != 0 || w == nil {
					fresh := next()
					w = &fresh
				}
				t0 := time.Now()
				r.Sent++
				if !post(ctx, c, base, *w) {
					r.Failed++
					continue
				}
				r.Latencies = append(r.Latencies, time.Since(t0))
				r.Acked++
				r.AckedIDs = append(r.AckedIDs, w.id)
				last = w
			}
		}()
	}
	wg.Wait()
	var total loadResult
	for _, r := range results {
		total.merge(r)
	}
	total.Elapsed = time.Since(start)
	return total
}

// openLoop offers rate deliveries per second for d, each sent at its scheduled time whatever the
// answers before it (open loop): latency is measured from the scheduled time, so queueing counts.
// Every dupEvery-th delivery repeats the one scheduled 5 before it.
func openLoop(ctx context.Context, c *http.Client, base string, rate int, d time.Duration, dupEvery int, next func() webhook) loadResult {
	total := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	sent := make([]webhook, total)
	var (
		mu  sync.Mutex
		res = loadResult{AckTimes: map[string]time.Time{}, SendTimes: map[string]time.Time{}}
		wg  sync.WaitGroup
	)
	start := time.Now()
	for i := range total {
		if ctx.Err() != nil {
			break
		}
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		if i%dupEvery == dupEvery-1 && i >= 5 {
			sent[i] = sent[i-5]
		} else {
			sent[i] = next()
		}
		w := sent[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := post(ctx, c, base, w)
			done := time.Now()
			mu.Lock()
			defer mu.Unlock()
			res.Sent++
			if !ok {
				res.Failed++
				return
			}
			res.Acked++
			res.AckedIDs = append(res.AckedIDs, w.id)
			res.Latencies = append(res.Latencies, done.Sub(at))
			if _, seen := res.AckTimes[w.id]; !seen {
				res.AckTimes[w.id] = done
				res.SendTimes[w.id] = at
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}
