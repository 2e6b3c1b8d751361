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
	// Connected is true after a successful connect or accept.
	Connected bool
	// Server is true for an accepted or listening socket.
	Server bool
	Family uint16
	Flags  uint32 // open flags (every O_* flag fits in 32 bits)
	seq    uint32
	// Name is the path of a file or memfd; for sockets use FullName,
	// which renders the connection tuple on demand.
	Name string
	// Sock holds a socket's addresses; nil for files. It is shared
	// between copies and never modified once stored.
	Sock *Sock
}

// Sock is the address part of a socket descriptor.
type Sock struct {
	Proto        string // tcp, udp, icmp, raw, unix
	Saddr, Daddr string // local and remote address
	Sport, Dport uint16
}

// Addr returns the socket's addresses, zero for a file.
func (f *FD) Addr() Sock {
	if f.Sock == nil {
		return Sock{}
	}
	return *f.Sock
}

// FullName is Falco's fd.name: the path of a file, or the connection
// tuple of a socket (laddr:lport->raddr:rport, the path of a unix socket).
func (f *FD) FullName() string {
	if f.Name != "" || f.Sock == nil {
		return f.Name
	}
	return Tuple(f.Family, f.Sock.Saddr, f.Sock.Sport, f.Sock.Daddr, f.Sock.Dport)
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

// minFDSlots is the smallest slot array a table allocates (16 was
// tried: more bytes allocated for no measurable gain).
const minFDSlots = 8

// fdTable holds entries by value, indexed directly by descriptor number
// (descriptors are small integers), so that recording an open costs a
// slot write. Numbers at or above max go to a small overflow map.
type fdTable struct {
	slots *fdSlots // nil until the first entry below max
	n     int
	over  map[int32]FD
	seq   uint32
}

// fdSlots is a slot array that a forked parent and child share until
// one of them writes: the writer then takes a copy, and once the other
// is the only user left it writes in place. A child that execs and
// exits without opening anything never copies, and a fork costs one
// copy, not one per side.
type fdSlots struct {
	s    []FD // s[n].seq == 0 means free
	refs int  // tables that use s
}

func (t *fdTable) get(num int32) (*FD, bool) {
	if t.slots != nil && num >= 0 && int(num) < len(t.slots.s) {
		if t.slots.s[num].seq == 0 {
			return nil, false
		}
		f := t.slots.s[num]
		return &f, true
	}
	f, ok := t.over[num]
	if !ok {
		return nil, false
	}
	return &f, true
}

func (t *fdTable) len() int { return t.n + len(t.over) }

// release empties the table, giving up its share of the slots.
func (t *fdTable) release() {
	if t.slots != nil {
		t.slots.refs--
	}
	*t = fdTable{}
}

// put stores f. Numbers below max use the slot array; others use the
// overflow map, which holds at most max entries (the oldest is evicted).
func (t *fdTable) put(f FD, max int) (evicted bool) {
	t.seq++
	f.seq = t.seq
	if f.Num >= 0 && int(f.Num) < max {
		if t.slots == nil {
			t.slots = &fdSlots{refs: 1}
		}
		sl := t.slots
		// A shared array is copied, and a short one grown, in one
		// allocation: a forked child's first open used to copy the
		// parent's slots and then grow the copy.
		if shared, short := sl.refs > 1, int(f.Num) >= len(sl.s); shared || short {
			size := len(sl.s)
			if short {
				size = int(f.Num) + 1
				if size < minFDSlots {
					size = minFDSlots
				}
				if size < 2*len(sl.s) {
					size = 2 * len(sl.s)
				}
				if size > max {
					size = max
				}
			}
			s := make([]FD, size)
			copy(s, sl.s)
			if shared {
				sl.refs--
				sl = &fdSlots{refs: 1}
				t.slots = sl
			}
			sl.s = s
		}
		if sl.s[f.Num].seq == 0 {
			t.n++
		}
		sl.s[f.Num] = f
		return false
	}
	if t.over == nil {
		t.over = make(map[int32]FD)
	}
	if _, exists := t.over[f.Num]; !exists && len(t.over) >= max {
		var oldest int32
		var oldestSeq uint32
		first := true
		for k, e := range t.over {
			if first || e.seq < oldestSeq {
				oldest, oldestSeq, first = k, e.seq, false
			}
		}
		delete(t.over, oldest)
		evicted = true
	}
	t.over[f.Num] = f
	return evicted
}

func (t *fdTable) copy() fdTable {
	c := fdTable{n: t.n, seq: t.seq}
	if t.slots != nil && len(t.slots.s) > 0 {
		t.slots.refs++
		c.slots = t.slots
	}
	if len(t.over) > 0 {
		c.over = make(map[int32]FD, len(t.over))
		for k, v := range t.over {
			c.over[k] = v
		}
	}
	return c
}
