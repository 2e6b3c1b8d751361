package format

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
)

// eventField maps a column to the Event field that holds it. It is the one
// place where columns meet Event fields; the writer and the reader turn it
// into field offsets once, at init, so that the hot paths do not switch on
// the column for every row.
func eventField(ev *Event, c ColumnID) any {
	switch c {
	case ColTs:
		return &ev.Ts
	case ColKind:
		return &ev.Kind
	case ColSyscall:
		return &ev.Syscall
	case ColCPU:
		return &ev.CPU
	case ColSeq:
		return &ev.Seq
	case ColPid:
		return &ev.Pid
	case ColTid:
		return &ev.Tid
	case ColPpid:
		return &ev.Ppid
	case ColVpid:
		return &ev.Vpid
	case ColVtid:
		return &ev.Vtid
	case ColUID:
		return &ev.UID
	case ColGID:
		return &ev.GID
	case ColEUID:
		return &ev.EUID
	case ColEGID:
		return &ev.EGID
	case ColLoginUID:
		return &ev.LoginUID
	case ColComm:
		return &ev.Comm
	case ColExePath:
		return &ev.ExePath
	case ColExeDev:
		return &ev.ExeDev
	case ColExeIno:
		return &ev.ExeIno
	case ColMntNs:
		return &ev.MntNs
	case ColPidNs:
		return &ev.PidNs
	case ColNetNs:
		return &ev.NetNs
	case ColUtsNs:
		return &ev.UtsNs
	case ColIpcNs:
		return &ev.IpcNs
	case ColUserNs:
		return &ev.UserNs
	case ColCgroupNs:
		return &ev.CgroupNs
	case ColCgroupID:
		return &ev.CgroupID
	case ColContainerID:
		return &ev.ContainerID
	case ColRet:
		return &ev.Ret
	case ColFilename:
		return &ev.Filename
	case ColArgv:
		return &ev.Argv
	case ColCwd:
		return &ev.Cwd
	case ColEnv:
		return &ev.Env
	case ColExeCtime:
		return &ev.ExeCtime
	case ColExeMtime:
		return &ev.ExeMtime
	case ColExeMode:
		return &ev.ExeMode
	case ColExeUID:
		return &ev.ExeUID
	case ColExeGID:
		return &ev.ExeGID
	case ColExeSize:
		return &ev.ExeSize
	case ColExeUpperLayer:
		return &ev.ExeUpperLayer
	case ColExeLowerLayer:
		return &ev.ExeLowerLayer
	case ColExeFromMemfd:
		return &ev.ExeFromMemfd
	case ColExeWritable:
		return &ev.ExeWritable
	case ColPidnsInitStartTs:
		return &ev.PidnsInitStartTs
	case ColInterpreter:
		return &ev.Interpreter
	case ColTTY:
		return &ev.TTY
	case ColSid:
		return &ev.Sid
	case ColPgid:
		return &ev.Pgid
	case ColVpgid:
		return &ev.Vpgid
	case ColCapEffective:
		return &ev.CapEffective
	case ColCapPermitted:
		return &ev.CapPermitted
	case ColCapInheritable:
		return &ev.CapInheritable
	case ColCgroupPath:
		return &ev.CgroupPath
	case ColContainerRuntime:
		return &ev.ContainerRuntime
	case ColStartTs:
		return &ev.StartTs
	case ColState:
		return &ev.State
	case ColChildPid:
		return &ev.ChildPid
	case ColChildTid:
		return &ev.ChildTid
	case ColCloneFlags:
		return &ev.CloneFlags
	case ColExitCode:
		return &ev.ExitCode
	case ColExitSignal:
		return &ev.ExitSignal
	case ColPath:
		return &ev.Path
	case ColPathRaw:
		return &ev.PathRaw
	case ColTargetPath:
		return &ev.TargetPath
	case ColTargetPathRaw:
		return &ev.TargetPathRaw
	case ColFlags:
		return &ev.Flags
	case ColMode:
		return &ev.Mode
	case ColFd:
		return &ev.Fd
	case ColDev:
		return &ev.Dev
	case ColIno:
		return &ev.Ino
	case ColNewUID:
		return &ev.NewUID
	case ColNewGID:
		return &ev.NewGID
	case ColFamily:
		return &ev.Family
	case ColSockType:
		return &ev.SockType
	case ColProto:
		return &ev.Proto
	case ColSaddr:
		return &ev.Saddr
	case ColSport:
		return &ev.Sport
	case ColDaddr:
		return &ev.Daddr
	case ColDport:
		return &ev.Dport
	case ColTargetPid:
		return &ev.TargetPid
	case ColSignal:
		return &ev.Signal
	case ColOp:
		return &ev.Op
	case ColNewEUID:
		return &ev.NewEUID
	case ColNewSUID:
		return &ev.NewSUID
	case ColNewEGID:
		return &ev.NewEGID
	case ColNewSGID:
		return &ev.NewSGID
	case ColNsFlags:
		return &ev.NsFlags
	case ColFsType:
		return &ev.FsType
	case ColAddr:
		return &ev.Addr
	case ColLen:
		return &ev.Len
	case ColProt:
		return &ev.Prot
	case ColSha256:
		return &ev.Sha256
	case ColHashSource:
		return &ev.HashSource
	case ColHashError:
		return &ev.HashError
	case ColDropsPerCPU:
		return &ev.DropsPerCPU
	case ColDropsUser:
		return &ev.DropsUser
	case ColEventsPerKind:
		return &ev.EventsPerKind
	case ColRingUsedBytes:
		return &ev.RingUsedBytes
	case ColRingSizeBytes:
		return &ev.RingSizeBytes
	case ColRecorderCPUNs:
		return &ev.RecorderCPUNs
	case ColRecorderRSSBytes:
		return &ev.RecorderRSSBytes
	case ColUserName:
		return &ev.UserName
	case ColUserHome:
		return &ev.UserHome
	case ColUserShell:
		return &ev.UserShell
	case ColGroupName:
		return &ev.GroupName
	case ColTruncated:
		return &ev.Truncated
	case ColScriptPath:
		return &ev.ScriptPath
	case ColScriptDev:
		return &ev.ScriptDev
	case ColScriptIno:
		return &ev.ScriptIno
	case ColScriptCtime:
		return &ev.ScriptCtime
	case ColScriptMtime:
		return &ev.ScriptMtime
	case ColScriptSize:
		return &ev.ScriptSize
	}
	return nil
}

// fieldOffsets[c] is the byte offset of column c's field inside Event.
var fieldOffsets [NumColumns]uintptr

func init() {
	if err := checkFields(); err != nil {
		panic(err) // a programming error in this package, caught by every test
	}
}

// checkFields fills fieldOffsets and checks that each column's Go field
// has the type its Arrow type needs.
func checkFields() error {
	var probe Event
	base := uintptr(unsafe.Pointer(&probe))
	for c := ColumnID(0); c < NumColumns; c++ {
		p := eventField(&probe, c)
		if p == nil {
			return fmt.Errorf("format: column %s has no Event field", Columns[c].Name)
		}
		rv := reflect.ValueOf(p)
		fieldOffsets[c] = rv.Pointer() - base
		if want := goTypeFor(c); rv.Elem().Type() != want {
			return fmt.Errorf("format: column %s: Event field is %s, want %s", Columns[c].Name, rv.Elem().Type(), want)
		}
	}
	return nil
}

// goTypeFor is the Event field type that carries column c.
func goTypeFor(c ColumnID) reflect.Type {
	if c == ColKind {
		return reflect.TypeFor[Kind]()
	}
	switch t := Columns[c].Type; t.ID() {
	case arrow.TIMESTAMP, arrow.INT64:
		return reflect.TypeFor[int64]()
	case arrow.INT32:
		return reflect.TypeFor[int32]()
	case arrow.UINT16:
		return reflect.TypeFor[uint16]()
	case arrow.UINT32:
		return reflect.TypeFor[uint32]()
	case arrow.UINT64:
		return reflect.TypeFor[uint64]()
	case arrow.BOOL:
		return reflect.TypeFor[bool]()
	case arrow.STRING, arrow.DICTIONARY:
		return reflect.TypeFor[string]()
	case arrow.MAP:
		return reflect.TypeFor[[]KindCount]()
	case arrow.LIST:
		if t.(*arrow.ListType).Elem().ID() == arrow.STRING {
			return reflect.TypeFor[[]string]()
		}
		return reflect.TypeFor[[]uint64]()
	}
	return nil
}

// fieldAt returns a typed pointer to column c's field in ev. T must match
// goTypeFor(c), which checkFields guarantees for every column.
func fieldAt[T any](ev *Event, c ColumnID) *T {
	return (*T)(unsafe.Add(unsafe.Pointer(ev), fieldOffsets[c]))
}
