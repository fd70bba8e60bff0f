package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if rep.Failed() {
		fmt.Fprintln(os.Stderr, "bench: a check failed")
		os.Exit(1)
	}
}

// run parses args, runs the chosen scenarios on the chosen stores, prints the table to stdout and
// progress to stderr, and writes the JSON report. A scenario that fails on one store is recorded in
// Report.Problems and the run goes on; err is for bad options and unwritable output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (*Report, error) {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return nil, err
	}
	raiseFileLimit()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	rep := &Report{Machine: readMachine(), Started: time.Now(), Command: "bench " + strings.Join(redactArgs(args), " ")}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	attempt := func(what string, fn func() error) {
		if ctx.Err() != nil {
			return
		}
		start := time.Now()
		// The phase labels the CPU profile's samples (and those of the goroutines the phase
		// starts), so that -cpuprofile can be read per phase: go tool pprof -tagfocus 'phase=…'.
		var err error
		pprof.Do(ctx, pprof.Labels("phase", what), func(context.Context) { err = fn() })
		if err != nil {
			rep.problem("%s: %v", what, err)
			logf("%s: %v", what, err)
		} else {
			logf("%s: done in %.1f s", what, time.Since(start).Seconds())
		}
		if o.JSON != "" { // what is measured so far survives an interrupted run
			rep.Seconds = time.Since(rep.Started).Seconds()
			if err := rep.writeJSON(o.JSON); err != nil {
				logf("writing %s: %v", o.JSON, err)
			}
		}
	}

	if o.has(scenarioIngest) {
		// The baseline is measured right before each store, so that a ratio compares two
		// measurements taken under the same conditions (the machine may be shared).
		for _, kind := range o.Stores {
			var baseline float64
			attempt("ingest baseline before "+kind, func() (err error) {
				logf("ingest baseline: bare net/http handler, %d senders for %s, then %d/s offered", o.Senders, o.Duration, o.OfferedRate)
				baseline, err = runIngestBaseline(ctx, o, "baseline ("+kind+")", rep)
				return err
			})
			// The minimal inboxes of the store (none for memory) run right before it too.
			var ceilings []Ceiling
			for _, v := range ceilingVariants(o, kind) {
				attempt("ingest ceiling "+kind+": "+v.name, func() error {
					logf("ingest ceiling on %s: %s, %d senders for %s", kind, v.name, o.Senders, o.Duration)
					msgs, err := runIngestCeiling(ctx, o, kind, v, rep)
					if err == nil {
						ceilings = append(ceilings, Ceiling{Name: v.name, Value: msgs})
					}
					return err
				})
			}
			attempt("ingest on "+kind, func() error { return runIngest(ctx, o, kind, baseline, ceilings, rep, logf) })
		}
	}
	if o.has(scenarioBigbox) {
		for _, kind := range o.Stores {
			attempt("big inbox on "+kind, func() error { return runBigbox(ctx, o, kind, rep, logf) })
		}
	}
	if o.has(scenarioClaims) {
		for _, kind := range o.Stores {
			attempt("claims on "+kind, func() error { return runClaims(ctx, o, kind, rep, logf) })
		}
	}
	if o.has(scenarioFanout) {
		for _, kind := range o.Stores {
			attempt("fan-out on "+kind, func() error { return runFanout(ctx, o, kind, rep, logf) })
		}
	}
	if o.has(scenarioMemory) {
		attempt("memory of the example inbox", func() error { return runMemory(ctx, o, rep, logf) })
	}
	if err := ctx.Err(); err != nil {
		rep.problem("interrupted: %v", err)
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.print(stdout)
	if o.JSON != "" {
		if err := rep.writeJSON(o.JSON); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// redactArgs hides the value of -postgres (a connection string may hold a password).
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	hideNext := false
	for i, a := range args {
		switch {
		case hideNext:
			out[i], hideNext = "<url>", false
		case a == "-postgres" || a == "--postgres":
			out[i], hideNext = a, true
		case strings.HasPrefix(a, "-postgres=") || strings.HasPrefix(a, "--postgres="):
			out[i] = a[:strings.Index(a, "=")+1] + "<url>"
		default:
			out[i] = a
		}
	}
	return out
}

// raiseFileLimit lifts the soft limit on open files to the hard limit: the fan-out scenario holds
// two descriptors per SSE client.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
