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
func (t *Table) trackFD(r *Rows, i int, p *Process, kind format.Kind) {
	if p == nil {
		return
	}
	ret, _ := r.Int(format.ColRet, i)
	sys, _ := r.Str(format.ColSyscall, i)
	switch kind {
	case format.KindOpen:
		if ret < 0 {
			return
		}
		path, _ := r.Str(format.ColPath, i)
		flags, _ := r.Uint(format.ColFlags, i)
		tc := byte('f')
		if flags&oDirectory != 0 {
			tc = 'd'
		}
		p.fds.put(&FD{Num: int32(ret), TypeChar: tc, Name: clone(path), Flags: flags}, t.MaxFDs)
	case format.KindNet:
		t.trackSocket(r, i, p, sys, ret)
	case format.KindSecurity:
		switch sys {
		case "memfd_create":
			if ret >= 0 {
				name, _ := r.Str(format.ColPath, i)
				p.fds.put(&FD{Num: int32(ret), TypeChar: 'm', Name: "memfd:" + name}, t.MaxFDs)
			}
		case "dup", "dup2", "dup3":
			old, ok := r.Int(format.ColFd, i)
			if !ok || ret < 0 {
				return
			}
			if f, ok := p.fds.get(int32(old)); ok {
				c := *f
				c.Num = int32(ret)
				p.fds.put(&c, t.MaxFDs)
			}
		}
	}
}

func (t *Table) trackSocket(r *Rows, i int, p *Process, sys string, ret int64) {
	fam, _ := r.Uint(format.ColFamily, i)
	f := FD{TypeChar: SockTypeChar(uint16(fam)), Family: uint16(fam)}
	f.Proto = cloneCol(r, format.ColProto, i)
	f.Saddr = cloneCol(r, format.ColSaddr, i)
	f.Daddr = cloneCol(r, format.ColDaddr, i)
	if v, ok := r.Uint(format.ColSport, i); ok {
		f.Sport = uint16(v)
	}
	if v, ok := r.Uint(format.ColDport, i); ok {
		f.Dport = uint16(v)
	}
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
		if old, ok := p.fds.get(f.Num); ok && f.Saddr == "" {
			f.Saddr, f.Sport = old.Saddr, old.Sport
		}
	default:
		return // sendto, recvfrom...: the row carries its own addresses
	}
	if f.Proto == "" {
		if old, ok := p.fds.get(f.Num); ok {
			f.Proto = old.Proto
		}
	}
	f.Name = Tuple(f.Family, f.Saddr, f.Sport, f.Daddr, f.Dport)
	p.fds.put(&f, t.MaxFDs)
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
