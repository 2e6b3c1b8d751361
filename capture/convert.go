package capture

import (
	"net/netip"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

// kindOf maps the kernel side's kinds to row kinds.
func kindOf(k bpf.Kind) format.Kind {
	switch k {
	case bpf.KindExec:
		return format.KindExec
	case bpf.KindFork:
		return format.KindFork
	case bpf.KindExit:
		return format.KindExit
	case bpf.KindOpen:
		return format.KindOpen
	case bpf.KindFile:
		return format.KindFile
	case bpf.KindNet:
		return format.KindNet
	case bpf.KindSecurity:
		return format.KindSecurity
	}
	return format.KindInvalid
}

// idColumns says, per system call, which requested-id columns it sets;
// every other row holds null there (a 0 would read as "root").
var idColumns = map[string][]format.ColumnID{
	"chown": {format.ColNewUID, format.ColNewGID}, "fchown": {format.ColNewUID, format.ColNewGID},
	"lchown": {format.ColNewUID, format.ColNewGID}, "fchownat": {format.ColNewUID, format.ColNewGID},
	"setuid": {format.ColNewUID}, "setgid": {format.ColNewGID},
	"setreuid": {format.ColNewUID, format.ColNewEUID}, "setregid": {format.ColNewGID, format.ColNewEGID},
	"setresuid": {format.ColNewUID, format.ColNewEUID, format.ColNewSUID},
	"setresgid": {format.ColNewGID, format.ColNewEGID, format.ColNewSGID},
	"setfsuid":  {format.ColNewEUID}, "setfsgid": {format.ColNewEGID},
}

var allIDColumns = []format.ColumnID{format.ColNewUID, format.ColNewGID, format.ColNewEUID, format.ColNewSUID, format.ColNewEGID, format.ColNewSGID}

// Convert fills dst with the row for kernel event src: every column the
// kernel gave, times converted to the epoch with clock. Slices are copied
// (src is reused by the reader). The enrichment that needs the process
// table (exe path of non-exec events, container) happens later, in the
// writer's goroutine. It returns false for a kind rewind does not know.
func Convert(dst *format.Event, src *bpf.Event, clock bpf.BootClock) bool {
	kind := kindOf(src.Kind)
	if kind == format.KindInvalid {
		return false
	}
	*dst = format.Event{
		Ts: clock.Epoch(src.BootNs), Kind: kind, Syscall: src.Syscall, CPU: src.CPU, Seq: src.Seq,
		Pid: src.Pid, Tid: src.Tid, Ppid: src.Ppid, Vpid: src.Vpid, Vtid: src.Vtid,
		UID: src.UID, GID: src.GID, EUID: src.EUID, EGID: src.EGID, LoginUID: src.LoginUID,
		Comm: src.Comm, ExeDev: src.ExeDev, ExeIno: src.ExeIno,
		MntNs: src.MntNs, PidNs: src.PidNs, NetNs: src.NetNs, UtsNs: src.UtsNs, IpcNs: src.IpcNs,
		UserNs: src.UserNs, CgroupNs: src.CgroupNs, CgroupID: src.CgroupID, Ret: src.Ret,
		Truncated: src.Truncated,
	}
	switch kind {
	case format.KindExec:
		convertExec(dst, src, clock)
	case format.KindFork:
		dst.ChildPid, dst.ChildTid, dst.CloneFlags, dst.NsFlags = src.ChildPid, src.ChildTid, src.CloneFlags, src.NsFlags
		dst.PidnsInitStartTs = clock.Epoch(src.PidnsInitStartBootNs)
		dst.StartTs = clock.Epoch(src.StartBootNs)
	case format.KindExit:
		dst.ExitCode, dst.ExitSignal = src.ExitCode, src.ExitSignal
	case format.KindOpen, format.KindFile:
		convertPaths(dst, src)
		dst.Flags, dst.Mode, dst.Fd, dst.Dev, dst.Ino = src.Flags, src.Mode, src.Fd, src.Dev, src.Ino
		if src.Syscall == "truncate" || src.Syscall == "ftruncate" {
			dst.Len = src.Len
		} else {
			dst.Null.Add(format.ColLen)
		}
		nullFdUnlessTaken(dst, src)
		convertIDs(dst, src)
	case format.KindNet:
		convertNet(dst, src)
	case format.KindSecurity:
		convertPaths(dst, src)
		dst.Flags, dst.Fd = src.Flags, src.Fd
		dst.TargetPid, dst.Signal, dst.Op, dst.NsFlags = src.TargetPid, src.Signal, src.Op, src.NsFlags
		dst.FsType, dst.Addr, dst.Len, dst.Prot = src.FsType, src.Addr, src.Len, src.Prot
		dst.CapEffective, dst.CapPermitted, dst.CapInheritable = src.CapEffective, src.CapPermitted, src.CapInheritable
		if src.Syscall != "capset" {
			dst.Null.Add(format.ColCapEffective)
			dst.Null.Add(format.ColCapPermitted)
			dst.Null.Add(format.ColCapInheritable)
		}
		if src.Syscall == "setns" && src.Ino != 0 {
			dst.Ino = src.Ino
		} else {
			dst.Null.Add(format.ColIno)
		}
		nullFdUnlessTaken(dst, src)
		convertIDs(dst, src)
	}
	return true
}

func convertExec(dst *format.Event, src *bpf.Event, clock bpf.BootClock) {
	dst.Filename = src.Filename
	dst.Argv = append(dst.Argv[:0:0], src.Argv...)
	dst.Cwd = src.Cwd
	if len(src.Env) > 0 {
		dst.Env = append(dst.Env[:0:0], src.Env...)
	}
	dst.ExePath = src.ExePath
	dst.ExeCtime, dst.ExeMtime, dst.ExeMode = src.ExeCtime, src.ExeMtime, src.ExeMode
	dst.ExeUID, dst.ExeGID, dst.ExeSize = src.ExeUID, src.ExeGID, src.ExeSize
	dst.ExeUpperLayer, dst.ExeLowerLayer = src.ExeUpperLayer, src.ExeLowerLayer
	dst.ExeFromMemfd, dst.ExeWritable = src.ExeFromMemfd, src.ExeWritable
	dst.Interpreter = src.Interpreter
	if sc := src.Script; sc != nil {
		dst.ScriptPath, dst.ScriptDev, dst.ScriptIno = sc.Path, sc.Dev, sc.Ino
		dst.ScriptCtime, dst.ScriptMtime, dst.ScriptSize = sc.Ctime, sc.Mtime, sc.Size
	}
	dst.PidnsInitStartTs = clock.Epoch(src.PidnsInitStartBootNs)
	dst.StartTs = clock.Epoch(src.StartBootNs)
	dst.TTY, dst.Sid, dst.Pgid, dst.Vpgid = src.TTY, src.Sid, src.Pgid, src.Vpgid
	dst.CapEffective, dst.CapPermitted, dst.CapInheritable = src.CapEffective, src.CapPermitted, src.CapInheritable
}

// fdUse says whether a file or security call returns or acts on a file
// descriptor; the others take paths or none, and their fd column is null
// (a 0 would read as stdin). optional marks calls where the fd may be
// absent, shown by -1: utimensat acts on its dirfd only without a path,
// and mmap of anonymous memory (the only one recorded) passes -1. A
// switch, not a map: this runs for every file row.
func fdUse(syscall string) (taken, optional bool) {
	switch syscall {
	case "open", "creat", "openat", "openat2", "fchmod", "fchown", "ftruncate",
		"setns", "finit_module", "memfd_create":
		return true, false
	case "utimensat", "futimesat", "mmap":
		return true, true
	}
	return false, false
}

func nullFdUnlessTaken(dst *format.Event, src *bpf.Event) {
	taken, optional := fdUse(src.Syscall)
	if !taken || optional && src.Fd == -1 {
		dst.Null.Add(format.ColFd)
	}
}

func convertPaths(dst *format.Event, src *bpf.Event) {
	dst.Path, dst.PathRaw, dst.TargetPath, dst.TargetPathRaw = src.Path, src.PathRaw, src.TargetPath, src.TargetPathRaw
}

func convertIDs(dst *format.Event, src *bpf.Event) {
	dst.NewUID, dst.NewGID = src.NewUID, src.NewGID
	dst.NewEUID, dst.NewSUID, dst.NewEGID, dst.NewSGID = src.NewEUID, src.NewSUID, src.NewEGID, src.NewSGID
	set := idColumns[src.Syscall]
	for _, c := range allIDColumns {
		if !hasColumn(set, c) || idValue(dst, c) == bpf.Unchanged {
			dst.Null.Add(c)
		}
	}
}

func hasColumn(cols []format.ColumnID, c format.ColumnID) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

func idValue(ev *format.Event, c format.ColumnID) uint32 {
	switch c {
	case format.ColNewUID:
		return ev.NewUID
	case format.ColNewGID:
		return ev.NewGID
	case format.ColNewEUID:
		return ev.NewEUID
	case format.ColNewSUID:
		return ev.NewSUID
	case format.ColNewEGID:
		return ev.NewEGID
	case format.ColNewSGID:
		return ev.NewSGID
	}
	return 0
}

// unixLocal lists the calls whose AF_UNIX path names the local socket;
// for the others (connect, sendto, ...) it is the peer.
var unixLocal = map[string]bool{"bind": true, "listen": true, "accept": true, "accept4": true}

func convertNet(dst *format.Event, src *bpf.Event) {
	dst.Family, dst.SockType, dst.Proto = src.Family, src.SockType, src.ProtoName()
	dst.Sport, dst.Dport, dst.Fd, dst.Flags = src.Sport, src.Dport, src.Fd, src.Flags
	dst.Saddr, dst.Daddr = addrText(src.Saddr), addrText(src.Daddr)
	if src.UnixPath != "" {
		if unixLocal[src.Syscall] {
			dst.Saddr = src.UnixPath
		} else {
			dst.Daddr = src.UnixPath
		}
	}
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// identityOfExec is the exe identity the kernel reported at exec.
func identityOfExec(ev *format.Event) ExeIdentity {
	return ExeIdentity{Dev: ev.ExeDev, Ino: ev.ExeIno, Ctime: ev.ExeCtime, Mtime: ev.ExeMtime, Size: ev.ExeSize}
}

// identityOfScript is the identity of the script file an exec ran, as
// the kernel reported it.
func identityOfScript(ev *format.Event) ExeIdentity {
	return ExeIdentity{Dev: ev.ScriptDev, Ino: ev.ScriptIno, Ctime: ev.ScriptCtime, Mtime: ev.ScriptMtime, Size: ev.ScriptSize}
}
