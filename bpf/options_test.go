package bpf

import (
	"strings"
	"testing"
	"time"
)

// envMatches applies a pattern table the way env_matches in
// rewind_fields.h does: the first 32 bytes of the string (NUL and then
// stale bytes after its end) under each pattern's mask.
func envMatches(f rewindEnvFilter, v string) bool {
	var buf [32]byte
	for i := range buf {
		buf[i] = 0xaa // stale bytes
	}
	n := copy(buf[:], v)
	if n < len(buf) {
		buf[n] = 0
	}
	for p := 0; p < int(f.Count); p++ {
		ok := true
		for w := 0; w < 4; w++ {
			if le64(buf[w*8:])&f.Pat[p].Mask[w] != f.Pat[p].Word[w] {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestEnvFilterSelectsByNameAndPrefix(t *testing.T) {
	f, err := envFilter([]string{"LD_PRELOAD", "LC_*", "A_VERY_LONG_VARIABLE_NAME_OF_31"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  string
		want bool
	}{
		{"LD_PRELOAD=/tmp/evil.so", true},
		{"LD_PRELOAD=", true},
		{"LD_PRELOADER=1", false},
		{"LD_PRELOAD", false},
		{"LD_PREL", false},
		{"LC_ALL=C", true},
		{"LC_=x", true},
		{"LANG=C", false},
		{"A_VERY_LONG_VARIABLE_NAME_OF_31=yes", true},
		{"A_VERY_LONG_VARIABLE_NAME_OF_3=no", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := envMatches(f, tt.env); got != tt.want {
			t.Errorf("%q: match %v, want %v", tt.env, got, tt.want)
		}
	}
}

func TestOptionsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"a ring size that is not a power of two", Options{RingBytes: 3 << 20}, "ring buffer size 3145728: must be a power of two"},
		{"a ring smaller than a page", Options{RingBytes: 1024}, "ring buffer size 1024: must be a power of two of at least"},
		{"too many environment selectors", Options{Env: strings.Split("A,B,C,D,E,F,G,H,I", ",")}, "9 environment selectors: at most 8"},
		{"an empty selector", Options{Env: []string{""}}, `environment selector "": want NAME or PREFIX* of 1 to 31 bytes`},
		{"a selector with an equals sign", Options{Env: []string{"A=B"}}, `environment selector "A=B"`},
		{"a selector too long for the kernel's 32 bytes", Options{Env: []string{strings.Repeat("X", 32)}}, "of 1 to 31 bytes"},
		{"a star inside a selector", Options{Env: []string{"L*D"}}, `environment selector "L*D"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := loadRewind()
			if err != nil {
				t.Fatal(err)
			}
			err = configure(spec, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultOptionsConfigure(t *testing.T) {
	spec, err := loadRewind()
	if err != nil {
		t.Fatal(err)
	}
	if err := configure(spec, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := spec.Maps[rewindMapEvents].MaxEntries; got != DefaultRingBytes {
		t.Errorf("ring size %d, want %d", got, DefaultRingBytes)
	}
	if got := len(spec.Maps[rewindMapInterest].Contents); got != len(recordedSyscalls) {
		t.Errorf("%d interest entries, want %d", got, len(recordedSyscalls))
	}
}

func TestBootClockMatchesWallClock(t *testing.T) {
	c, err := MeasureBootClock()
	if err != nil {
		t.Fatal(err)
	}
	if c.Epoch(0) != 0 {
		t.Errorf("Epoch(0) = %d, want 0 (unknown)", c.Epoch(0))
	}
	boot := uint64(time.Now().UnixNano() - c.OffsetNs)
	again, err := MeasureBootClock()
	if err != nil {
		t.Fatal(err)
	}
	// Two measurements agree to well under a millisecond unless the wall
	// clock was stepped in between.
	if d := again.OffsetNs - c.OffsetNs; d > int64(time.Millisecond) || d < -int64(time.Millisecond) {
		t.Errorf("offsets %d and %d differ by %v", c.OffsetNs, again.OffsetNs, time.Duration(d))
	}
	if got := time.Unix(0, c.Epoch(boot)); time.Since(got) > time.Second {
		t.Errorf("Epoch of the boot clock now is %v", got)
	}
}

func TestSyscallTableMatchesTheKernelSide(t *testing.T) {
	seen := map[int32]string{}
	for _, s := range recordedSyscalls {
		if prev, ok := seen[s.nr]; ok {
			t.Errorf("syscall number %d used by %s and %s", s.nr, prev, s.name)
		}
		seen[s.nr] = s.name
		if s.class == rewindSyscallClassCLASS_NONE {
			t.Errorf("%s has no class", s.name)
		}
	}
	if got := syscallName(KindExit, -1); got != "sched_process_exit" {
		t.Errorf("exit without syscall named %q", got)
	}
	if got := syscallName(KindOpen, 999); got != "syscall_999" {
		t.Errorf("unknown syscall named %q", got)
	}
}
