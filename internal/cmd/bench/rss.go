package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/internal/bigbox"
)

// runMemory starts the example inbox on the seeded big-inbox SQLite file, signs in as the
// workspace's supervisor and browses for o.Duration (list pages and filters, open conversations,
// search), then reads the process's peak RSS (VmHWM).
func runMemory(ctx context.Context, o Options, rep *Report, logf func(string, ...any)) error {
	spec := bigboxSpec(o.Size)
	_, info, closeStore, err := openSeeded(ctx, o, storeSQLite, spec, logf)
	if err != nil {
		return err
	}
	closeStore()
	bin := o.InboxBinary
	tmp, err := os.MkdirTemp("", "dakenh-bench-inbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		logf("building examples/inbox")
		if bin, err = buildInbox(ctx, tmp); err != nil {
			return err
		}
	}

	logf("memory: starting the example inbox on %s", info.Path)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", info.Path, "-data", filepath.Join(tmp, "data"),
		// Provider credentials switch demo mode off: no emulators, no demo conversations written
		// into the seeded workspace. Nothing calls the providers during the scenario.
		"-zalo-app-id", "bench", "-zalo-app-secret", "bench", "-zalo-oa-secret", "bench",
		// Real providers need the public URL (nothing reaches it) and real accounts: the seeded
		// supervisor gets the bench's password from the environment on the first start.
		"-public-url", "http://127.0.0.1")
	cmd.Env = append(withoutDakenhEnv(os.Environ()),
		"DAKENH_SUPERVISOR_ID="+bigbox.SupervisorID, "DAKENH_SUPERVISOR_PASSWORD="+benchPassword)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	base, err := inboxURL(stdout, exited)
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, stdout)
	pid := cmd.Process.Pid
	startRSS := processStatus(pid, "VmRSS")

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
	if err := login(ctx, client, base); err != nil {
		return err
	}
	logf("memory: browsing for %s", o.Duration)
	var requests, failures atomic.Int64
	b := &browser{ctx: ctx, c: client, base: base, requests: &requests, failures: &failures}
	deadline := time.Now().Add(o.Duration)
	phone := ""
	for round := 0; time.Now().Before(deadline) && ctx.Err() == nil; round++ {
		b.browse(round, spec, &phone)
	}
	peak := processStatus(pid, "VmHWM")
	endRSS := processStatus(pid, "VmRSS")

	rep.add(Figure{Scenario: scenarioMemory, Store: storeSQLite, Name: "peak RSS (VmHWM) while browsing", Value: float64(peak) / (1 << 20),
		Unit: "MiB", Target: "≤ 200 MiB"})
	rep.add(Figure{Scenario: scenarioMemory, Store: storeSQLite, Name: "RSS after start-up", Value: float64(startRSS) / (1 << 20), Unit: "MiB"})
	rep.add(Figure{Scenario: scenarioMemory, Store: storeSQLite, Name: "RSS at the end", Value: float64(endRSS) / (1 << 20), Unit: "MiB"})
	rep.add(Figure{Scenario: scenarioMemory, Store: storeSQLite, Name: "agent API requests made", Value: float64(requests.Load()), Unit: "requests"})
	rep.add(Figure{Scenario: scenarioMemory, Store: storeSQLite, Name: "conversations in the workspace", Value: float64(info.Totals.Conversations), Unit: "rows"})
	rep.check(Check{Scenario: scenarioMemory, Store: storeSQLite, Name: "RSS measured, requests answered",
		OK:     peak > 0 && failures.Load() == 0 && requests.Load() > 0,
		Detail: fmt.Sprintf("peak %d MiB over %d requests, %d failed", peak>>20, requests.Load(), failures.Load())})
	return nil
}

// buildInbox builds examples/inbox into dir with the go command of the module.
func buildInbox(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "inbox")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/inbox")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./examples/inbox: %v: %s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory of the module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (run the tool from the repository, or pass -inbox-bin)", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the dakenh module: run from the repository, or pass -inbox-bin")
	}
	return filepath.Dir(gomod), nil
}

// withoutDakenhEnv drops DAKENH_* variables so that the child's flags alone choose its store.
func withoutDakenhEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DAKENH_") {
			out = append(out, kv)
		}
	}
	return out
}

// inboxURL reads the start-up line "dakenh inbox on http://… (…)" from the child's stdout.
func inboxURL(stdout io.Reader, exited <-chan error) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "dakenh inbox on "); ok {
				found <- strings.Fields(rest)[0]
				return
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			return "", errors.New("the example inbox exited before printing its URL")
		}
		return u, nil
	case err := <-exited:
		return "", fmt.Errorf("the example inbox exited at start-up: %v", err)
	case <-time.After(10 * time.Minute):
		return "", errors.New("the example inbox did not start within 10 minutes")
	}
}

// benchPassword is the seeded supervisor's password in the example inbox (its first account).
const benchPassword = "bench-supervisor-password"

// login signs in as the seeded supervisor.
func login(ctx context.Context, c *http.Client, base string) error {
	form := url.Values{"user": {bigbox.SupervisorID}, "password": {benchPassword}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/auth/login", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Dakenh-Csrf", "1") // inboxapi.CSRFHeader: the login refuses form posts without it
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "dakenh_session" {
			return nil
		}
	}
	return errors.New("signing in to the example inbox failed (no session cookie)")
}

// browser plays an agent in the web inbox: the calls its pages make.
type browser struct {
	ctx                context.Context
	c                  *http.Client
	base               string
	requests, failures *atomic.Int64
}

// get fetches an API path and decodes nothing; it counts the request and non-200 answers.
func (b *browser) get(path string, into func(io.Reader)) {
	b.requests.Add(1)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, b.base+"/api"+path, nil)
	if err != nil {
		b.failures.Add(1)
		return
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.failures.Add(1)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.failures.Add(1)
		io.Copy(io.Discard, resp.Body)
		return
	}
	if into != nil {
		into(resp.Body)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
}

// browse does one round: the list and a few of its next pages with a filter of the round, opens
// the conversations of the first page, and searches.
func (b *browser) browse(round int, spec bigbox.Spec, phone *string) {
	filters := []string{"", "status=open", "read=unread", "assignee=unassigned", "channel=tiktok", "team=" + bigbox.TeamID(1)}
	filter := filters[round%len(filters)]
	var page inboxapi.ConversationList
	b.get("/conversations?limit=50&"+filter, func(r io.Reader) { decodeJSON(r, &page) })
	first := page
	for i := 0; i < 3 && page.Next != ""; i++ {
		next := page.Next
		page = inboxapi.ConversationList{}
		b.get("/conversations?limit=50&"+filter+"&cursor="+url.QueryEscape(next), func(r io.Reader) { decodeJSON(r, &page) })
	}
	for i, c := range first.Items {
		if i >= 5 {
			break
		}
		if *phone == "" && strings.HasPrefix(c.ContactPhone, "+84") {
			*phone = "0" + c.ContactPhone[3:]
		}
		b.get("/conversations/"+url.PathEscape(c.ID), nil)
		b.get("/conversations/"+url.PathEscape(c.ID)+"/messages?limit=50", nil)
		b.get("/conversations/"+url.PathEscape(c.ID)+"/customer", nil)
	}
	thread, _ := threadToOpen(spec)
	b.get("/conversations/"+url.PathEscape(thread)+"/messages?limit=50", nil)
	searches := []string{"Nguyễn", bigbox.Name(spec, 4242+round), "Khôngcó Aitên"}
	if *phone != "" {
		searches = append(searches, *phone)
	}
	b.get("/conversations?limit=50&q="+url.QueryEscape(searches[round%len(searches)]), nil)
	b.get("/conversations/unread-count", nil)
}

// decodeJSON decodes r into v; a body that does not decode leaves v as it was.
func decodeJSON(r io.Reader, v any) { _ = json.NewDecoder(r).Decode(v) }
