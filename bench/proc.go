package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// memPeak is what polling a process tree's memory saw.
type memPeak struct {
	client   int64 // largest VmHWM of the process, bytes
	pool     int64 // sum over its children of each one's largest VmHWM
	children int
}

// watchMemory polls the VmHWM (peak resident set) of pid and of its direct
// children until stop is closed. VmHWM only grows, so the last reading of a
// process is its peak up to that moment; what a process does in its last
// poll interval can be missed, which is why wait4's figure is the main one.
//
// A child is counted once it has started its own program: between the fork
// and the exec a Go child shares its parent's memory, and /proc shows the
// parent's figures for it (and the parent's command line).
func watchMemory(pid int, stop <-chan struct{}) memPeak {
	var p memPeak
	kids := map[int]int64{}
	self := cmdline(pid)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if v := vmHWM(pid); v > p.client {
			p.client = v
		}
		for _, c := range children(pid) {
			if bytes.Equal(cmdline(c), self) {
				continue // not exec'd yet
			}
			if v := vmHWM(c); v > kids[c] {
				kids[c] = v
			}
		}
		select {
		case <-stop:
			for _, v := range kids {
				p.pool += v
			}
			p.children = len(kids)
			return p
		case <-tick.C:
		}
	}
}

// cmdline reads a process's command line, or nil once it is gone.
func cmdline(pid int) []byte {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return b
}

// vmHWM reads a process's peak resident set size in bytes, or 0 once it is
// gone.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "1234 kB"
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// children lists the direct children of pid, across all its threads (a Go
// program forks from whichever thread runs the goroutine).
func children(pid int) []int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// loadAverage is the 1-minute load average, or -1 when unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// kernel is the running kernel's release.
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return string(bytes.TrimSpace(b))
}

// memTotal is the machine's memory in bytes, or 0.
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
