package bpf

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenRecords are records as the kernel writes them, one per shape the
// decoder handles; their decoded Events are kept in testdata/decode/.
func goldenRecords() map[string][]byte {
	recs := map[string][]byte{}

	h := testHeader()
	h.SyscallNr = 59
	recs["exec_of_a_script_from_an_overlay_upper_layer"] = encodeRecord(KindExec, h, &rewindExecBody{
		ExeSize: 125640, CtimeSec: 1700000000, CtimeNsec: 5, MtimeSec: 1690000000, MtimeNsec: 6,
		StartBootNs: 999_000_000, PidnsInitStartNs: 1_000_000, CapEff: 0, CapPrm: 0, CapInh: 0,
		ExeMode: 0o100755, ExeUid: 1000, ExeGid: 1000, ExeNlink: 1, Tty: 136<<20 | 3,
		Sid: 90, Pgid: 100, Vpgid: 100, ExeFlags: uint32(rewindExeFlagEXE_OVERLAY | rewindExeFlagEXE_UPPER),
	},
		testField{rewindFieldIdFIELD_FILENAME, 0, "./run.sh"},
		testField{rewindFieldIdFIELD_INTERP, 0, "/bin/sh"},
		testField{rewindFieldIdFIELD_EXE_PATH, rewindFieldFlagFIELD_COMPONENTS, components("usr", "bin", "dash")},
		testField{rewindFieldIdFIELD_ARGV, 0, "/bin/sh\x00./run.sh\x00--flag\x00"},
		testField{rewindFieldIdFIELD_CWD, rewindFieldFlagFIELD_COMPONENTS, components("home", "user")},
		testField{rewindFieldIdFIELD_ENV, 0, "LD_PRELOAD=/tmp/x.so"},
		testField{rewindFieldIdFIELD_ENV, rewindFieldFlagFIELD_TRUNCATED, "LD_LIBRARY_PATH=/opt/lib"},
	)

	h = testHeader()
	h.SyscallNr = 322
	recs["exec_from_a_memfd"] = encodeRecord(KindExec, h, &rewindExecBody{
		ExeSize: 4096, ExeMode: 0o100777, ExeNlink: 0, ExeFlags: uint32(rewindExeFlagEXE_MEMFD_NAME), CapEff: 1 << 1,
	},
		testField{rewindFieldIdFIELD_FILENAME, 0, "/proc/self/fd/3"},
		testField{rewindFieldIdFIELD_EXE_PATH, rewindFieldFlagFIELD_COMPONENTS | rewindFieldFlagFIELD_DETACHED, components("memfd:payload")},
		testField{rewindFieldIdFIELD_ARGV, 0, "x\x00"},
	)

	h = testHeader()
	h.SyscallNr = 59
	h.Ret = -2
	recs["failed_exec_of_a_relative_path"] = encodeRecord(KindExec, h, &rewindExecBody{},
		testField{rewindFieldIdFIELD_FILENAME, 0, "bin/missing"},
		testField{rewindFieldIdFIELD_PATH_BASE, rewindFieldFlagFIELD_COMPONENTS, components("srv")},
	)

	h = testHeader()
	h.SyscallNr = 56
	h.Ret = 200
	recs["clone_into_new_namespaces"] = encodeRecord(KindFork, h, &rewindForkBody{
		CloneFlags: 0x20000000 | 0x04000000 | 17, ChildStartNs: 1_500_000_000, PidnsInitStartNs: 2_000, ChildPid: 200, ChildTid: 200,
	})

	h = testHeader()
	h.SyscallNr = -1
	h.Flags = uint8(rewindHdrFlagHDR_GROUP_DEAD)
	recs["exit_by_signal"] = encodeRecord(KindExit, h, &rewindExitBody{ExitCode: 0, ExitSignal: 9})

	h = testHeader()
	h.Ret = 3
	recs["openat_resolved_by_the_kernel"] = encodeRecord(KindOpen, h, &rewindFileBody{
		Flags: 0o1101, Dev: 259<<20 | 2, Ino: 77, Mode: 0o644, Fd: 3, NewUid: Unchanged, NewGid: Unchanged,
	},
		testField{rewindFieldIdFIELD_PATH, rewindFieldFlagFIELD_COMPONENTS, components("etc", "passwd")},
		testField{rewindFieldIdFIELD_PATH_RAW, 0, "../etc/passwd"},
	)

	h = testHeader()
	h.SyscallNr = 264
	recs["renameat_relative_to_dirfds"] = encodeRecord(KindFile, h, &rewindFileBody{Fd: -1, NewUid: Unchanged, NewGid: Unchanged},
		testField{rewindFieldIdFIELD_PATH_RAW, 0, "a.txt"},
		testField{rewindFieldIdFIELD_PATH_BASE, rewindFieldFlagFIELD_COMPONENTS, components("tmp", "x")},
		testField{rewindFieldIdFIELD_TARGET_RAW, 0, "../b.txt"},
		testField{rewindFieldIdFIELD_TARGET_BASE, rewindFieldFlagFIELD_COMPONENTS, components("tmp", "y")},
	)

	h = testHeader()
	h.SyscallNr = 260
	recs["fchownat_of_an_empty_path_acts_on_the_dirfd"] = encodeRecord(KindFile, h, &rewindFileBody{Fd: -1, NewUid: 0, NewGid: Unchanged, Flags: 0x1000},
		testField{rewindFieldIdFIELD_PATH_RAW, 0, ""},
		testField{rewindFieldIdFIELD_PATH_BASE, rewindFieldFlagFIELD_COMPONENTS, components("etc", "shadow")},
	)

	h = testHeader()
	h.SyscallNr = 88
	recs["symlink_keeps_its_content_raw"] = encodeRecord(KindFile, h, &rewindFileBody{Fd: -1, NewUid: Unchanged, NewGid: Unchanged},
		testField{rewindFieldIdFIELD_PATH_RAW, 0, "/etc/shadow"},
		testField{rewindFieldIdFIELD_TARGET_RAW, 0, "/tmp/link"},
	)

	h = testHeader()
	h.SyscallNr = 42
	h.Ret = -115
	recs["connect_in_progress_over_ipv4"] = encodeRecord(KindNet, h, &rewindNetBody{
		Saddr: [16]byte{10, 0, 0, 5}, Daddr: [16]byte{93, 184, 216, 34}, Fd: 5, Family: 2, SockType: 1, Proto: 6, Sport: 40000, Dport: 443,
	})

	h = testHeader()
	h.SyscallNr = 49
	recs["bind_of_an_abstract_unix_socket"] = encodeRecord(KindNet, h, &rewindNetBody{Fd: 4, Family: 1, SockType: 1},
		testField{rewindFieldIdFIELD_UNIX_PATH, rewindFieldFlagFIELD_ABSTRACT, "dbus-x"},
	)

	h = testHeader()
	h.SyscallNr = 165
	recs["mount_of_a_tmpfs"] = encodeRecord(KindSecurity, h, &rewindSecBody{
		Flags: 6, Fd: -1, NewUid: Unchanged, NewEuid: Unchanged, NewSuid: Unchanged, NewGid: Unchanged, NewEgid: Unchanged, NewSgid: Unchanged,
	},
		testField{rewindFieldIdFIELD_PATH_RAW, 0, "none"},
		testField{rewindFieldIdFIELD_TARGET_RAW, 0, "mnt"},
		testField{rewindFieldIdFIELD_TARGET_BASE, rewindFieldFlagFIELD_COMPONENTS, components("root")},
		testField{rewindFieldIdFIELD_FSTYPE, 0, "tmpfs"},
	)

	h = testHeader()
	h.SyscallNr = 117
	recs["setresuid_to_root"] = encodeRecord(KindSecurity, h, &rewindSecBody{
		Fd: -1, NewUid: 0, NewEuid: 0, NewSuid: Unchanged, NewGid: Unchanged, NewEgid: Unchanged, NewSgid: Unchanged,
	})
	return recs
}

func TestDecodeGolden(t *testing.T) {
	for name, raw := range goldenRecords() {
		t.Run(name, func(t *testing.T) {
			var ev Event
			if err := decodeEvent(raw, &ev); err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := json.MarshalIndent(&ev, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "decode", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestDecodeGolden -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("decoded event differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func TestDecodeRefusesMalformedRecords(t *testing.T) {
	good := goldenRecords()["openat_resolved_by_the_kernel"]
	tests := []struct {
		name string
		raw  func() []byte
		want string
	}{
		{"an empty record", func() []byte { return nil }, "decode event: byte 0: record of 0 bytes is shorter than the 144-byte header"},
		{"a record cut inside the header", func() []byte { return good[:100] }, "shorter than the 144-byte header"},
		{"an unknown kind", func() []byte { b := clone(good); b[kindOffset()] = 42; return b }, "unknown event kind 42"},
		{"a body of the wrong size", func() []byte { b := clone(good); b[bodyLenOffset()] = 8; return b }, "open body of 8 bytes, want 48"},
		{"a record shorter than its header says", func() []byte { return good[:len(good)-3] }, "record has"},
		{"a field running past the record", func() []byte {
			h := testHeader()
			b := encodeRecord(KindOpen, h, &rewindFileBody{}, testField{rewindFieldIdFIELD_PATH_RAW, 0, "abc"})
			b[hdrSize+48+2] = 200 // field length (low byte)
			return b
		}, "field 8 of 200 bytes overruns the record"},
		{"an unknown field id", func() []byte {
			return encodeRecord(KindOpen, testHeader(), &rewindFileBody{}, testField{99, 0, "x"})
		}, "unknown field id 99"},
		{"a repeated field", func() []byte {
			return encodeRecord(KindOpen, testHeader(), &rewindFileBody{},
				testField{rewindFieldIdFIELD_PATH_RAW, 0, "a"}, testField{rewindFieldIdFIELD_PATH_RAW, 0, "b"})
		}, "field 8 repeated"},
		{"stray bytes after the last field", func() []byte {
			b := encodeRecord(KindOpen, testHeader(), &rewindFileBody{}, testField{rewindFieldIdFIELD_PATH_RAW, 0, "a"})
			b = append(b, 1, 2)
			b[tailLenOffset()] += 2
			return b
		}, "2 stray bytes after the last field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			err := decodeEvent(tt.raw(), &ev)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *DecodeError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func kindOffset() int    { var h rewindEventHdr; return int(offsetOf(&h, &h.Kind)) }
func bodyLenOffset() int { var h rewindEventHdr; return int(offsetOf(&h, &h.BodyLen)) }
func tailLenOffset() int { var h rewindEventHdr; return int(offsetOf(&h, &h.TailLen)) }

// FuzzDecodeEvent feeds arbitrary bytes to the decoder: it must return an
// Event or a *DecodeError, never panic.
func FuzzDecodeEvent(f *testing.F) {
	for _, raw := range goldenRecords() {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev Event
		err := decodeEvent(raw, &ev)
		var de *DecodeError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}
