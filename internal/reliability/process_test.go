package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the inbox binary built once for every crash test of this run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dakenh-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// inboxBinary builds examples/inbox (without -race: only the test process needs it) once per run.
func inboxBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("the go command is not on PATH: %v", err)
		}
		buildPath = filepath.Join(binDir, "inbox")
		start := time.Now()
		cmd := exec.Command(goTool, "build", "-o", buildPath, "github.com/dakenh/dakenh/examples/inbox")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build examples/inbox: %v\n%s", err, out)
			return
		}
		t.Logf("built examples/inbox in %s", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// inboxProcess is one run of the example inbox binary.
type inboxProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *tailBuffer
	done   chan struct{}
}

// startInbox starts the binary with args and waits until it prints the URL it serves on. The
// child gets no DAKENH_* variable from the test's environment: the flags say everything, but for
// the first supervisor's account (DAKENH_SUPERVISOR_*, used on the first start only).
func startInbox(t *testing.T, bin string, args []string) *inboxProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DAKENH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DAKENH_SUPERVISOR_ID="+crashSupervisor, "DAKENH_SUPERVISOR_PASSWORD="+crashPassword)
	ready := make(chan string, 1)
	p := &inboxProcess{cmd: cmd, stderr: &tailBuffer{max: 64 << 10}, done: make(chan struct{})}
	cmd.Stdout = &urlWatcher{found: ready}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the inbox: %v", err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	select {
	case p.url = <-ready:
		return p
	case <-p.done:
		t.Fatalf("the inbox exited before serving:\n%s", p.stderr.String())
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("the inbox did not start within 60 s:\n%s", p.stderr.String())
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *inboxProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to shut down gracefully (SIGTERM) and waits, killing it after 20 s.
func (p *inboxProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.kill()
	}
}

// urlWatcher scans the inbox's stdout for "dakenh inbox on <url> " and reports the URL once.
type urlWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	sent  bool
}

func (w *urlWatcher) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent {
		return len(b), nil
	}
	w.buf.Write(b)
	const marker = "dakenh inbox on "
	s := w.buf.String()
	if i := strings.Index(s, marker); i >= 0 {
		rest := s[i+len(marker):]
		if j := strings.IndexAny(rest, " \n"); j > 0 {
			w.found <- rest[:j]
			w.sent = true
		}
	}
	return len(b), nil
}

// tailBuffer keeps the last max bytes written (the child's logs, shown when a test fails).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// waitFor polls cond every 20 ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
