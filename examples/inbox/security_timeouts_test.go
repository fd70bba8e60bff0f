package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// shortTimeouts make stalled clients visible within a test; the waits below allow 100 times more.
// The write timeout bounds the whole answer of a genuine request too (a simulated customer's
// message goes through the emulator, the webhook and a commit): it gets 1.5 s, so that a machine
// loaded several times over still answers within it.
var shortTimeouts = ServerTimeouts{Header: 200 * time.Millisecond, Body: 200 * time.Millisecond,
	Write: 1500 * time.Millisecond, Idle: 200 * time.Millisecond, MaxHeaderBytes: 8 << 10}

// closedByServer waits (at most 20 s, far beyond the timeouts) until the server closes c, and
// reports whether it did: reading ends with EOF or a reset, not with the test's own deadline.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// 200 webhook requests that stop after their headers hold nothing for long: a genuine signed
// webhook gets its 200 meanwhile, and the server closes every stalled connection (body deadline),
// an idle keep-alive connection (IdleTimeout) and one that never finishes its headers; the event
// stream alone outlives the deadlines.
func TestStalledConnectionsAreClosed(t *testing.T) {
	app, stop := startAppWith(t, t.TempDir(), nil, noEnv, func(o *Options) { o.Timeouts = shortTimeouts })
	defer stop()
	addr := strings.TrimPrefix(app.url, "http://")

	const stalled = 200
	conns := make([]net.Conn, 0, stalled)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < stalled; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		path := []string{"/webhooks/zalo", "/webhooks/tiktok", "/api/conversations/x/done", "/auth/login"}[i%4]
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"partial\":", path, addr)
	}
	headerless, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer headerless.Close()
	fmt.Fprintf(headerless, "POST /webhooks/zalo HTTP/1.1\r\nHost: %s\r\n", addr)

	// A genuine webhook (signed by the emulator, posted to the app) is accepted meanwhile.
	app.customerSays(kindZalo, "zl-stall", "Khách Chờ", "Vẫn nhận được tin chứ shop?", nil)
	app.conversationOf("Khách Chờ")

	// An idle keep-alive connection after one answered request.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /login HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("keep-alive request: %v %v", resp, err)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	open := 0
	for _, c := range append(conns, headerless, idle) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !closedByServer(c) {
				mu.Lock()
				open++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if open > 0 {
		t.Fatalf("%d of %d stalled or idle connections still open after 20 s", open, stalled+2)
	}

	// Headers beyond MaxHeaderBytes are refused.
	big, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	fmt.Fprintf(big, "GET /login HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n", addr, strings.Repeat("a", 64<<10))
	resp, err = http.ReadResponse(bufio.NewReader(big), nil)
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversize headers: %v %v", resp, err)
	}
}

// The event stream is exempt from the read and write deadlines: an event written after them
// still arrives.
func TestEventStreamOutlivesDeadlines(t *testing.T) {
	app, stop := startAppWith(t, t.TempDir(), nil, noEnv, func(o *Options) { o.Timeouts = shortTimeouts })
	defer stop()
	c := client(t)
	if resp, err := postForm(c, app.url+"/auth/login", map[string][]string{"user": {supervisorID}, "password": {DemoPassword}}); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", resp, err)
	}
	// A first request on the same connection leaves its deadlines behind.
	if st, _ := me(t, c, app.url); st != http.StatusOK {
		t.Fatalf("/api/me = %d", st)
	}
	resp, err := c.Get(app.url + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	time.Sleep(2 * shortTimeouts.Write) // past every deadline of a non-streaming request
	app.customerSays(kindTikTok, "tt-late", "Khách Muộn", "Tin sau hạn", nil)
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the event stream was closed")
			}
			if strings.Contains(l, "Tin sau hạn") {
				return
			}
		case <-timeout:
			t.Fatal("no event within 20 s")
		}
	}
}
