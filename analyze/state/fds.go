package state

// FD is what the table knows about one open file descriptor. Recordings
// hold no close events, so entries live until the number is reused, the
// table for the process is full (the oldest entries are evicted) or the
// process exits.
type FD struct {
	Num int32
	// TypeChar follows Falco's fd.typechar: 'f' file, 'd' directory, '4'
	// and '6' IP sockets, 'u' unix socket, 'm' memfd, 'o' other.
	TypeChar byte
	Name     string // path for files; connection tuple for sockets
	Flags    uint64 // open flags
	Family   uint16
	Proto    string // tcp, udp, icmp, raw, unix
	Saddr    string // local address
	Sport    uint16
	Daddr    string // remote address
	Dport    uint16
	// Connected is true after a successful connect or accept.
	Connected bool
	// Server is true for an accepted or listening socket.
	Server bool
	seq    uint64
}

// Typename returns Falco's fd.type word for the entry's TypeChar.
func (f *FD) Typename() string { return TypeName(f.TypeChar) }

// TypeName maps a Falco fd.typechar to its fd.type word.
func TypeName(c byte) string {
	switch c {
	case 'f':
		return "file"
	case 'd':
		return "directory"
	case '4':
		return "ipv4"
	case '6':
		return "ipv6"
	case 'u':
		return "unix"
	case 'p':
		return "pipe"
	case 'm':
		return "memfd"
	case 'e':
		return "event"
	case 'n':
		return "netlink"
	}
	return "unknown"
}

// DefaultMaxFDs bounds each process's fd table.
const DefaultMaxFDs = 256

type fdTable struct {
	m   map[int32]*FD
	seq uint64
}

func (t *fdTable) get(num int32) (*FD, bool) {
	f, ok := t.m[num]
	return f, ok
}

// put stores f, evicting the oldest entry when the table holds max.
func (t *fdTable) put(f *FD, max int) {
	if t.m == nil {
		t.m = make(map[int32]*FD, 8)
	}
	if _, exists := t.m[f.Num]; !exists && len(t.m) >= max {
		var oldest *FD
		for _, e := range t.m {
			if oldest == nil || e.seq < oldest.seq {
				oldest = e
			}
		}
		delete(t.m, oldest.Num)
	}
	t.seq++
	f.seq = t.seq
	t.m[f.Num] = f
}

func (t *fdTable) copy() fdTable {
	if len(t.m) == 0 {
		return fdTable{}
	}
	c := fdTable{m: make(map[int32]*FD, len(t.m)), seq: t.seq}
	for k, v := range t.m {
		c.m[k] = v // entries are replaced, never mutated, once shared
	}
	return c
}
