package statetest

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/rewind-sh/rewind/format"
)

// Record returns one record batch holding evs. A column is null on rows
// whose kind lacks it, when listed in ev.Null, or (for strings, lists and
// timestamps other than ts) when empty or zero, as the format writer does.
func Record(evs []format.Event) arrow.RecordBatch {
	schema := format.Schema()
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range evs {
		appendEvent(b, &evs[i])
	}
	return b.NewRecordBatch()
}

func appendEvent(b *array.RecordBuilder, ev *format.Event) {
	for id := format.ColumnID(0); id < format.NumColumns; id++ {
		fb := b.Field(int(id))
		col := format.Columns[id]
		v := value(ev, id)
		if !col.Kinds.Has(ev.Kind) || ev.Null.Has(id) || v == nil {
			fb.AppendNull()
			continue
		}
		put(fb, v)
	}
}

func put(fb array.Builder, v any) {
	switch b := fb.(type) {
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.BinaryDictionaryBuilder:
		if err := b.AppendString(v.(string)); err != nil {
			panic(err)
		}
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.Int32Builder:
		b.Append(v.(int32))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Uint16Builder:
		b.Append(v.(uint16))
	case *array.Uint32Builder:
		b.Append(v.(uint32))
	case *array.Uint64Builder:
		b.Append(v.(uint64))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.ListBuilder:
		b.Append(true)
		switch vb := b.ValueBuilder().(type) {
		case *array.StringBuilder:
			for _, s := range v.([]string) {
				vb.Append(s)
			}
		case *array.Uint64Builder:
			for _, u := range v.([]uint64) {
				vb.Append(u)
			}
		}
	case *array.MapBuilder:
		b.Append(true)
		kb := b.KeyBuilder().(*array.StringBuilder)
		ib := b.ItemBuilder().(*array.Uint64Builder)
		for _, kc := range v.([]format.KindCount) {
			kb.Append(kc.Kind)
			ib.Append(kc.Count)
		}
	default:
		panic(fmt.Sprintf("statetest: no appender for %T", fb))
	}
}

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func strs(s []string) any {
	if s == nil {
		return nil
	}
	return s
}

func ts(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// value returns the Go value of column id in ev, or nil for null.
func value(ev *format.Event, id format.ColumnID) any {
	switch id {
	case format.ColTs:
		return ev.Ts
	case format.ColKind:
		return ev.Kind.String()
	case format.ColSyscall:
		return str(ev.Syscall)
	case format.ColCPU:
		return ev.CPU
	case format.ColSeq:
		return ev.Seq
	case format.ColPid:
		return ev.Pid
	case format.ColTid:
		return ev.Tid
	case format.ColPpid:
		return ev.Ppid
	case format.ColVpid:
		return ev.Vpid
	case format.ColVtid:
		return ev.Vtid
	case format.ColUID:
		return ev.UID
	case format.ColGID:
		return ev.GID
	case format.ColEUID:
		return ev.EUID
	case format.ColEGID:
		return ev.EGID
	case format.ColLoginUID:
		return ev.LoginUID
	case format.ColComm:
		return str(ev.Comm)
	case format.ColExePath:
		return str(ev.ExePath)
	case format.ColExeDev:
		return ev.ExeDev
	case format.ColExeIno:
		return ev.ExeIno
	case format.ColMntNs:
		return ev.MntNs
	case format.ColPidNs:
		return ev.PidNs
	case format.ColNetNs:
		return ev.NetNs
	case format.ColUtsNs:
		return ev.UtsNs
	case format.ColIpcNs:
		return ev.IpcNs
	case format.ColUserNs:
		return ev.UserNs
	case format.ColCgroupNs:
		return ev.CgroupNs
	case format.ColCgroupID:
		return ev.CgroupID
	case format.ColContainerID:
		return str(ev.ContainerID)
	case format.ColRet:
		return ev.Ret
	case format.ColFilename:
		return str(ev.Filename)
	case format.ColArgv:
		return strs(ev.Argv)
	case format.ColCwd:
		return str(ev.Cwd)
	case format.ColEnv:
		return strs(ev.Env)
	case format.ColExeCtime:
		return ts(ev.ExeCtime)
	case format.ColExeMtime:
		return ts(ev.ExeMtime)
	case format.ColExeMode:
		return ev.ExeMode
	case format.ColExeUID:
		return ev.ExeUID
	case format.ColExeGID:
		return ev.ExeGID
	case format.ColExeSize:
		return ev.ExeSize
	case format.ColExeUpperLayer:
		return ev.ExeUpperLayer
	case format.ColExeLowerLayer:
		return ev.ExeLowerLayer
	case format.ColExeFromMemfd:
		return ev.ExeFromMemfd
	case format.ColExeWritable:
		return ev.ExeWritable
	case format.ColPidnsInitStartTs:
		return ts(ev.PidnsInitStartTs)
	case format.ColInterpreter:
		return str(ev.Interpreter)
	case format.ColTTY:
		return ev.TTY
	case format.ColSid:
		return ev.Sid
	case format.ColPgid:
		return ev.Pgid
	case format.ColVpgid:
		return ev.Vpgid
	case format.ColCapEffective:
		return ev.CapEffective
	case format.ColCapPermitted:
		return ev.CapPermitted
	case format.ColCapInheritable:
		return ev.CapInheritable
	case format.ColCgroupPath:
		return str(ev.CgroupPath)
	case format.ColContainerRuntime:
		return str(ev.ContainerRuntime)
	case format.ColStartTs:
		return ts(ev.StartTs)
	case format.ColState:
		return str(ev.State)
	case format.ColChildPid:
		return ev.ChildPid
	case format.ColChildTid:
		return ev.ChildTid
	case format.ColCloneFlags:
		return ev.CloneFlags
	case format.ColExitCode:
		return ev.ExitCode
	case format.ColExitSignal:
		return ev.ExitSignal
	case format.ColPath:
		return str(ev.Path)
	case format.ColPathRaw:
		return str(ev.PathRaw)
	case format.ColTargetPath:
		return str(ev.TargetPath)
	case format.ColTargetPathRaw:
		return str(ev.TargetPathRaw)
	case format.ColFlags:
		return ev.Flags
	case format.ColMode:
		return ev.Mode
	case format.ColFd:
		return ev.Fd
	case format.ColDev:
		return ev.Dev
	case format.ColIno:
		return ev.Ino
	case format.ColNewUID:
		return ev.NewUID
	case format.ColNewGID:
		return ev.NewGID
	case format.ColFamily:
		return ev.Family
	case format.ColSockType:
		return ev.SockType
	case format.ColProto:
		return str(ev.Proto)
	case format.ColSaddr:
		return str(ev.Saddr)
	case format.ColSport:
		return ev.Sport
	case format.ColDaddr:
		return str(ev.Daddr)
	case format.ColDport:
		return ev.Dport
	case format.ColTargetPid:
		return ev.TargetPid
	case format.ColSignal:
		return ev.Signal
	case format.ColOp:
		return ev.Op
	case format.ColNewEUID:
		return ev.NewEUID
	case format.ColNewSUID:
		return ev.NewSUID
	case format.ColNewEGID:
		return ev.NewEGID
	case format.ColNewSGID:
		return ev.NewSGID
	case format.ColNsFlags:
		return ev.NsFlags
	case format.ColFsType:
		return str(ev.FsType)
	case format.ColAddr:
		return ev.Addr
	case format.ColLen:
		return ev.Len
	case format.ColProt:
		return ev.Prot
	case format.ColSha256:
		return str(ev.Sha256)
	case format.ColHashSource:
		return str(ev.HashSource)
	case format.ColHashError:
		return str(ev.HashError)
	case format.ColDropsPerCPU:
		if ev.DropsPerCPU == nil {
			return nil
		}
		return ev.DropsPerCPU
	case format.ColDropsUser:
		return ev.DropsUser
	case format.ColEventsPerKind:
		if ev.EventsPerKind == nil {
			return nil
		}
		return ev.EventsPerKind
	case format.ColRingUsedBytes:
		return ev.RingUsedBytes
	case format.ColRingSizeBytes:
		return ev.RingSizeBytes
	case format.ColRecorderCPUNs:
		return ev.RecorderCPUNs
	case format.ColRecorderRSSBytes:
		return ev.RecorderRSSBytes
	case format.ColUserName:
		return str(ev.UserName)
	case format.ColUserHome:
		return str(ev.UserHome)
	case format.ColUserShell:
		return str(ev.UserShell)
	case format.ColGroupName:
		return str(ev.GroupName)
	case format.ColTruncated:
		return ev.Truncated
	case format.ColScriptPath:
		return str(ev.ScriptPath)
	case format.ColScriptDev:
		return ev.ScriptDev
	case format.ColScriptIno:
		return ev.ScriptIno
	case format.ColScriptCtime:
		return ts(ev.ScriptCtime)
	case format.ColScriptMtime:
		return ts(ev.ScriptMtime)
	case format.ColScriptSize:
		return ev.ScriptSize
	}
	panic(fmt.Sprintf("statetest: column %d has no value mapping", id))
}
