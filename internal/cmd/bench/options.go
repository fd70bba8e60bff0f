package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Store names of -stores.
const (
	storeMemory   = "memory"
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// Scenario names of -scenarios (1…5 are accepted too).
const (
	scenarioIngest = "ingest"
	scenarioBigbox = "bigbox"
	scenarioClaims = "claims"
	scenarioFanout = "fanout"
	scenarioMemory = "memory"
)

var allScenarios = []string{scenarioIngest, scenarioBigbox, scenarioClaims, scenarioFanout, scenarioMemory}

// Options configure a run. parseOptions fills them from flags and the environment and validates
// them; -smoke replaces the sizes and durations of the defaults with small ones.
type Options struct {
	Stores    []string
	Postgres  string
	Scenarios []string
	// Size is the number of conversations of the big inbox; MemorySize the memory store's.
	Size, MemorySize int
	// Duration is the length of each timed phase (closed-loop and open-loop ingest, fan-out).
	Duration time.Duration
	Smoke    bool
	// DataDir holds the SQLite files; Reseed rebuilds a seeded big inbox instead of reusing it.
	DataDir string
	Reseed  bool
	JSON    string
	// CPUProfile, when set, is where the run's CPU profile is written (go tool pprof).
	CPUProfile string
	// InboxBinary is a built examples/inbox; empty: the tool builds it with the go command.
	InboxBinary string

	Senders       int
	Regulars      int // customers whose conversations exist before the ingest and fan-out clocks start
	OfferedRate   int
	DuplicateRate int // one delivery in DuplicateRate repeats an acknowledged one
	ClaimAgents   int
	ClaimConvs    int
	FanoutClients int
	FanoutRate    int
	// Samples caps the measurements of each big-inbox query; QueryBudget caps the time spent on one.
	Samples     int
	QueryBudget time.Duration
	// DeepRow is the row the deep page of the big inbox starts after.
	DeepRow int

	// seeded holds the big inboxes seeded by this run (SQLite paths, PostgreSQL schemas): -reseed
	// does not seed them a second time.
	seeded map[string]bool
}

// parseOptions reads args; getenv supplies DAKENH_POSTGRES_URL.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stores := fs.String("stores", "", "comma-separated stores: memory, sqlite, postgres (default memory,sqlite and postgres when a URL is given)")
	fs.StringVar(&o.Postgres, "postgres", getenv("DAKENH_POSTGRES_URL"), "PostgreSQL URL (env DAKENH_POSTGRES_URL); the tool creates and drops its own schemas")
	scenarios := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios: ingest, bigbox, claims, fanout, memory (or 1-5)")
	fs.IntVar(&o.Size, "size", 1_000_000, "conversations of the big inbox (about 10 messages each)")
	fs.IntVar(&o.MemorySize, "memory-size", 0, "conversations of the memory store's big inbox (default -size)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each timed phase")
	fs.BoolVar(&o.Smoke, "smoke", false, "seconds and small data: every scenario once, for CI")
	fs.StringVar(&o.DataDir, "data", "bench-data", "directory of the SQLite files (the seeded big inbox is kept and reused)")
	fs.BoolVar(&o.Reseed, "reseed", false, "seed the big inbox again even when a complete seed of the same size exists")
	fs.StringVar(&o.JSON, "json", "", "write the figures as JSON to this file")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.InboxBinary, "inbox-bin", "", "a built examples/inbox binary for scenario 5 (default: go build it)")
	fs.IntVar(&o.Senders, "senders", 64, "concurrent webhook senders of the ingest scenario")
	fs.IntVar(&o.Regulars, "regulars", 500, "customers per channel with a conversation before the ingest clock starts")
	fs.IntVar(&o.OfferedRate, "rate", 1000, "offered webhooks/s of the ingest latency phase (open loop)")
	fs.IntVar(&o.ClaimAgents, "claim-agents", 200, "agents racing in the claims scenario")
	fs.IntVar(&o.ClaimConvs, "claim-conversations", 10_000, "waiting conversations of the claims scenario")
	fs.IntVar(&o.FanoutClients, "fanout-clients", 1000, "SSE clients of the fan-out scenario")
	fs.IntVar(&o.FanoutRate, "fanout-rate", 10, "webhooks/s during the fan-out scenario")
	fs.IntVar(&o.Samples, "samples", 200, "measurements of each big-inbox query (fewer when -query-budget runs out)")
	fs.DurationVar(&o.QueryBudget, "query-budget", 3*time.Second, "time spent measuring one big-inbox query")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.DuplicateRate, o.DeepRow, o.seeded = 10, 5000, map[string]bool{}
	if o.Smoke {
		smoke := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		smoke("size", func() { o.Size = 2000 })
		smoke("duration", func() { o.Duration = time.Second })
		smoke("rate", func() { o.OfferedRate = 300 })
		smoke("regulars", func() { o.Regulars = 50 })
		smoke("claim-agents", func() { o.ClaimAgents = 20 })
		smoke("claim-conversations", func() { o.ClaimConvs = 300 })
		smoke("fanout-clients", func() { o.FanoutClients = 40 })
		smoke("fanout-rate", func() { o.FanoutRate = 10 })
		smoke("samples", func() { o.Samples = 5 })
		smoke("query-budget", func() { o.QueryBudget = 200 * time.Millisecond })
		o.DeepRow = 300
	}
	if o.MemorySize == 0 {
		o.MemorySize = o.Size
	}
	if *stores == "" {
		*stores = "memory,sqlite"
		if o.Postgres != "" {
			*stores += ",postgres"
		}
	}
	o.Stores = splitList(*stores)
	for _, s := range splitList(*scenarios) {
		if n := strings.TrimSpace(s); len(n) == 1 && n[0] >= '1' && n[0] <= '5' {
			s = allScenarios[n[0]-'1']
		}
		o.Scenarios = append(o.Scenarios, s)
	}
	return o, o.validate()
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	if len(o.Stores) == 0 {
		errs = append(errs, errors.New("-stores: name at least one store"))
	}
	for _, s := range o.Stores {
		if !slices.Contains([]string{storeMemory, storeSQLite, storePostgres}, s) {
			errs = append(errs, fmt.Errorf("-stores: unknown store %q (memory, sqlite, postgres)", s))
		}
	}
	if slices.Contains(o.Stores, storePostgres) && o.Postgres == "" {
		errs = append(errs, errors.New("-stores postgres needs -postgres URL or DAKENH_POSTGRES_URL"))
	}
	if len(o.Scenarios) == 0 {
		errs = append(errs, errors.New("-scenarios: name at least one scenario"))
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(allScenarios, s) {
			errs = append(errs, fmt.Errorf("-scenarios: unknown scenario %q (%s)", s, strings.Join(allScenarios, ", ")))
		}
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"-size", int64(o.Size)}, {"-memory-size", int64(o.MemorySize)}, {"-duration", int64(o.Duration)},
		{"-senders", int64(o.Senders)}, {"-regulars", int64(o.Regulars)}, {"-rate", int64(o.OfferedRate)}, {"-claim-agents", int64(o.ClaimAgents)},
		{"-claim-conversations", int64(o.ClaimConvs)}, {"-fanout-clients", int64(o.FanoutClients)},
		{"-fanout-rate", int64(o.FanoutRate)}, {"-samples", int64(o.Samples)}, {"-query-budget", int64(o.QueryBudget)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", p.name))
		}
	}
	if o.DataDir == "" {
		errs = append(errs, errors.New("-data must not be empty"))
	}
	return errors.Join(errs...)
}

// has reports whether the run includes scenario s.
func (o Options) has(s string) bool { return slices.Contains(o.Scenarios, s) }
