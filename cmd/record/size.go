package main

import (
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag holding a byte count written as 64MiB, 1G, 500k or a
// plain number of bytes. Units are powers of 1024 (K, M, G, T, with or
// without "i" and "B").
type byteSize int64

func (s *byteSize) String() string { return formatBytes(int64(*s)) }
func (s *byteSize) Type() string   { return "size" }

func (s *byteSize) Set(v string) error {
	n, err := parseBytes(v)
	if err != nil {
		return err
	}
	*s = byteSize(n)
	return nil
}

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}}

func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	u := strings.ToUpper(s)
	u = strings.TrimSuffix(u, "B")
	u = strings.TrimSuffix(u, "I")
	var shift uint
	for _, unit := range sizeUnits {
		if rest, ok := strings.CutSuffix(u, unit.suffix); ok {
			u, shift = rest, unit.shift
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a non-negative number of bytes, optionally with K, M, G or T (powers of 1024)", v)
	}
	if shift > 0 && n > (1<<62)>>shift {
		return 0, fmt.Errorf("size %q: too large", v)
	}
	return n << shift, nil
}

func formatBytes(n int64) string {
	for _, unit := range sizeUnits {
		if n >= 1<<unit.shift && n%(1<<unit.shift) == 0 {
			return strconv.FormatInt(n>>unit.shift, 10) + unit.suffix + "iB"
		}
	}
	return strconv.FormatInt(n, 10)
}
