// Command treerss runs a command and prints the peak resident set size of
// its whole process tree (the command and every descendant, summed),
// sampled from /proc every few milliseconds (Linux only). It exits with
// the command's status, so a failed run is never read as a measurement,
// or 4 when the peak is over -limit-mb.
//
//	go run ./scripts/treerss -- sprawl scan git REPO
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	verbose := flag.Bool("v", false, "also print each process's peak, by command line")
	limit := flag.Float64("limit-mb", 0, "fail (exit 4) when the peak exceeds this many megabytes (10^6 bytes)")
	every := flag.Duration("every", 20*time.Millisecond, "sampling interval")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: treerss [-every D] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "treerss:", err)
		os.Exit(2)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak, peakSelf int64
	perCmd, atPeak := map[string]int64{}, map[string]int64{}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case err = <-done:
			break loop
		case <-tick.C:
			now := map[string]int64{}
			total, self := treeRSS(cmd.Process.Pid, now)
			if total > peak {
				atPeak = now
			}
			for c, r := range now {
				perCmd[c] = max(perCmd[c], r)
			}
			peak, peakSelf = max(peak, total), max(peakSelf, self)
		}
	}
	if *verbose {
		fmt.Fprintln(os.Stderr, "each process's peak:")
		for c, r := range perCmd {
			fmt.Fprintf(os.Stderr, "  %7.1f MiB  %s\n", float64(r)/(1<<20), c)
		}
		fmt.Fprintln(os.Stderr, "at the tree's peak:")
		for c, r := range atPeak {
			fmt.Fprintf(os.Stderr, "  %7.1f MiB  %s\n", float64(r)/(1<<20), c)
		}
	}
	fmt.Fprintf(os.Stderr, "peak RSS of the process tree: %.1f MiB = %.0f MB (the command alone: %.1f MiB)\n",
		float64(peak)/(1<<20), float64(peak)/1e6, float64(peakSelf)/(1<<20))
	if *limit > 0 && float64(peak) > *limit*1e6 {
		fmt.Fprintf(os.Stderr, "treerss: peak %.0f MB is over the limit of %.0f MB\n", float64(peak)/1e6, *limit)
		os.Exit(4)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "treerss:", err)
		os.Exit(2)
	}
}

// treeRSS sums the resident set of pid and its descendants, in bytes,
// and records each one's in rssOf by command line.
func treeRSS(pid int, rssOf map[string]int64) (total, self int64) {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The parent is the second field after the parenthesised name.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], p)
	}
	type visit struct{ pid, parent int }
	queue := []visit{{pid, 0}}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		p := v.pid
		for _, c := range children[p] {
			queue = append(queue, visit{c, p})
		}
		// A child started with vfork (Go's os/exec does) shares its
		// parent's memory until it execs: its resident set is the
		// parent's, counted once.
		if v.parent != 0 && sameMemory(v.parent, p) {
			continue
		}
		r := rss(p)
		if p == pid {
			self = r
		}
		total += r
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); err == nil {
			c := strings.Join(strings.Fields(strings.ReplaceAll(string(b), "\x00", " ")), " ")
			if len(c) > 120 {
				c = "…" + c[len(c)-120:]
			}
			rssOf[c] += r
		}
	}
	return total, self
}

// kcmpVM is KCMP_VM of linux/kcmp.h.
const kcmpVM = 1

// sameMemory reports whether processes a and b share one address space
// (kcmp KCMP_VM); false where that cannot be told.
func sameMemory(a, b int) bool {
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(a), uintptr(b), kcmpVM, 0, 0, 0)
	return errno == 0 && r == 0
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
