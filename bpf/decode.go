package bpf

import (
	"bytes"
	"fmt"
	"net/netip"
	"path"
	"strings"
	"unsafe"
)

// DecodeError is a ring buffer record that could not be decoded. The
// reader skips it; the record is lost and counted by the caller.
type DecodeError struct {
	Offset int // byte offset in the record
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode event: byte %d: %s", e.Offset, e.Reason)
}

const (
	hdrSize      = int(unsafe.Sizeof(rewindEventHdr{}))
	fieldHdrSize = int(unsafe.Sizeof(rewindFieldHdr{}))
)

// bodySizes is the body size of each kind, as the kernel writes it.
var bodySizes = [numKinds]int{
	KindExec:     int(unsafe.Sizeof(rewindExecBody{})),
	KindFork:     int(unsafe.Sizeof(rewindForkBody{})),
	KindExit:     int(unsafe.Sizeof(rewindExitBody{})),
	KindOpen:     int(unsafe.Sizeof(rewindFileBody{})),
	KindFile:     int(unsafe.Sizeof(rewindFileBody{})),
	KindNet:      int(unsafe.Sizeof(rewindNetBody{})),
	KindSecurity: int(unsafe.Sizeof(rewindSecBody{})),
}

// copyInto fills the fixed-layout struct *dst from the first bytes of
// src. The generated structs have the C layout (structs.HostLayout), and
// the object is little-endian only, like every host it loads on.
func copyInto[T any](dst *T, src []byte) {
	copy(unsafe.Slice((*byte)(unsafe.Pointer(dst)), unsafe.Sizeof(*dst)), src)
}

// decodeEvent turns one ring buffer record into ev. ev is reset first;
// slices in ev are freshly allocated, never aliases of raw.
func decodeEvent(raw []byte, ev *Event) error {
	*ev = Event{}
	if len(raw) < hdrSize {
		return &DecodeError{0, fmt.Sprintf("record of %d bytes is shorter than the %d-byte header", len(raw), hdrSize)}
	}
	var h rewindEventHdr
	copyInto(&h, raw)
	kind := Kind(h.Kind)
	if kind == KindInvalid || kind >= numKinds {
		return &DecodeError{int(unsafe.Offsetof(h.Kind)), fmt.Sprintf("unknown event kind %d", h.Kind)}
	}
	if int(h.BodyLen) != bodySizes[kind] {
		return &DecodeError{int(unsafe.Offsetof(h.BodyLen)), fmt.Sprintf("%s body of %d bytes, want %d", kind, h.BodyLen, bodySizes[kind])}
	}
	end := hdrSize + int(h.BodyLen) + int(h.TailLen)
	if end > len(raw) {
		return &DecodeError{int(unsafe.Offsetof(h.TailLen)), fmt.Sprintf("header says %d bytes, record has %d", end, len(raw))}
	}
	decodeHeader(&h, kind, ev)
	body := raw[hdrSize : hdrSize+int(h.BodyLen)]
	var fields tailFields
	if err := parseFields(&fields, raw[hdrSize+int(h.BodyLen):end], hdrSize+int(h.BodyLen)); err != nil {
		return err
	}
	switch kind {
	case KindExec:
		decodeExec(body, &fields, ev)
	case KindFork:
		var b rewindForkBody
		copyInto(&b, body)
		ev.ChildPid, ev.ChildTid = b.ChildPid, b.ChildTid
		ev.CloneFlags = b.CloneFlags
		ev.NsFlags = b.CloneFlags & cloneNewMask
		ev.StartBootNs = b.ChildStartNs
		ev.PidnsInitStartBootNs = b.PidnsInitStartNs
	case KindExit:
		var b rewindExitBody
		copyInto(&b, body)
		ev.ExitCode, ev.ExitSignal = b.ExitCode, b.ExitSignal
		ev.GroupDead = h.Flags&uint8(rewindHdrFlagHDR_GROUP_DEAD) != 0
	case KindOpen, KindFile:
		var b rewindFileBody
		copyInto(&b, body)
		ev.Flags, ev.Mode, ev.Fd = b.Flags, b.Mode, b.Fd
		ev.Len = b.Len
		if b.Dev != 0 || b.Ino != 0 {
			ev.Dev, ev.Ino = userDev(uint32(b.Dev)), b.Ino
		}
		ev.NewUID, ev.NewGID = b.NewUid, b.NewGid
		fields.paths(ev)
	case KindNet:
		decodeNet(body, &fields, ev)
	case KindSecurity:
		decodeSecurity(body, &fields, ev)
	}
	ev.Truncated = h.Flags&uint8(rewindHdrFlagHDR_TRUNCATED) != 0 || fields.truncated
	return nil
}

const cloneNewMask = 0x7e020080 // CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET,TIME}

func decodeHeader(h *rewindEventHdr, kind Kind, ev *Event) {
	ev.Kind = kind
	ev.SyscallNr = h.SyscallNr
	ev.Syscall = syscallName(kind, h.SyscallNr)
	ev.BootNs = h.BootNs
	ev.CPU = h.Cpu
	ev.Seq = h.Seq
	ev.Ret = h.Ret
	ev.Pid, ev.Tid, ev.Ppid, ev.Vpid, ev.Vtid = h.Pid, h.Tid, h.Ppid, h.Vpid, h.Vtid
	ev.UID, ev.GID, ev.EUID, ev.EGID, ev.LoginUID = h.Uid, h.Gid, h.Euid, h.Egid, h.Loginuid
	ev.Comm = cString(h.Comm[:])
	if h.ExeIno != 0 {
		ev.ExeDev, ev.ExeIno = userDev(h.ExeDev), h.ExeIno
	}
	ev.MntNs, ev.PidNs, ev.NetNs = h.MntNs, h.PidNs, h.NetNs
	ev.UtsNs, ev.IpcNs, ev.UserNs, ev.CgroupNs = h.UtsNs, h.IpcNs, h.UserNs, h.CgroupNs
	ev.CgroupID = h.CgroupId
}

// userDev converts a kernel dev_t (major << 20 | minor) to the user-space
// encoding of stat(2), the one unix.Mkdev produces.
func userDev(k uint32) uint64 {
	major, minor := uint64(k>>20), uint64(k&0xfffff)
	return minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
}

func cString(b []int8) string {
	buf := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		buf = append(buf, byte(c))
	}
	return string(buf)
}

// field is one tail field; data aliases the record.
type field struct {
	flags uint8
	data  []byte
}

// tailFields holds the tail fields of one event by id. Only env repeats.
type tailFields struct {
	byID      [int(rewindFieldIdFIELD_SCRIPT_PATH) + 1]uint8 // index+1 into store, 0 for absent
	store     [8]field
	used      int
	env       []string
	truncated bool
}

func parseFields(f *tailFields, tail []byte, base int) error {
	for off := 0; off < len(tail); {
		if len(tail)-off < fieldHdrSize {
			return &DecodeError{base + off, fmt.Sprintf("%d stray bytes after the last field", len(tail)-off)}
		}
		var fh rewindFieldHdr
		copyInto(&fh, tail[off:])
		data := off + fieldHdrSize
		if int(fh.Len) > len(tail)-data {
			return &DecodeError{base + off, fmt.Sprintf("field %d of %d bytes overruns the record", fh.Id, fh.Len)}
		}
		if fh.Id == 0 || int(fh.Id) >= len(f.byID) {
			return &DecodeError{base + off, fmt.Sprintf("unknown field id %d", fh.Id)}
		}
		if fh.Flags&uint8(rewindFieldFlagFIELD_TRUNCATED) != 0 {
			f.truncated = true
		}
		val := tail[data : data+int(fh.Len)]
		switch {
		case rewindFieldId(fh.Id) == rewindFieldIdFIELD_ENV:
			f.env = append(f.env, string(val))
		case f.byID[fh.Id] != 0:
			return &DecodeError{base + off, fmt.Sprintf("field %d repeated", fh.Id)}
		case f.used == len(f.store):
			return &DecodeError{base + off, "too many fields"}
		default:
			f.store[f.used] = field{fh.Flags, val}
			f.used++
			f.byID[fh.Id] = uint8(f.used)
		}
		off = data + int(fh.Len)
	}
	return nil
}

func (f *tailFields) get(id rewindFieldId) *field {
	if i := f.byID[id]; i != 0 {
		return &f.store[i-1]
	}
	return nil
}

// str is the text of a field: a plain string, or a dentry walk (leaf
// first components) turned into an absolute path.
func (f *tailFields) str(id rewindFieldId) string {
	fl := f.get(id)
	if fl == nil {
		return ""
	}
	if fl.flags&uint8(rewindFieldFlagFIELD_COMPONENTS) == 0 {
		return string(fl.data)
	}
	return joinComponents(fl.data, fl.flags&uint8(rewindFieldFlagFIELD_DETACHED) != 0)
}

// joinComponents turns NUL-terminated names, leaf first, into a path.
func joinComponents(data []byte, detached bool) string {
	buf := make([]byte, 0, len(data)+1)
	for end := len(data); end > 0; {
		for end > 0 && data[end-1] == 0 {
			end--
		}
		start := bytes.LastIndexByte(data[:end], 0) + 1
		if start < end {
			buf = append(buf, '/')
			buf = append(buf, data[start:end]...)
		}
		end = start
	}
	if len(buf) == 0 {
		if detached {
			// a pseudo file whose name the kernel makes up on demand
			// (pipe:[123], socket:[456]): the walk has nothing to show
			return ""
		}
		return "/"
	}
	// A detached root with a name (a memfd's "memfd:x") is shown under
	// "/", as the kernel's d_path does.
	return string(buf)
}

func (f *tailFields) has(id rewindFieldId) bool { return f.byID[id] != 0 }

// resolve joins a raw user path to the directory the kernel reported for
// it (cwd or dirfd) when it is relative.
func (f *tailFields) resolve(rawID, baseID rewindFieldId) string {
	raw := f.str(rawID)
	if raw == "" {
		// an empty path names the dirfd itself (AT_EMPTY_PATH)
		if f.has(rawID) && f.has(baseID) {
			return f.str(baseID)
		}
		return ""
	}
	if strings.HasPrefix(raw, "/") {
		return path.Clean(raw)
	}
	if !f.has(baseID) {
		return ""
	}
	return path.Join(f.str(baseID), raw)
}

// paths fills Path, PathRaw, TargetPath and TargetPathRaw: a kernel path
// from an fd wins over a resolved raw argument.
func (f *tailFields) paths(ev *Event) {
	ev.PathRaw = f.str(rewindFieldIdFIELD_PATH_RAW)
	if f.has(rewindFieldIdFIELD_PATH) {
		ev.Path = f.str(rewindFieldIdFIELD_PATH)
	} else if ev.Syscall != "symlink" && ev.Syscall != "symlinkat" {
		ev.Path = f.resolve(rewindFieldIdFIELD_PATH_RAW, rewindFieldIdFIELD_PATH_BASE)
	}
	ev.TargetPathRaw = f.str(rewindFieldIdFIELD_TARGET_RAW)
	ev.TargetPath = f.resolve(rewindFieldIdFIELD_TARGET_RAW, rewindFieldIdFIELD_TARGET_BASE)
}

func decodeExec(body []byte, f *tailFields, ev *Event) {
	var b rewindExecBody
	copyInto(&b, body)
	ev.Filename = f.str(rewindFieldIdFIELD_FILENAME)
	if ev.Ret < 0 {
		// a failed exec carries only the file name it tried
		ev.Path = f.resolve(rewindFieldIdFIELD_FILENAME, rewindFieldIdFIELD_PATH_BASE)
		return
	}
	if f.has(rewindFieldIdFIELD_INTERP) {
		ev.Interpreter = ev.Filename
		if b.ScriptIno != 0 {
			ev.Script = &ScriptFile{
				Path:  f.str(rewindFieldIdFIELD_SCRIPT_PATH),
				Dev:   userDev(b.ScriptDev),
				Ino:   b.ScriptIno,
				Ctime: b.ScriptCtimeSec*1e9 + int64(b.ScriptCtimeNsec),
				Mtime: b.ScriptMtimeSec*1e9 + int64(b.ScriptMtimeNsec),
				Size:  int64(b.ScriptSize),
				Mode:  b.ScriptMode,
				UID:   b.ScriptUid,
				GID:   b.ScriptGid,
			}
		}
	}
	ev.ExePath = f.str(rewindFieldIdFIELD_EXE_PATH)
	ev.Cwd = f.str(rewindFieldIdFIELD_CWD)
	if a := f.get(rewindFieldIdFIELD_ARGV); a != nil {
		ev.Argv = splitArgv(a.data)
	}
	ev.Env = f.env
	ev.ExeCtime = b.CtimeSec*1e9 + int64(b.CtimeNsec)
	ev.ExeMtime = b.MtimeSec*1e9 + int64(b.MtimeNsec)
	ev.ExeMode, ev.ExeUID, ev.ExeGID = b.ExeMode, b.ExeUid, b.ExeGid
	ev.ExeSize = int64(b.ExeSize)
	ev.ExeNlink = b.ExeNlink
	overlay := b.ExeFlags&uint32(rewindExeFlagEXE_OVERLAY) != 0
	ev.ExeUpperLayer = b.ExeFlags&uint32(rewindExeFlagEXE_UPPER) != 0
	ev.ExeLowerLayer = overlay && !ev.ExeUpperLayer
	ev.ExeFromMemfd = b.ExeFlags&uint32(rewindExeFlagEXE_MEMFD_NAME) != 0 && b.ExeNlink == 0
	ev.StartBootNs = b.StartBootNs
	ev.PidnsInitStartBootNs = b.PidnsInitStartNs
	ev.CapEffective, ev.CapPermitted, ev.CapInheritable = b.CapEff, b.CapPrm, b.CapInh
	ev.ExeWritable = exeWritable(ev)
	if b.Tty != 0 {
		ev.TTY = uint32(userDev(b.Tty))
	}
	ev.Sid, ev.Pgid, ev.Vpgid = b.Sid, b.Pgid, b.Vpgid
}

func splitArgv(data []byte) []string {
	data = bytes.TrimSuffix(data, []byte{0})
	if len(data) == 0 {
		return nil
	}
	parts := bytes.Split(data, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

const capDacOverride = 1

// exeWritable says whether the task that ran the exec may write its
// executable, as the kernel's permission check would decide it from the
// file's mode and owner and the task's effective ids and capabilities
// (supplementary groups are not seen).
func exeWritable(ev *Event) bool {
	switch {
	case ev.CapEffective&(1<<capDacOverride) != 0:
		return true
	case ev.EUID == ev.ExeUID:
		return ev.ExeMode&0o200 != 0
	case ev.EGID == ev.ExeGID:
		return ev.ExeMode&0o020 != 0
	}
	return ev.ExeMode&0o002 != 0
}

func decodeNet(body []byte, f *tailFields, ev *Event) {
	var b rewindNetBody
	copyInto(&b, body)
	ev.Flags, ev.Fd = b.Flags, b.Fd
	ev.Family, ev.SockType, ev.Proto = b.Family, b.SockType, b.Proto
	ev.Sport, ev.Dport = b.Sport, b.Dport
	switch b.Family {
	case 2: // AF_INET
		ev.Saddr = netip.AddrFrom4([4]byte(b.Saddr[:4]))
		ev.Daddr = netip.AddrFrom4([4]byte(b.Daddr[:4]))
	case 10: // AF_INET6
		ev.Saddr = netip.AddrFrom16(b.Saddr)
		ev.Daddr = netip.AddrFrom16(b.Daddr)
	}
	if u := f.get(rewindFieldIdFIELD_UNIX_PATH); u != nil {
		ev.UnixPath = string(u.data)
		if u.flags&uint8(rewindFieldFlagFIELD_ABSTRACT) != 0 {
			ev.UnixPath = "@" + ev.UnixPath
		}
	}
}

func decodeSecurity(body []byte, f *tailFields, ev *Event) {
	var b rewindSecBody
	copyInto(&b, body)
	ev.Op = b.Op
	ev.NsFlags, ev.Flags, ev.Addr, ev.Len = b.NsFlags, b.Flags, b.Addr, b.Len
	ev.Ino = b.Ino
	ev.CapEffective, ev.CapPermitted, ev.CapInheritable = b.CapEff, b.CapPrm, b.CapInh
	ev.TargetPid, ev.Signal, ev.Fd, ev.Prot = b.TargetPid, b.Signal, b.Fd, b.Prot
	ev.NewUID, ev.NewEUID, ev.NewSUID = b.NewUid, b.NewEuid, b.NewSuid
	ev.NewGID, ev.NewEGID, ev.NewSGID = b.NewGid, b.NewEgid, b.NewSgid
	ev.FsType = f.str(rewindFieldIdFIELD_FSTYPE)
	f.paths(ev)
}
