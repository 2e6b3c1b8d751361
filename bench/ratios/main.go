// Command ratios reads `go test -bench` output on stdin and prints each
// benchmark's figures beside the baseline measured in the same run, as a
// ratio. Pairs are given as arguments "pkg:Name=Baseline", e.g.
// "format:Writer=WriterBaseline"; the package part matches the end of
// the "pkg:" line that go test prints before each package's results.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// result holds one benchmark line's metrics by unit (ns/op, events/s, ...).
type result map[string]float64

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parse(sc *bufio.Scanner) (map[string]result, []string) {
	out := map[string]result{}
	var order []string
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "pkg: ") {
			pkg = strings.TrimPrefix(line, "pkg: ")
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[3])
		r := result{}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err == nil {
				r[fields[i+1]] = v
			}
		}
		key := pkg + ":" + m[1]
		if _, seen := out[key]; !seen {
			order = append(order, key)
		}
		out[key] = r
	}
	return out, order
}

func find(all map[string]result, pkgSuffix, name string) (result, string, bool) {
	for k, r := range all {
		i := strings.LastIndexByte(k, ':')
		if strings.HasSuffix(k[:i], pkgSuffix) && k[i+1:] == name {
			return r, k, true
		}
	}
	return nil, "", false
}

func main() {
	all, order := parse(bufio.NewScanner(os.Stdin))
	fmt.Println("Go benchmarks (ratio = benchmark / baseline from the same run)")
	for _, pair := range os.Args[1:] {
		pkg, rest, ok1 := strings.Cut(pair, ":")
		name, base, ok2 := strings.Cut(rest, "=")
		if !ok1 || !ok2 {
			fmt.Fprintf(os.Stderr, "ratios: bad pair %q (want pkg:Name=Baseline)\n", pair)
			os.Exit(2)
		}
		r, key, ok := find(all, pkg, name)
		if !ok {
			fmt.Printf("  %-40s missing from this run\n", pkg+":"+name)
			continue
		}
		b, _, okb := find(all, pkg, base)
		units := make([]string, 0, len(r))
		for u := range r {
			units = append(units, u)
		}
		sort.Strings(units)
		fmt.Printf("  %s\n", key)
		for _, u := range units {
			if okb && b[u] != 0 {
				fmt.Printf("      %-14s %14.4g   baseline %-14.4g ratio %.3f\n", u, r[u], b[u], r[u]/b[u])
			} else {
				fmt.Printf("      %-14s %14.4g\n", u, r[u])
			}
		}
	}
	_ = order
}
