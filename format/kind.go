package format

import "fmt"

// Kind is the kind of a row: which group of sparse columns it fills.
type Kind uint8

// The event kinds, in the order of DESIGN.md. The zero Kind is invalid so
// that an unset Event is caught by the writer.
const (
	KindInvalid   Kind = iota
	KindExec           // execve / execveat that returned
	KindFork           // fork, vfork, clone, clone3 (parent side)
	KindExit           // process or thread exit
	KindOpen           // open, openat, openat2, creat
	KindFile           // write-side file ops: unlink, rename, chmod, chown, link, symlink, mkdir, rmdir, truncate, utimes
	KindNet            // connect, accept, bind, listen, sendto/recvfrom with addresses, socket
	KindSecurity       // privilege, namespace, module, ptrace, memory-exec and similar changes
	KindExeHash        // sha256 of an executable identity (dev, ino, ctime, mtime, size)
	KindKeyframe       // one row per live process at segment start
	KindHeartbeat      // cumulative counters, once a second
	KindUser           // a user account known at recording time (uid -> name, home, shell)
	KindGroup          // a group known at recording time (gid -> name)
	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid:   "invalid",
	KindExec:      "exec",
	KindFork:      "fork",
	KindExit:      "exit",
	KindOpen:      "open",
	KindFile:      "file",
	KindNet:       "net",
	KindSecurity:  "security",
	KindExeHash:   "exe_hash",
	KindKeyframe:  "keyframe",
	KindHeartbeat: "heartbeat",
	KindUser:      "user",
	KindGroup:     "group",
}

// Kinds lists every valid kind in order.
func Kinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := KindExec; k < numKinds; k++ {
		out = append(out, k)
	}
	return out
}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k > KindInvalid && k < numKinds }

// ParseKind maps a kind name (as stored in the kind column) to its Kind.
func ParseKind(s string) (Kind, error) {
	for k := KindExec; k < numKinds; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return KindInvalid, fmt.Errorf("unknown event kind %q", s)
}

// KindSet is a set of kinds, one bit per Kind.
type KindSet uint32

// SetOf builds a KindSet.
func SetOf(kinds ...Kind) KindSet {
	var s KindSet
	for _, k := range kinds {
		s |= 1 << k
	}
	return s
}

// Has reports whether k is in the set.
func (s KindSet) Has(k Kind) bool { return s&(1<<k) != 0 }

// allKinds holds every valid kind: the columns common to every row.
var allKinds = func() KindSet {
	var s KindSet
	for k := KindExec; k < numKinds; k++ {
		s |= 1 << k
	}
	return s
}()
