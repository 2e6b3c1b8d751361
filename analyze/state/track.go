package state

import (
	"net"
	"strconv"

	"github.com/rewind-sh/rewind/format"
)

// Address families and open flags the fd table interprets.
const (
	afUnix  = 1
	afInet  = 2
	afInet6 = 10

	oDirectory = 0o200000
)

const errInProgress = -115 // -EINPROGRESS: a non-blocking connect under way

// trackFD records the descriptors that open, socket, connect, accept,
// bind, listen, memfd_create and dup create or change, so that later
// events naming only an fd number can be enriched.
func (t *Table) trackFD(r *Rows, i int, kind format.Kind) *Process {
	ret, _ := r.Int(format.ColRet, i)
	switch kind {
	case format.KindOpen:
		if ret < 0 || !t.TrackFiles {
			return nil
		}
	case format.KindSecurity:
		sys, _ := r.Str(format.ColSyscall, i)
		if sys != "memfd_create" && sys != "dup" && sys != "dup2" && sys != "dup3" {
			return nil
		}
	}
	p := t.actor(r, i)
	if p == nil {
		return nil
	}
	switch kind {
	case format.KindOpen:
		flags, _ := r.Uint(format.ColFlags, i)
		tc := byte('f')
		if flags&oDirectory != 0 {
			tc = 'd'
		}
		t.putFD(p, FD{Num: int32(ret), TypeChar: tc, Name: t.internCol(r, format.ColPath, i), Flags: uint32(flags)})
	case format.KindNet:
		sys, _ := r.Str(format.ColSyscall, i)
		t.trackSocket(r, i, p, sys, ret)
	case format.KindSecurity:
		switch sys, _ := r.Str(format.ColSyscall, i); sys {
		case "memfd_create":
			if ret >= 0 {
				name, _ := r.Str(format.ColPath, i)
				t.putFD(p, FD{Num: int32(ret), TypeChar: 'm', Name: "memfd:" + name})
			}
		case "dup", "dup2", "dup3":
			old, ok := r.Int(format.ColFd, i)
			if !ok || ret < 0 {
				return p
			}
			if f, ok := p.fds.get(int32(old)); ok {
				c := *f
				c.Num = int32(ret)
				t.putFD(p, c)
			}
		}
	}
	return p
}

func (t *Table) trackSocket(r *Rows, i int, p *Process, sys string, ret int64) {
	fam, _ := r.Uint(format.ColFamily, i)
	f := FD{TypeChar: SockTypeChar(uint16(fam)), Family: uint16(fam)}
	// Which descriptor the call names, if it changes one, is decided
	// before the addresses are read: sendto, recvfrom and failed calls
	// store nothing, and interning their addresses would be wasted.
	fdcol, hasFd := r.Int(format.ColFd, i)
	switch sys {
	case "socket":
		if ret < 0 {
			return
		}
		f.Num = int32(ret)
	case "accept", "accept4":
		if ret < 0 {
			return
		}
		f.Num = int32(ret)
		f.Connected = true
		f.Server = true
	case "connect":
		if !hasFd || (ret < 0 && ret != errInProgress) {
			return
		}
		f.Num = int32(fdcol)
		f.Connected = true
	case "bind", "listen":
		if !hasFd || ret < 0 {
			return
		}
		f.Num = int32(fdcol)
		f.Server = sys == "listen"
	default:
		return // sendto, recvfrom...: the row carries its own addresses
	}
	var sk Sock
	sk.Proto = t.internCol(r, format.ColProto, i)
	sk.Saddr = t.internCol(r, format.ColSaddr, i)
	sk.Daddr = t.internCol(r, format.ColDaddr, i)
	if v, ok := r.Uint(format.ColSport, i); ok {
		sk.Sport = uint16(v)
	}
	if v, ok := r.Uint(format.ColDport, i); ok {
		sk.Dport = uint16(v)
	}
	if sk.Saddr == "" && (sys == "bind" || sys == "listen") {
		if old, ok := p.fds.get(f.Num); ok {
			o := old.Addr()
			sk.Saddr, sk.Sport = o.Saddr, o.Sport
		}
	}
	if sk.Proto == "" {
		if old, ok := p.fds.get(f.Num); ok {
			sk.Proto = old.Addr().Proto
		}
	}
	stored := sk // only what is stored goes to the heap, not every call's sk
	f.Sock = &stored
	t.putFD(p, f)
}

func (t *Table) putFD(p *Process, f FD) {
	if p.fds.put(f, t.MaxFDs) {
		t.stats.FDsEvicted++
	}
}

// maxInterned bounds the string intern table; it is cleared when full.
const maxInterned = 1 << 16

// intern returns a copy of s that outlives the batch, sharing one copy
// per distinct value: paths and addresses repeat a lot.
func (t *Table) intern(s string) string {
	if v, ok := t.strs[s]; ok {
		return v
	}
	if len(t.strs) >= maxInterned {
		clear(t.strs)
	}
	v := clone(s)
	t.strs[v] = v
	return v
}

// internCol interns a string column's value. For dictionary-encoded
// columns it remembers the interned copy per dictionary index: a
// segment's dictionary only grows, so most rows cost a slice index and a
// comparison instead of a hash.
func (t *Table) internCol(r *Rows, c format.ColumnID, i int) string {
	v, ok := r.Str(c, i)
	if !ok || v == "" {
		return ""
	}
	idx, isDict := r.DictIndex(c, i)
	if !isDict {
		return t.intern(v)
	}
	cache := t.dictCache[c]
	if idx < len(cache) && cache[idx] == v {
		return cache[idx]
	}
	s := t.intern(v)
	if idx < 1<<20 {
		for len(cache) <= idx {
			cache = append(cache, "")
		}
		cache[idx] = s
		t.dictCache[c] = cache
	}
	return s
}

// SockTypeChar maps an address family to Falco's fd.typechar.
func SockTypeChar(family uint16) byte {
	switch family {
	case afInet:
		return '4'
	case afInet6:
		return '6'
	case afUnix:
		return 'u'
	case 16: // AF_NETLINK
		return 'n'
	}
	return 'o'
}

// Tuple renders a socket the way Falco's fd.name does for sockets:
// "laddr:lport->raddr:rport" for IP, the path for unix sockets.
func Tuple(family uint16, saddr string, sport uint16, daddr string, dport uint16) string {
	switch family {
	case afInet, afInet6:
		if daddr == "" {
			return hostPort(saddr, sport)
		}
		return hostPort(saddr, sport) + "->" + hostPort(daddr, dport)
	case afUnix:
		if daddr != "" {
			return daddr
		}
		return saddr
	}
	return ""
}

func hostPort(addr string, port uint16) string {
	if addr == "" {
		addr = "0.0.0.0"
	}
	if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
		return "[" + addr + "]:" + strconv.Itoa(int(port))
	}
	return addr + ":" + strconv.Itoa(int(port))
}
