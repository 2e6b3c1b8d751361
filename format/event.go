package format

// Event is one row of the event table, as the writer takes it and as the
// reader decodes it for tools that want whole rows (dump, tests). Which
// fields are meaningful depends on Kind: a column outside the row's kind
// is stored as null. Inside the kind, a field is stored as given, except
// that an empty string or nil list is stored as null, and that columns
// listed in Null are stored as null (a value that could not be read).
//
// Timestamps are ns since the Unix epoch; 0 in a timestamp column other
// than Ts means unknown and is stored as null, and so does 0 in
// ScriptDev, ScriptIno and ScriptSize (an exec that ran no script).
//
// An Event is a plain value; it is not safe for concurrent mutation.
type Event struct {
	Ts      int64
	Kind    Kind
	Syscall string
	CPU     uint16
	Seq     uint64
	// Truncated says the kernel cut one of the row's strings or lists.
	Truncated bool

	Pid, Tid, Ppid, Vpid, Vtid int32
	UID, GID, EUID, EGID       uint32
	LoginUID                   uint32
	Comm                       string
	ExePath                    string
	ExeDev, ExeIno             uint64

	MntNs, PidNs, NetNs, UtsNs, IpcNs, UserNs, CgroupNs uint32
	CgroupID                                            uint64
	ContainerID                                         string
	Ret                                                 int64

	// exec and keyframe
	Filename         string
	Argv             []string
	Cwd              string
	Env              []string
	ExeCtime         int64
	ExeMtime         int64
	ExeMode          uint32
	ExeUID, ExeGID   uint32
	ExeSize          int64
	ExeUpperLayer    bool
	ExeLowerLayer    bool
	ExeFromMemfd     bool
	ExeWritable      bool
	PidnsInitStartTs int64
	Interpreter      string
	// the script file Interpreter names, as the kernel opened it
	ScriptPath               string
	ScriptDev, ScriptIno     uint64
	ScriptCtime, ScriptMtime int64
	ScriptSize               int64
	TTY                      uint32
	Sid, Pgid, Vpgid         int32
	CapEffective             uint64
	CapPermitted             uint64
	CapInheritable           uint64
	CgroupPath               string
	ContainerRuntime         string
	StartTs                  int64
	State                    string

	// fork
	ChildPid, ChildTid int32
	CloneFlags         uint64

	// exit
	ExitCode, ExitSignal int32

	// open and file
	Path, PathRaw             string
	TargetPath, TargetPathRaw string
	Flags                     uint64
	Mode                      uint32
	Fd                        int32
	Dev, Ino                  uint64
	NewUID, NewGID            uint32

	// net
	Family, SockType uint16
	Proto            string
	Saddr            string
	Sport            uint16
	Daddr            string
	Dport            uint16

	// security
	TargetPid                          int32
	Signal                             int32
	Op                                 int64
	NewEUID, NewSUID, NewEGID, NewSGID uint32
	NsFlags                            uint64
	FsType                             string
	Addr, Len                          uint64
	Prot                               uint32

	// exe_hash
	Sha256     string
	HashSource string
	HashError  string

	// heartbeat
	DropsPerCPU      []uint64
	DropsUser        uint64
	EventsPerKind    []KindCount
	RingUsedBytes    uint64
	RingSizeBytes    uint64
	RecorderCPUNs    uint64
	RecorderRSSBytes uint64

	// user and group (UID / GID hold the id)
	UserName, UserHome, UserShell string
	GroupName                     string

	// Null marks columns to store as null although the kind has them.
	Null ColumnSet
}

// KindCount is one entry of a heartbeat's events_per_kind map.
type KindCount struct {
	Kind  string `json:"kind"`
	Count uint64 `json:"count"`
}

// ColumnSet is a set of columns, one bit per ColumnID.
type ColumnSet [(NumColumns + 63) / 64]uint64

// Add puts c in the set.
func (s *ColumnSet) Add(c ColumnID) { s[c/64] |= 1 << (c % 64) }

// Has reports whether c is in the set.
func (s *ColumnSet) Has(c ColumnID) bool { return s[c/64]&(1<<(c%64)) != 0 }
