package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Report is everything a run measured: the machine, the figures and the checks. It is what -json
// writes.
type Report struct {
	Machine  Machine   `json:"machine"`
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Figures  []Figure  `json:"figures"`
	Checks   []Check   `json:"checks"`
	Problems []string  `json:"problems,omitempty"`

	mu sync.Mutex
}

// Figure is one measured value. Baseline, when set, is the same figure for the bare net/http
// handler measured in the same run, and Ratio is Value / Baseline.
type Figure struct {
	Scenario string   `json:"scenario"`
	Store    string   `json:"store"`
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Unit     string   `json:"unit"`
	Baseline *float64 `json:"baseline,omitempty"`
	Ratio    *float64 `json:"ratio,omitempty"`
	// Target is the target for the figure, as text ("≤ 10 ms"), when it has one.
	Target string `json:"target,omitempty"`
	// P50, when set, is the median of a latency whose Value is the 99th percentile.
	P50 *float64 `json:"p50,omitempty"`
	// Samples is how many measurements a percentile is computed from.
	Samples int `json:"samples,omitempty"`
	// Ceilings are the same figure for the minimal inboxes of the store measured in the same run
	// (ceiling.go), each with Value / ceiling.
	Ceilings []Ceiling `json:"ceilings,omitempty"`
}

// Ceiling is a minimal inbox's figure beside a dakenh figure.
type Ceiling struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Ratio float64 `json:"ratio"`
}

// latency records the p50 and p99 of d as one figure (Value is the p99).
func (r *Report) latency(scenario, store, name, target string, d []time.Duration) {
	p50 := ms(percentile(d, 50))
	r.add(Figure{Scenario: scenario, Store: store, Name: name, Value: ms(percentile(d, 99)), P50: &p50, Unit: "ms",
		Target: target, Samples: len(d)})
}

// Check is a correctness check of a scenario (messages lost or doubled, double claims, events
// missed). A run with a failed check exits with status 1.
type Check struct {
	Scenario string `json:"scenario"`
	Store    string `json:"store"`
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail"`
}

// add records a figure.
func (r *Report) add(f Figure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Figures = append(r.Figures, f)
}

// addVsBaseline records a throughput figure beside its baseline.
func (r *Report) addVsBaseline(f Figure, baseline float64) {
	f.Baseline = &baseline
	if baseline > 0 {
		ratio := f.Value / baseline
		f.Ratio = &ratio
	}
	r.add(f)
}

// check records a check.
func (r *Report) check(c Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Checks = append(r.Checks, c)
}

// problem records a scenario that could not run to the end.
func (r *Report) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Failed reports whether a check failed or a scenario could not finish.
func (r *Report) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.Problems) > 0 {
		return true
	}
	return slices.ContainsFunc(r.Checks, func(c Check) bool { return !c.OK })
}

// find returns the figure of scenario, store and name (tests).
func (r *Report) find(scenario, store, name string) (Figure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.Figures {
		if f.Scenario == scenario && f.Store == store && f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

// writeJSON writes the report to path.
func (r *Report) writeJSON(path string) error {
	r.mu.Lock()
	data, err := json.MarshalIndent(r, "", "  ")
	r.mu.Unlock()
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// scenarioTitles head the table's sections.
var scenarioTitles = map[string]string{
	scenarioIngest: "1. ingest — signed Zalo + TikTok webhooks over loopback HTTP into Engine.WebhookHandler",
	scenarioBigbox: "2. big inbox — queries through the Engine over the seeded workspace",
	scenarioClaims: "3. claims — agents racing with Engine.Claim over waiting conversations",
	scenarioFanout: "4. live fan-out — SSE clients of the agent API while webhooks arrive",
	scenarioMemory: "5. memory — peak RSS of the example inbox on the seeded SQLite workspace",
}

// print writes the machine, the figures (grouped by scenario, in run order) and the checks.
func (r *Report) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.Machine
	fmt.Fprintf(w, "\nmachine: %d cores (%s), GOMAXPROCS %d, %s, %s, %s RAM\n", m.Cores, m.CPUModel, m.GOMAXPROCS,
		m.GoVersion, m.OS, formatBytes(m.MemoryBytes))
	fmt.Fprintf(w, "command: %s\n", r.Command)
	fmt.Fprintf(w, "started: %s, took %s\n", r.Started.Format(time.RFC3339), (time.Duration(r.Seconds) * time.Second).String())
	for _, sc := range allScenarios {
		var figs []Figure
		for _, f := range r.Figures {
			if f.Scenario == sc {
				figs = append(figs, f)
			}
		}
		if len(figs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", scenarioTitles[sc])
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "store\tfigure\tvalue\tunit\tbaseline\tratio\tdakenh / ceiling\ttarget\t")
		for _, f := range figs {
			base, ratio := "", ""
			if f.Baseline != nil {
				base = formatValue(*f.Baseline)
			}
			if f.Ratio != nil {
				ratio = fmt.Sprintf("%.0f%%", *f.Ratio*100)
			}
			name := f.Name
			if f.Samples > 0 {
				name += fmt.Sprintf(" (n=%d)", f.Samples)
			}
			value, unit := formatValue(f.Value), f.Unit
			if f.P50 != nil {
				value, unit = formatValue(*f.P50)+" / "+value, f.Unit+" p50 / p99"
			}
			var ceilings []string
			for _, c := range f.Ceilings {
				ceilings = append(ceilings, fmt.Sprintf("%.0f%% of %s (%s)", c.Ratio*100, formatValue(c.Value), c.Name))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Store, name, value, unit, base, ratio,
				strings.Join(ceilings, "; "), f.Target)
		}
		tw.Flush()
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w, "\nchecks")
		for _, c := range r.Checks {
			status := "ok  "
			if !c.OK {
				status = "FAIL"
			}
			fmt.Fprintf(w, "  %s %-7s %-8s %s: %s\n", status, c.Scenario, c.Store, c.Name, c.Detail)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  FAIL %s\n", p)
	}
}

// formatValue prints large numbers with thousands separators and small ones with 3 significant
// decimals.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case math.Abs(v) >= 1000:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		if neg {
			return "-" + b.String()
		}
		return b.String()
	case math.Abs(v) >= 100 || (v == math.Trunc(v) && math.Abs(v) >= 10):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func formatBytes(n uint64) string {
	const gib = 1 << 30
	if n >= gib {
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
