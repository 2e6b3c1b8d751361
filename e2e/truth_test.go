package e2e

import (
	"encoding/json"
	"fmt"
	"os"
)

// Truth is what a scenario script knows for certain about the rows its
// run must produce (samples/README.md describes the JSON). Pointer
// fields are optional: nil means "not checked".
type Truth struct {
	Scenario   string `json:"scenario"`
	ScriptPid  int32  `json:"script_pid"`
	Pgid       int32  `json:"pgid"`
	StartedNs  int64  `json:"started_ns"`
	FinishedNs int64  `json:"finished_ns"`

	Execs    []ExecTruth `json:"execs"`
	Opens    []OpenTruth `json:"opens"`
	Files    []FileTruth `json:"files"`
	Net      []NetTruth  `json:"net"`
	Security []SecTruth  `json:"security"`
	Forks    []ForkTruth `json:"forks"`
	Exits    []ExitTruth `json:"exits"`
}

// ExecTruth is one successful exec.
type ExecTruth struct {
	Pid      int32   `json:"pid"`
	Ppid     *int32  `json:"ppid"`
	Syscall  string  `json:"syscall"`
	Filename *string `json:"filename"`
	ExePath  *string `json:"exe_path"`
	// ExePathPrefix and ExePathSuffix match an exe path the scenario can
	// only partly predict (a memfd's " (deleted)" suffix, a sandbox
	// root).
	ExePathPrefix *string  `json:"exe_path_prefix"`
	ExePathSuffix *string  `json:"exe_path_suffix"`
	Argv          []string `json:"argv"`
	// Env entries (NAME=value) that must all be in the row's env.
	Env         []string          `json:"env"`
	Exe         *ExeTruth         `json:"exe"`
	UID         *uint32           `json:"uid"`
	EUID        *uint32           `json:"euid"`
	Vpid        *int32            `json:"vpid"`
	ContainerID *string           `json:"container_id"`
	UpperLayer  *bool             `json:"upper_layer"`
	LowerLayer  *bool             `json:"lower_layer"`
	FromMemfd   *bool             `json:"from_memfd"`
	Writable    *bool             `json:"writable"`
	Ns          map[string]uint32 `json:"ns"`
	// PidnsInitPid is the host pid of the init of the process's pid
	// namespace; its start time is PidnsInitStartNsApprox, exact to a
	// clock tick (10 ms) because /proc gives no more.
	PidnsInitPid           *int32 `json:"pidns_init_pid"`
	PidnsInitStartNsApprox *int64 `json:"pidns_init_start_ns_approx"`
	// ShortLived marks a process that exits within microseconds: its
	// hash must still be recorded.
	ShortLived bool `json:"short_lived"`
}

// ExeTruth is stat(2) and sha256 of an executable, taken by the scenario.
type ExeTruth struct {
	Path    string  `json:"path"`
	Dev     *uint64 `json:"dev"`
	Ino     *uint64 `json:"ino"`
	Mode    *uint32 `json:"mode"`
	UID     *uint32 `json:"uid"`
	GID     *uint32 `json:"gid"`
	Size    *int64  `json:"size"`
	CtimeNs *int64  `json:"ctime_ns"`
	MtimeNs *int64  `json:"mtime_ns"`
	Sha256  string  `json:"sha256"`
	// DevMajor, DevMinor and Writable restate Dev and the exec's
	// writable flag for people reading the file.
	DevMajor *uint32 `json:"dev_major"`
	DevMinor *uint32 `json:"dev_minor"`
	Writable *bool   `json:"writable"`
}

// OpenTruth is one successful open.
type OpenTruth struct {
	Pid        int32   `json:"pid"`
	Path       *string `json:"path"`
	PathSuffix *string `json:"path_suffix"`
	Ino        *uint64 `json:"ino"`
	// FlagsSet must all be set in the open flags; FlagsClear must all be
	// clear (FlagsClear 3 = O_ACCMODE clear: read-only).
	FlagsSet   *uint64 `json:"flags_set"`
	FlagsClear *uint64 `json:"flags_clear"`
}

// FileTruth is one write-side file operation.
type FileTruth struct {
	Pid        int32    `json:"pid"`
	Syscalls   []string `json:"syscalls"`
	Path       *string  `json:"path"`
	PathSuffix *string  `json:"path_suffix"`
	// PathRaw is the string the caller passed, for calls whose first
	// argument is not a file to resolve (a symlink's content).
	PathRaw    *string `json:"path_raw"`
	TargetPath *string `json:"target_path"`
	Mode       *uint32 `json:"mode"`
}

// NetTruth is one socket call.
type NetTruth struct {
	Pid      int32    `json:"pid"`
	Syscalls []string `json:"syscalls"`
	Fd       *int32   `json:"fd"`
	Family   *uint16  `json:"family"`
	Saddr    *string  `json:"saddr"`
	Sport    *uint16  `json:"sport"`
	Daddr    *string  `json:"daddr"`
	Dport    *uint16  `json:"dport"`
	Ret      *int64   `json:"ret"`
}

// SecTruth is one process-security call.
type SecTruth struct {
	Pid       int32    `json:"pid"`
	Syscalls  []string `json:"syscalls"`
	Ret       *int64   `json:"ret"`
	Op        *int64   `json:"op"`
	TargetPid *int32   `json:"target_pid"`
	NsFlags   *uint64  `json:"ns_flags"`
	NewUID    *uint32  `json:"new_uid"`
}

// ForkTruth is a parent creating a child process.
type ForkTruth struct {
	Pid      int32 `json:"pid"`
	ChildPid int32 `json:"child_pid"`
}

// ExitTruth is a process exiting.
type ExitTruth struct {
	Pid      int32 `json:"pid"`
	ExitCode int32 `json:"exit_code"`
}

// LoadTruth reads a truth file strictly: an unknown key is an error, so
// that a scenario and this package cannot drift apart silently.
func LoadTruth(path string) (*Truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("truth: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var tr Truth
	if err := dec.Decode(&tr); err != nil {
		return nil, fmt.Errorf("truth %s: %w", path, err)
	}
	if tr.Scenario == "" {
		return nil, fmt.Errorf("truth %s: no scenario name", path)
	}
	return &tr, nil
}

// Pids lists every pid the truth names, so a recording can be cut down
// to the scenario's rows.
func (tr *Truth) Pids() map[int32]bool {
	pids := map[int32]bool{tr.ScriptPid: true}
	for _, e := range tr.Execs {
		pids[e.Pid] = true
		if e.Ppid != nil {
			pids[*e.Ppid] = true
		}
		if e.PidnsInitPid != nil {
			pids[*e.PidnsInitPid] = true
		}
	}
	for _, o := range tr.Opens {
		pids[o.Pid] = true
	}
	for _, f := range tr.Files {
		pids[f.Pid] = true
	}
	for _, n := range tr.Net {
		pids[n.Pid] = true
	}
	for _, s := range tr.Security {
		pids[s.Pid] = true
	}
	for _, f := range tr.Forks {
		pids[f.Pid], pids[f.ChildPid] = true, true
	}
	for _, x := range tr.Exits {
		pids[x.Pid] = true
	}
	return pids
}
