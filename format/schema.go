package format

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// SchemaVersion is the version of the column set below. Bump it when a
// column is added, removed or changes meaning; readers accept every
// version up to their own and refuse newer ones.
//
// Version 2 added truncated; version 3 the script_* columns; version 4
// stores the columns of each group in Groups as dictionaries that share
// their indices (see StorageType); version 5 stores a member equal to
// another as null in its dictionary (SameAs); version 6 stores ts and
// seq as differences (DeltaVersion).
const SchemaVersion = 6

// Metadata keys stored on the Arrow schema of every segment.
const (
	MetaSchemaVersion = "rewind.schema_version"
	MetaFieldDoc      = "rewind.doc"
	MetaFieldKinds    = "rewind.kinds"
)

// ColumnID indexes Columns; it is also the field index in the Arrow schema.
type ColumnID int

// Column describes one column of the single logical event table.
type Column struct {
	Name string
	Type arrow.DataType
	// Kinds are the row kinds that fill this column; every other row
	// holds null here.
	Kinds KindSet
	Doc   string
}

// The column IDs. Their order is the field order in the Arrow schema.
const (
	ColTs ColumnID = iota
	ColKind
	ColSyscall
	ColCPU
	ColSeq
	ColPid
	ColTid
	ColPpid
	ColVpid
	ColVtid
	ColUID
	ColGID
	ColEUID
	ColEGID
	ColLoginUID
	ColComm
	ColExePath
	ColExeDev
	ColExeIno
	ColMntNs
	ColPidNs
	ColNetNs
	ColUtsNs
	ColIpcNs
	ColUserNs
	ColCgroupNs
	ColCgroupID
	ColContainerID
	ColRet

	// exec and keyframe
	ColFilename
	ColArgv
	ColCwd
	ColEnv
	ColExeCtime
	ColExeMtime
	ColExeMode
	ColExeUID
	ColExeGID
	ColExeSize
	ColExeUpperLayer
	ColExeLowerLayer
	ColExeFromMemfd
	ColExeWritable
	ColPidnsInitStartTs
	ColInterpreter
	ColTTY
	ColSid
	ColPgid
	ColVpgid
	ColCapEffective
	ColCapPermitted
	ColCapInheritable
	ColCgroupPath
	ColContainerRuntime
	ColStartTs
	ColState

	// fork
	ColChildPid
	ColChildTid
	ColCloneFlags

	// exit
	ColExitCode
	ColExitSignal

	// open and file
	ColPath
	ColPathRaw
	ColTargetPath
	ColTargetPathRaw
	ColFlags
	ColMode
	ColFd
	ColDev
	ColIno
	ColNewUID
	ColNewGID

	// net
	ColFamily
	ColSockType
	ColProto
	ColSaddr
	ColSport
	ColDaddr
	ColDport

	// security
	ColTargetPid
	ColSignal
	ColOp
	ColNewEUID
	ColNewSUID
	ColNewEGID
	ColNewSGID
	ColNsFlags
	ColFsType
	ColAddr
	ColLen
	ColProt

	// exe_hash
	ColSha256
	ColHashSource
	ColHashError

	// heartbeat
	ColDropsPerCPU
	ColDropsUser
	ColEventsPerKind
	ColRingUsedBytes
	ColRingSizeBytes
	ColRecorderCPUNs
	ColRecorderRSSBytes

	// user and group
	ColUserName
	ColUserHome
	ColUserShell
	ColGroupName

	// Columns added after version 1 go here, at the end, so that an
	// older segment's columns are a prefix of the current ones (see
	// addedIn).
	ColTruncated
	ColScriptPath
	ColScriptDev
	ColScriptIno
	ColScriptCtime
	ColScriptMtime
	ColScriptSize

	NumColumns
)

// addedIn is the schema version that added a column; a column not listed
// is in every version. A reader fills a column newer than its segment
// with nulls: unknown, as that recorder did not say.
var addedIn = map[ColumnID]int{
	ColTruncated:   2,
	ColScriptPath:  3,
	ColScriptDev:   3,
	ColScriptIno:   3,
	ColScriptCtime: 3,
	ColScriptMtime: 3,
	ColScriptSize:  3,
}

// AddedIn returns the schema version that added column c.
func AddedIn(c ColumnID) int {
	if v, ok := addedIn[c]; ok {
		return v
	}
	return 1
}

// ColumnsInVersion returns how many columns a segment of schema version v
// has: a prefix of Columns.
func ColumnsInVersion(v int) int {
	n := 0
	for c := ColumnID(0); c < NumColumns; c++ {
		if AddedIn(c) <= v {
			n = int(c) + 1
		}
	}
	return n
}

// A Group is a set of columns that describe one entity of a row: the
// file a row acts on, or the two ends of a socket. From schema version
// GroupsVersion on, a segment stores each member as a dictionary-encoded
// column (StorageType), and all members of a group share one dictionary
// index per row: entry k of every member's dictionary belongs to the same
// distinct combination of the members' values, so the members' index
// buffers are the same bytes and the writer stores them once. A file
// opened a thousand times then costs one small index per open, instead of
// its path, raw path, device and inode each time. Readers return the
// columns with their logical types (Column.Type): any Arrow reader sees
// ordinary dictionary columns.
type Group struct {
	Name    string
	Members []ColumnID
}

// GroupsVersion is the first schema version that stores Groups.
const GroupsVersion = 4

// Groups are the column groups; a column is in at most one.
var Groups = []Group{
	{"file", []ColumnID{ColPath, ColPathRaw, ColDev, ColIno}},
	{"endpoints", []ColumnID{ColFamily, ColSockType, ColProto, ColSaddr, ColDaddr, ColDport}},
}

// groupOf is the index in Groups of each column's group, or -1.
var groupOf = func() [NumColumns]int {
	var g [NumColumns]int
	for c := range g {
		g[c] = -1
	}
	for i, gr := range Groups {
		for _, c := range gr.Members {
			g[c] = i
		}
	}
	return g
}()

// storageTypes holds the stored type of every column from GroupsVersion on.
var storageTypes = func() [NumColumns]arrow.DataType {
	var t [NumColumns]arrow.DataType
	for c := range t {
		t[c] = Columns[c].Type
		if groupOf[c] >= 0 && Columns[c].Type.ID() != arrow.DICTIONARY {
			t[c] = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: Columns[c].Type}
		}
	}
	return t
}()

// StorageType is the Arrow type column c has in a segment of schema
// version v: its logical type, except for the members of a group (from
// GroupsVersion on), which are dictionaries of their logical type.
func StorageType(c ColumnID, v int) arrow.DataType {
	if v >= GroupsVersion {
		return storageTypes[c]
	}
	return Columns[c].Type
}

// A SameAs member of a group is stored, from SameAsVersion on, as a null
// value in its dictionary for the entries where it equals the As member
// (a raw path argument that is already the resolved path: 9 opens in
// 10), so that the string is stored once. A row where the member itself
// is null is null in its own index column instead. Readers put the As
// value back; other Arrow readers see null for "same as As".
type SameAs struct {
	Col, As ColumnID
}

// SameAsVersion is the first schema version that stores SameAsMembers so.
const SameAsVersion = 5

// SameAsMembers are the members stored as SameAs; each is in the same
// group as its As, and a group has at most one.
var SameAsMembers = []SameAs{{ColPathRaw, ColPath}}

// sameAsOf returns the As member of c in a segment of schema version v.
func sameAsOf(c ColumnID, v int) (ColumnID, bool) {
	if v < SameAsVersion {
		return 0, false
	}
	for _, s := range SameAsMembers {
		if s.Col == c {
			return s.As, true
		}
	}
	return 0, false
}

// GroupOf returns the group column c belongs to, if any.
func GroupOf(c ColumnID) (Group, bool) {
	if groupOf[c] < 0 {
		return Group{}, false
	}
	return Groups[groupOf[c]], true
}

// Shared Arrow types, so that a column's type is spelled once.
var (
	TypeDictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	TypeTimestamp  = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	TypeStringList = arrow.ListOf(arrow.BinaryTypes.String)
	TypeUint64List = arrow.ListOf(arrow.PrimitiveTypes.Uint64)
	TypeKindCounts = arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Uint64)
)

var (
	kernelKinds  = SetOf(KindExec, KindFork, KindExit, KindOpen, KindFile, KindNet, KindSecurity)
	processKinds = kernelKinds | SetOf(KindKeyframe)
	exeKinds     = SetOf(KindExec, KindKeyframe)
	fileKinds    = SetOf(KindOpen, KindFile)
	identityKind = processKinds | SetOf(KindExeHash)
)

// Columns is the schema: the one definition that the writer, the reader,
// the docs (`rewind-replay schema`) and replay's field catalog all read.
var Columns = [NumColumns]Column{
	ColTs:          {"ts", TypeTimestamp, allKinds, "Event time, ns since the Unix epoch (kernel boot clock plus the recorded boot offset)."},
	ColKind:        {"kind", TypeDictString, allKinds, "Row kind: exec, fork, exit, open, file, net, security, exe_hash, keyframe, heartbeat, user, group."},
	ColSyscall:     {"syscall", TypeDictString, kernelKinds, "System call or kernel event that produced the row (execve, openat, sched_process_exit, ...)."},
	ColCPU:         {"cpu", arrow.PrimitiveTypes.Uint16, kernelKinds, "CPU the event was recorded on."},
	ColSeq:         {"seq", arrow.PrimitiveTypes.Uint64, kernelKinds, "Per-CPU sequence number assigned in the kernel; a gap means lost events."},
	ColPid:         {"pid", arrow.PrimitiveTypes.Int32, processKinds, "Process id (thread group id) in the initial pid namespace."},
	ColTid:         {"tid", arrow.PrimitiveTypes.Int32, processKinds, "Thread id in the initial pid namespace."},
	ColPpid:        {"ppid", arrow.PrimitiveTypes.Int32, processKinds, "Parent process id (real parent's thread group id)."},
	ColVpid:        {"vpid", arrow.PrimitiveTypes.Int32, processKinds, "Process id as seen inside the process's own pid namespace."},
	ColVtid:        {"vtid", arrow.PrimitiveTypes.Int32, processKinds, "Thread id as seen inside the process's own pid namespace."},
	ColUID:         {"uid", arrow.PrimitiveTypes.Uint32, processKinds, "Real user id."},
	ColGID:         {"gid", arrow.PrimitiveTypes.Uint32, processKinds, "Real group id."},
	ColEUID:        {"euid", arrow.PrimitiveTypes.Uint32, processKinds, "Effective user id."},
	ColEGID:        {"egid", arrow.PrimitiveTypes.Uint32, processKinds, "Effective group id."},
	ColLoginUID:    {"loginuid", arrow.PrimitiveTypes.Uint32, processKinds, "Audit login uid (4294967295 when unset)."},
	ColComm:        {"comm", TypeDictString, processKinds, "Task command name (at most 15 bytes, from the kernel)."},
	ColExePath:     {"exe_path", TypeDictString, processKinds, "Path of the process's executable, resolved by the kernel."},
	ColExeDev:      {"exe_dev", arrow.PrimitiveTypes.Uint64, identityKind, "Device number of the executable's filesystem."},
	ColExeIno:      {"exe_ino", arrow.PrimitiveTypes.Uint64, identityKind, "Inode number of the executable."},
	ColMntNs:       {"mnt_ns", arrow.PrimitiveTypes.Uint32, processKinds, "Mount namespace inode number."},
	ColPidNs:       {"pid_ns", arrow.PrimitiveTypes.Uint32, processKinds, "Pid namespace inode number (the namespace the process lives in)."},
	ColNetNs:       {"net_ns", arrow.PrimitiveTypes.Uint32, processKinds, "Network namespace inode number."},
	ColUtsNs:       {"uts_ns", arrow.PrimitiveTypes.Uint32, processKinds, "UTS namespace inode number."},
	ColIpcNs:       {"ipc_ns", arrow.PrimitiveTypes.Uint32, processKinds, "IPC namespace inode number."},
	ColUserNs:      {"user_ns", arrow.PrimitiveTypes.Uint32, processKinds, "User namespace inode number."},
	ColCgroupNs:    {"cgroup_ns", arrow.PrimitiveTypes.Uint32, processKinds, "Cgroup namespace inode number."},
	ColCgroupID:    {"cgroup_id", arrow.PrimitiveTypes.Uint64, processKinds, "Cgroup v2 id of the task's default-hierarchy cgroup."},
	ColContainerID: {"container_id", TypeDictString, processKinds, "Container id derived from the cgroup path (docker, containerd, cri-o, podman, ...); null on the host."},
	ColRet:         {"ret", arrow.PrimitiveTypes.Int64, kernelKinds, "Return value of the system call (negative errno on failure)."},

	ColFilename:         {"filename", arrow.BinaryTypes.String, exeKinds, "Path passed to execve as the user supplied it."},
	ColArgv:             {"argv", TypeStringList, exeKinds, "Argument vector, bounded in count and size; redacted where configured."},
	ColCwd:              {"cwd", arrow.BinaryTypes.String, exeKinds, "Current working directory at exec."},
	ColEnv:              {"env", TypeStringList, exeKinds, "Selected environment variables as NAME=value (LD_PRELOAD, LD_LIBRARY_PATH, ...; configurable)."},
	ColExeCtime:         {"exe_ctime", TypeTimestamp, exeKinds | SetOf(KindExeHash), "Executable inode status-change time (ctime)."},
	ColExeMtime:         {"exe_mtime", TypeTimestamp, exeKinds | SetOf(KindExeHash), "Executable inode modification time (mtime)."},
	ColExeMode:          {"exe_mode", arrow.PrimitiveTypes.Uint32, exeKinds, "Executable inode mode (type and permission bits)."},
	ColExeUID:           {"exe_uid", arrow.PrimitiveTypes.Uint32, exeKinds, "Owner uid of the executable file."},
	ColExeGID:           {"exe_gid", arrow.PrimitiveTypes.Uint32, exeKinds, "Owner gid of the executable file."},
	ColExeSize:          {"exe_size", arrow.PrimitiveTypes.Int64, exeKinds | SetOf(KindExeHash), "Size of the executable file in bytes."},
	ColExeUpperLayer:    {"exe_upper_layer", arrow.FixedWidthTypes.Boolean, exeKinds, "The executable lives in the upper (writable) layer of an overlayfs."},
	ColExeLowerLayer:    {"exe_lower_layer", arrow.FixedWidthTypes.Boolean, exeKinds, "The executable lives in a lower (image) layer of an overlayfs."},
	ColExeFromMemfd:     {"exe_from_memfd", arrow.FixedWidthTypes.Boolean, exeKinds, "The executable is an anonymous memfd_create file."},
	ColExeWritable:      {"exe_writable", arrow.FixedWidthTypes.Boolean, exeKinds, "The executable file is writable by the user that ran it."},
	ColPidnsInitStartTs: {"pidns_init_start_ts", TypeTimestamp, exeKinds | SetOf(KindFork), "Start time of the init process of the task's pid namespace."},
	ColInterpreter:      {"interpreter", arrow.BinaryTypes.String, exeKinds, "Script path when the exec ran a #! script (the interpreter is exe_path)."},
	ColTTY:              {"tty", arrow.PrimitiveTypes.Uint32, exeKinds, "Controlling terminal device number; 0 without a terminal."},
	ColSid:              {"sid", arrow.PrimitiveTypes.Int32, exeKinds, "Session id."},
	ColPgid:             {"pgid", arrow.PrimitiveTypes.Int32, exeKinds, "Process group id."},
	ColVpgid:            {"vpgid", arrow.PrimitiveTypes.Int32, exeKinds, "Process group id inside the process's pid namespace."},
	ColCapEffective:     {"cap_effective", arrow.PrimitiveTypes.Uint64, exeKinds | SetOf(KindSecurity), "Effective capability set (after exec, or set by capset)."},
	ColCapPermitted:     {"cap_permitted", arrow.PrimitiveTypes.Uint64, exeKinds | SetOf(KindSecurity), "Permitted capability set (after exec, or as set by capset)."},
	ColCapInheritable:   {"cap_inheritable", arrow.PrimitiveTypes.Uint64, exeKinds | SetOf(KindSecurity), "Inheritable capability set (after exec, or as set by capset)."},
	ColCgroupPath:       {"cgroup_path", TypeDictString, exeKinds, "Cgroup v2 path of the process."},
	ColContainerRuntime: {"container_runtime", TypeDictString, exeKinds, "Container runtime recognised from the cgroup path (docker, containerd, cri-o, podman, systemd)."},
	ColStartTs:          {"start_ts", TypeTimestamp, exeKinds, "Process start time (the fork that created it)."},
	ColState:            {"state", TypeDictString, SetOf(KindKeyframe), "Process state letter from /proc at keyframe time (R, S, D, Z, ...)."},

	ColChildPid:   {"child_pid", arrow.PrimitiveTypes.Int32, SetOf(KindFork), "Pid of the new process (or thread group of a new thread)."},
	ColChildTid:   {"child_tid", arrow.PrimitiveTypes.Int32, SetOf(KindFork), "Tid of the new task."},
	ColCloneFlags: {"clone_flags", arrow.PrimitiveTypes.Uint64, SetOf(KindFork), "Clone flags (CLONE_*); fork is SIGCHLD only."},

	ColExitCode:   {"exit_code", arrow.PrimitiveTypes.Int32, SetOf(KindExit), "Exit status passed to exit(2)."},
	ColExitSignal: {"exit_signal", arrow.PrimitiveTypes.Int32, SetOf(KindExit), "Signal that killed the task; 0 for a normal exit."},

	ColPath:          {"path", TypeDictString, fileKinds | SetOf(KindSecurity), "Path resolved by the kernel (Falco fd.name): from the opened struct file, or the first path argument."},
	ColPathRaw:       {"path_raw", TypeDictString, fileKinds | SetOf(KindSecurity), "Path string as the caller passed it (Falco fd.nameraw)."},
	ColTargetPath:    {"target_path", arrow.BinaryTypes.String, fileKinds | SetOf(KindSecurity), "Second path: rename/link destination, symlink link path, mount target."},
	ColTargetPathRaw: {"target_path_raw", arrow.BinaryTypes.String, fileKinds | SetOf(KindSecurity), "Second path as the caller passed it (symlink target text)."},
	ColFlags:         {"flags", arrow.PrimitiveTypes.Uint64, fileKinds | SetOf(KindNet, KindSecurity), "Flags argument: open flags, rename/unlink flags, mount/memfd/mmap flags, accept4 flags."},
	ColMode:          {"mode", arrow.PrimitiveTypes.Uint32, fileKinds, "Mode argument: create mode, chmod mode, mkdir mode."},
	ColFd:            {"fd", arrow.PrimitiveTypes.Int32, fileKinds | SetOf(KindNet, KindSecurity), "File descriptor: returned by open/accept, or the one acted on; null if the call takes none."},
	ColDev:           {"dev", arrow.PrimitiveTypes.Uint64, fileKinds, "Device number of the file's filesystem."},
	ColIno:           {"ino", arrow.PrimitiveTypes.Uint64, fileKinds | SetOf(KindSecurity), "Inode number of the file (setns: of the namespace joined)."},
	ColNewUID:        {"new_uid", arrow.PrimitiveTypes.Uint32, SetOf(KindFile, KindSecurity), "Requested owner or real uid (chown, setuid, setreuid, setresuid); null when unchanged."},
	ColNewGID:        {"new_gid", arrow.PrimitiveTypes.Uint32, SetOf(KindFile, KindSecurity), "Requested group or real gid (chown, setgid, setregid, setresgid); null when unchanged."},

	ColFamily:   {"family", arrow.PrimitiveTypes.Uint16, SetOf(KindNet), "Address family (AF_INET=2, AF_INET6=10, AF_UNIX=1, AF_PACKET=17, ...)."},
	ColSockType: {"sock_type", arrow.PrimitiveTypes.Uint16, SetOf(KindNet), "Socket type (SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, ...)."},
	ColProto:    {"proto", TypeDictString, SetOf(KindNet), "Transport protocol: tcp, udp, icmp, raw, unix."},
	ColSaddr:    {"saddr", arrow.BinaryTypes.String, SetOf(KindNet), "Local address as text (IP, or unix socket path), from the socket."},
	ColSport:    {"sport", arrow.PrimitiveTypes.Uint16, SetOf(KindNet), "Local port."},
	ColDaddr:    {"daddr", arrow.BinaryTypes.String, SetOf(KindNet), "Remote address as text (IP, or unix socket path)."},
	ColDport:    {"dport", arrow.PrimitiveTypes.Uint16, SetOf(KindNet), "Remote port."},

	ColTargetPid: {"target_pid", arrow.PrimitiveTypes.Int32, SetOf(KindSecurity), "Process acted on: kill, ptrace, process_vm_writev, pidfd, setns target."},
	ColSignal:    {"signal", arrow.PrimitiveTypes.Int32, SetOf(KindSecurity), "Signal sent (kill, tkill, tgkill)."},
	ColOp:        {"op", arrow.PrimitiveTypes.Int64, SetOf(KindSecurity), "Operation code: ptrace request, prctl option, bpf command."},
	ColNewEUID:   {"new_euid", arrow.PrimitiveTypes.Uint32, SetOf(KindSecurity), "Requested effective uid (setreuid, setresuid, setfsuid); null when unchanged."},
	ColNewSUID:   {"new_suid", arrow.PrimitiveTypes.Uint32, SetOf(KindSecurity), "Requested saved uid (setresuid); null when unchanged."},
	ColNewEGID:   {"new_egid", arrow.PrimitiveTypes.Uint32, SetOf(KindSecurity), "Requested effective gid; null when unchanged."},
	ColNewSGID:   {"new_sgid", arrow.PrimitiveTypes.Uint32, SetOf(KindSecurity), "Requested saved gid; null when unchanged."},
	ColNsFlags:   {"ns_flags", arrow.PrimitiveTypes.Uint64, SetOf(KindSecurity, KindFork), "Namespace flags (CLONE_NEW*) of unshare, clone3 or setns (an nsfs fd: its type, from the kernel)."},
	ColFsType:    {"fs_type", TypeDictString, SetOf(KindSecurity), "Filesystem type of a mount."},
	ColAddr:      {"addr", arrow.PrimitiveTypes.Uint64, SetOf(KindSecurity), "Memory address argument (mmap, mprotect, ptrace)."},
	ColLen:       {"len", arrow.PrimitiveTypes.Uint64, SetOf(KindFile, KindSecurity), "Length argument (mmap, mprotect, process_vm_writev bytes, truncate)."},
	ColProt:      {"prot", arrow.PrimitiveTypes.Uint32, SetOf(KindSecurity), "Memory protection (PROT_*) of mmap or mprotect."},

	ColSha256:     {"sha256", arrow.BinaryTypes.String, SetOf(KindExeHash), "Lower-case hex sha256 of the executable; null when it could not be hashed."},
	ColHashSource: {"hash_source", TypeDictString, SetOf(KindExeHash), "How the hash was obtained: proc_exe, path, proc_fd (a #! script through the descriptor its interpreter held; mtime and size checked, not ctime, which deleting the script changes), cache; or why not: gone, changed, error."},
	ColHashError:  {"hash_error", arrow.BinaryTypes.String, SetOf(KindExeHash), "Why the executable could not be hashed, when it could not."},

	ColDropsPerCPU:      {"drops_per_cpu", TypeUint64List, SetOf(KindHeartbeat), "Cumulative ring-buffer reserve failures per CPU, counted in the kernel."},
	ColDropsUser:        {"drops_user", arrow.PrimitiveTypes.Uint64, SetOf(KindHeartbeat), "Cumulative events dropped in user space (queue full, decode errors)."},
	ColEventsPerKind:    {"events_per_kind", TypeKindCounts, SetOf(KindHeartbeat), "Cumulative events recorded per kind."},
	ColRingUsedBytes:    {"ring_used_bytes", arrow.PrimitiveTypes.Uint64, SetOf(KindHeartbeat), "Bytes waiting in the ring buffer when the heartbeat was taken."},
	ColRingSizeBytes:    {"ring_size_bytes", arrow.PrimitiveTypes.Uint64, SetOf(KindHeartbeat), "Size of the ring buffer."},
	ColRecorderCPUNs:    {"recorder_cpu_ns", arrow.PrimitiveTypes.Uint64, SetOf(KindHeartbeat), "Cumulative CPU time used by the recorder process."},
	ColRecorderRSSBytes: {"recorder_rss_bytes", arrow.PrimitiveTypes.Uint64, SetOf(KindHeartbeat), "Resident set size of the recorder process."},

	ColUserName:  {"user_name", TypeDictString, SetOf(KindUser), "User name for the row's uid."},
	ColUserHome:  {"user_home", arrow.BinaryTypes.String, SetOf(KindUser), "Home directory for the row's uid."},
	ColUserShell: {"user_shell", arrow.BinaryTypes.String, SetOf(KindUser), "Login shell for the row's uid."},
	ColGroupName: {"group_name", TypeDictString, SetOf(KindGroup), "Group name for the row's gid."},

	ColTruncated: {"truncated", arrow.FixedWidthTypes.Boolean, kernelKinds, "The kernel cut a string or list of this row to its bound (argv, env, a path): the value stored is a prefix. Null in segments older than schema version 2."},

	ColScriptPath:  {"script_path", arrow.BinaryTypes.String, exeKinds, "Kernel path of the file an interpreter was started for (a #! script, a binfmt_misc file), from the file the kernel opened for the exec; null when the exec ran no script, or in segments older than schema version 3."},
	ColScriptDev:   {"script_dev", arrow.PrimitiveTypes.Uint64, exeKinds, "Device number of the script file (stat(2) encoding). Its identity (dev, ino, ctime, mtime, size) is the key of its exe_hash row."},
	ColScriptIno:   {"script_ino", arrow.PrimitiveTypes.Uint64, exeKinds, "Inode number of the script file."},
	ColScriptCtime: {"script_ctime", TypeTimestamp, exeKinds, "Script file inode status-change time (ctime) at the exec."},
	ColScriptMtime: {"script_mtime", TypeTimestamp, exeKinds, "Script file modification time (mtime) at the exec."},
	ColScriptSize:  {"script_size", arrow.PrimitiveTypes.Int64, exeKinds, "Size of the script file in bytes at the exec."},
}

// Column UID and GID also carry the account id on user and group rows.
func init() {
	Columns[ColUID].Kinds |= SetOf(KindUser)
	Columns[ColGID].Kinds |= SetOf(KindGroup)
}

// ColumnByName finds a column by its name.
func ColumnByName(name string) (ColumnID, bool) {
	for i := range Columns {
		if Columns[i].Name == name {
			return ColumnID(i), true
		}
	}
	return -1, false
}

// Schema returns the Arrow schema of the current version as readers
// return it (logical types), with each field's description and kinds in
// its metadata.
func Schema() *arrow.Schema {
	return schemaWith(func(c ColumnID) arrow.DataType { return Columns[c].Type })
}

// storageSchema is the schema of a segment written now (storage types).
func storageSchema() *arrow.Schema {
	return schemaWith(func(c ColumnID) arrow.DataType { return StorageType(c, SchemaVersion) })
}

func schemaWith(typeOf func(ColumnID) arrow.DataType) *arrow.Schema {
	fields := make([]arrow.Field, NumColumns)
	for i, c := range Columns {
		var kinds []string
		for _, k := range Kinds() {
			if c.Kinds.Has(k) {
				kinds = append(kinds, k.String())
			}
		}
		fields[i] = arrow.Field{
			Name:     c.Name,
			Type:     typeOf(ColumnID(i)),
			Nullable: true,
			Metadata: arrow.NewMetadata(
				[]string{MetaFieldDoc, MetaFieldKinds},
				[]string{c.Doc, joinComma(kinds)},
			),
		}
	}
	md := arrow.NewMetadata([]string{MetaSchemaVersion}, []string{strconv.Itoa(SchemaVersion)})
	return arrow.NewSchema(fields, &md)
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}
