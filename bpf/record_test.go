package bpf

import (
	"unsafe"
)

// Test helpers that build ring buffer records the way the kernel lays
// them out, from the generated wire structs.

type testField struct {
	id    rewindFieldId
	flags rewindFieldFlag
	data  string
}

func bytesOf[T any](v *T) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))...)
}

// encodeRecord lays out header, body and tail fields; it fills the
// header's kind, body_len and tail_len.
func encodeRecord[B any](kind Kind, h rewindEventHdr, body *B, fields ...testField) []byte {
	var tail []byte
	for _, f := range fields {
		fh := rewindFieldHdr{Id: uint8(f.id), Flags: uint8(f.flags), Len: uint16(len(f.data))}
		tail = append(tail, bytesOf(&fh)...)
		tail = append(tail, f.data...)
	}
	h.Kind = uint8(kind)
	h.BodyLen = uint16(unsafe.Sizeof(*body))
	h.TailLen = uint16(len(tail))
	out := bytesOf(&h)
	out = append(out, bytesOf(body)...)
	return append(out, tail...)
}

// components encodes a dentry walk leaf first, as put_dentry_path does.
func components(names ...string) string {
	var s string
	for i := len(names) - 1; i >= 0; i-- {
		s += names[i] + "\x00"
	}
	return s
}

func testHeader() rewindEventHdr {
	h := rewindEventHdr{
		BootNs: 1_000_000_000, Seq: 7, CgroupId: 42, ExeIno: 1234, ExeDev: 8<<20 | 1,
		Pid: 100, Tid: 101, Ppid: 1, Vpid: 100, Vtid: 101,
		Uid: 1000, Gid: 1000, Euid: 1000, Egid: 1000, Loginuid: 1000,
		MntNs: 4026531841, PidNs: 4026531836, NetNs: 4026531840, UtsNs: 4026531838,
		IpcNs: 4026531839, UserNs: 4026531837, CgroupNs: 4026531835,
		SyscallNr: 257, Cpu: 1,
	}
	for i, c := range "bash" {
		h.Comm[i] = int8(c)
	}
	return h
}

func offsetOf[S, F any](s *S, f *F) uintptr {
	return uintptr(unsafe.Pointer(f)) - uintptr(unsafe.Pointer(s))
}
