package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestOptionsAreValidatedTogether(t *testing.T) {
	_, err := parseOptions([]string{"-stores", "memory,redis,postgres", "-scenarios", "ingest,9", "-size", "0"},
		func(string) string { return "" }, io.Discard)
	if err == nil {
		t.Fatal("bad options accepted")
	}
	for _, want := range []string{`unknown store "redis"`, "needs -postgres URL", `unknown scenario "9"`, "-size must be positive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOptionsDefaultsAndSmoke(t *testing.T) {
	o, err := parseOptions([]string{"-smoke", "-scenarios", "1,bigbox,5"}, func(k string) string {
		if k == "DAKENH_POSTGRES_URL" {
			return "postgres://u:secret@127.0.0.1/db"
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Stores, ",") != "memory,sqlite,postgres" {
		t.Errorf("stores %v: postgres is added when a URL is given", o.Stores)
	}
	if strings.Join(o.Scenarios, ",") != "ingest,bigbox,memory" {
		t.Errorf("scenarios %v", o.Scenarios)
	}
	if o.Size != 2000 || o.MemorySize != 2000 || o.Senders != 64 || o.DuplicateRate != 10 {
		t.Errorf("smoke sizes: %+v", o)
	}
}

func TestRedactArgsHidesThePostgresURL(t *testing.T) {
	got := strings.Join(redactArgs([]string{"-postgres", "postgres://u:pw@h/db", "-postgres=postgres://u:pw@h/db", "-size", "5"}), " ")
	if strings.Contains(got, "pw") || got != "-postgres <url> -postgres=<url> -size 5" {
		t.Errorf("redacted: %q", got)
	}
}

func TestPercentile(t *testing.T) {
	d := []int64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	var ds []time.Duration
	for _, v := range d {
		ds = append(ds, time.Duration(v))
	}
	if p := percentile(ds, 50); p != 5 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(ds, 99); p != 10 {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile(nil, 99); p != 0 {
		t.Errorf("p99 of nothing = %v", p)
	}
}
