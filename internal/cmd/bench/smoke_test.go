package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs every scenario in -smoke mode on memory and sqlite, and on postgres when
// DAKENH_POSTGRES_URL is set (under CI=true it must be), and asserts the checks: stored =
// acknowledged − duplicates, no double claim, every SSE client got every event, RSS measured.
func TestSmoke(t *testing.T) {
	pgURL := os.Getenv("DAKENH_POSTGRES_URL")
	if pgURL == "" && os.Getenv("CI") == "true" {
		t.Fatal("CI=true: DAKENH_POSTGRES_URL must be set (.ci/postgres.sh starts a server)")
	}
	stores := []string{storeMemory, storeSQLite}
	if pgURL != "" {
		stores = append(stores, storePostgres)
	}
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "bench.json")
	args := []string{"-smoke", "-stores", strings.Join(stores, ","), "-data", filepath.Join(dir, "data"),
		"-inbox-bin", buildInboxForTest(t, dir), "-json", jsonPath, "-reseed"}
	if raceEnabled {
		args = append(args, "-size", "200", "-regulars", "20", "-rate", "100", "-duration", "500ms", "-claim-conversations", "100", "-claim-agents", "10",
			"-fanout-clients", "20")
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := run(ctx, args, func(k string) string {
		if k == "DAKENH_POSTGRES_URL" {
			return pgURL
		}
		return ""
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	t.Log(stderr.String() + stdout.String())
	if rep.Failed() {
		t.Fatalf("a check failed or a scenario did not finish:\n%s\n%s", stdout.String(), stderr.String())
	}

	want := map[string][]string{ // scenario → the checks every store must have passed
		scenarioIngest: {"stored = acknowledged − duplicates", "acknowledged ids found"},
		scenarioClaims: {"one owner per conversation"},
		scenarioFanout: {"every client got every event"},
	}
	for sc, names := range want {
		for _, st := range stores {
			for _, name := range names {
				if !hasPassed(rep, sc, st, name) {
					t.Errorf("%s on %s: check %q missing", sc, st, name)
				}
			}
		}
	}
	if !hasPassed(rep, scenarioMemory, storeSQLite, "RSS measured, requests answered") {
		t.Error("memory: the RSS check is missing")
	}
	for _, st := range stores {
		for _, fig := range []struct{ sc, name string }{
			{scenarioIngest, "msgs/s (64 senders, closed loop)"},
			{scenarioBigbox, "list first page: no filter"},
			{scenarioBigbox, "unread count: supervisor"},
			{scenarioBigbox, "search name: rare (a full name)"},
			{scenarioClaims, "claims/s (successful)"},
			{scenarioFanout, "webhook 200 → event read by the client"},
		} {
			f, ok := rep.find(fig.sc, st, fig.name)
			if !ok || (fig.sc != scenarioFanout && f.Value <= 0) {
				t.Errorf("%s on %s: figure %q missing or not positive (%+v)", fig.sc, st, fig.name, f)
			}
		}
		if f, ok := rep.find(scenarioIngest, st, "msgs/s (64 senders, closed loop)"); ok && (f.Baseline == nil || *f.Baseline <= 0) {
			t.Errorf("ingest on %s: no baseline beside msgs/s", st)
		}
	}
	if f, ok := rep.find(scenarioMemory, storeSQLite, "peak RSS (VmHWM) while browsing"); !ok || f.Value <= 0 {
		t.Errorf("memory: peak RSS not measured (%+v)", f)
	}

	var written Report
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &written); err != nil {
		t.Fatal(err)
	}
	if len(written.Figures) != len(rep.Figures) || written.Machine.Cores == 0 || written.Machine.GoVersion == "" {
		t.Errorf("JSON report: %d figures (want %d), machine %+v", len(written.Figures), len(rep.Figures), written.Machine)
	}
	if pgURL != "" && (strings.Contains(stdout.String(), pgURL) || strings.Contains(string(data), pgURL)) {
		t.Error("the PostgreSQL URL appears in the output")
	}
}

func hasPassed(rep *Report, scenario, store, name string) bool {
	for _, c := range rep.Checks {
		if c.Scenario == scenario && c.Store == store && c.Name == name {
			return c.OK
		}
	}
	return false
}

// buildInboxForTest builds examples/inbox into dir, with the race detector when the test has it
// (the dependencies are then already compiled that way).
func buildInboxForTest(t *testing.T, dir string) string {
	t.Helper()
	root, err := moduleRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "inbox")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./examples/inbox")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/inbox: %v\n%s", err, out)
	}
	return bin
}
