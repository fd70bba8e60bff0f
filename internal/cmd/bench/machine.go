package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a run happened.
type Machine struct {
	Cores       int    `json:"cores"`
	CPUModel    string `json:"cpuModel"`
	GoVersion   string `json:"goVersion"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	OS          string `json:"os"`
	MemoryBytes uint64 `json:"memoryBytes"`
}

// readMachine reads the machine from the runtime and /proc (fields it cannot read stay empty).
func readMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS + "/" + runtime.GOARCH, CPUModel: "unknown CPU"}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPUModel = v
	}
	if v := procField("/etc/os-release", "PRETTY_NAME"); v != "" {
		m.OS += ", " + strings.Trim(v, `"`)
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", Linux " + strings.TrimSpace(string(data))
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		if kb, err := strconv.ParseUint(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m.MemoryBytes = kb << 10
		}
	}
	return m
}

// procField returns the value of the first "key: value" or "key=value" line of a file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.Contains(k, "=") {
			k, v, ok = strings.Cut(line, "=")
		}
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// processStatus returns a field of /proc/<pid>/status in bytes ("VmHWM", "VmRSS"); 0 when unknown.
func processStatus(pid int, field string) uint64 {
	v := procField("/proc/"+strconv.Itoa(pid)+"/status", field)
	kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}
