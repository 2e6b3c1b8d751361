package fields

import (
	"net/netip"
	"path"
	"strings"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/format"
)

// FD returns the descriptor the event is about, as of the event: built
// from the row itself for open and socket calls, else looked up in the
// actor's fd table by the row's fd number. Nil when there is none.
func (e *Event) FD() *state.FD {
	switch e.fdState {
	case 1:
		return &e.fd
	case 2:
		return nil
	}
	e.fdState = 2
	switch e.Kind {
	case format.KindOpen:
		num, _ := argFd(e)
		p, _ := e.str(format.ColPath)
		flags, _ := e.u64(format.ColFlags)
		tc := byte('f')
		if flags&0o200000 != 0 {
			tc = 'd'
		}
		e.fd = state.FD{Num: int32(num), TypeChar: tc, Name: p, Flags: uint32(flags)}
	case format.KindNet:
		e.fd = e.netFD()
	case format.KindFile:
		// fd-based file calls (fchmod, fchown, ftruncate...) carry the
		// kernel-resolved path of the descriptor in the row.
		num, hasFd := e.i64(format.ColFd)
		p, hasPath := e.str(format.ColPath)
		if !hasFd || num < 0 || !hasPath {
			return nil
		}
		e.fd = state.FD{Num: int32(num), TypeChar: 'f', Name: p}
	default:
		num, ok := argFd(e)
		if !ok {
			return nil
		}
		p := e.Process()
		if p == nil {
			return nil
		}
		f, ok := p.FD(int32(num))
		if !ok {
			return nil
		}
		e.fd = *f
	}
	e.fdState = 1
	return &e.fd
}

// netFD describes the socket of a network row from the row's own columns,
// completed by the fd table for what the row lacks. Its addresses live
// in the Event, so building it does not allocate.
func (e *Event) netFD() state.FD {
	fam, _ := e.u64(format.ColFamily)
	num, _ := argFd(e)
	f := state.FD{Num: int32(num), Family: uint16(fam), TypeChar: state.SockTypeChar(uint16(fam))}
	sk := &e.sock
	*sk = state.Sock{}
	sk.Proto, _ = e.str(format.ColProto)
	sk.Saddr, _ = e.str(format.ColSaddr)
	sk.Daddr, _ = e.str(format.ColDaddr)
	if v, ok := e.u64(format.ColSport); ok {
		sk.Sport = uint16(v)
	}
	if v, ok := e.u64(format.ColDport); ok {
		sk.Dport = uint16(v)
	}
	ret, _ := e.i64(format.ColRet)
	switch e.Syscall() {
	case "accept", "accept4":
		f.Server, f.Connected = true, ret >= 0
	case "listen", "bind":
		f.Server = true
	case "connect":
		f.Connected = ret >= 0 || ret == -115
	default:
		if p := e.Process(); p != nil {
			if old, ok := p.FD(f.Num); ok && old.Sock != nil {
				f.Connected, f.Server = old.Connected, old.Server
				if fam == 0 {
					f.Family, f.TypeChar = old.Family, old.TypeChar
				}
				if sk.Proto == "" {
					sk.Proto = old.Sock.Proto
				}
				if sk.Saddr == "" && sk.Daddr == "" {
					sk.Saddr, sk.Sport, sk.Daddr, sk.Dport = old.Sock.Saddr, old.Sock.Sport, old.Sock.Daddr, old.Sock.Dport
				}
			}
		}
	}
	f.Sock = sk
	return f
}

// nameChanged says whether a send or receive with an address used a tuple
// other than the one the socket had (an unconnected UDP socket talking to
// a new peer).
func (e *Event) nameChanged() bool {
	if e.Kind != format.KindNet {
		return false
	}
	switch e.Syscall() {
	case "sendto", "sendmsg", "recvfrom", "recvmsg":
	default:
		return false
	}
	f := e.FD()
	if f == nil || f.Addr().Daddr == "" {
		return false
	}
	p := e.Process()
	if p == nil {
		return true
	}
	old, ok := p.FD(f.Num)
	return !ok || old.Addr().Daddr != f.Sock.Daddr || old.Addr().Dport != f.Sock.Dport
}

func isIP(f *state.FD) bool { return f != nil && (f.TypeChar == '4' || f.TypeChar == '6') }

// endpoints returns the client and server ends of an IP socket: the
// server is the local end of an accepted or listening socket and the
// remote end of anything else.
func endpoints(f *state.FD) (caddr string, cport uint16, saddr string, sport uint16) {
	a := f.Addr()
	if f.Server {
		return a.Daddr, a.Dport, a.Saddr, a.Sport
	}
	return a.Saddr, a.Sport, a.Daddr, a.Dport
}

func parseAddr(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func fdStr(fn func(f *state.FD) (string, bool)) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		f := e.FD()
		if f == nil {
			return "", false
		}
		return fn(f)
	}
}

func fdAddr(fn func(f *state.FD) (string, bool)) func(*Event) (netip.Addr, bool) {
	return func(e *Event) (netip.Addr, bool) {
		f := e.FD()
		if !isIP(f) {
			return netip.Addr{}, false
		}
		s, ok := fn(f)
		if !ok {
			return netip.Addr{}, false
		}
		return parseAddr(s)
	}
}

func fdPort(fn func(f *state.FD) uint16) func(*Event) (uint64, bool) {
	return func(e *Event) (uint64, bool) {
		f := e.FD()
		if !isIP(f) {
			return 0, false
		}
		return uint64(fn(f)), true
	}
}

// typeChars are one-byte strings so that fd.typechar does not allocate.
var typeChars = func() [256]string {
	var t [256]string
	for i := range t {
		t[i] = string(rune(i))
	}
	return t
}()

func isFile(f *state.FD) bool { return f != nil && (f.TypeChar == 'f' || f.TypeChar == 'd') }

func fdFields() []*Field {
	client := func(f *state.FD) (string, bool) { c, _, _, _ := endpoints(f); return c, true }
	server := func(f *state.FD) (string, bool) { _, _, s, _ := endpoints(f); return s, true }
	local := func(f *state.FD) (string, bool) { return f.Addr().Saddr, true }
	remote := func(f *state.FD) (string, bool) { return f.Addr().Daddr, true }
	either := func(e *Event, i int) (netip.Addr, bool) {
		f := e.FD()
		if !isIP(f) || i > 1 {
			return netip.Addr{}, false
		}
		if i == 0 {
			return parseAddr(f.Addr().Saddr)
		}
		return parseAddr(f.Addr().Daddr)
	}
	ipNet := anyAddrF("fd.net", cond.TypeIPNet, "Matches when either end of the IP socket lies in the given network (a.b.c.d/len).", either)
	ip := anyAddrF("fd.ip", cond.TypeIPAddr, "Matches when either end of the IP socket has the given address.", either)
	port := &Field{Name: "fd.port", Type: cond.TypePort, Kinds: kNet, FilterOnly: true, NoRHS: true, NoTransformer: true, list: true,
		Desc: "Matches when either end of the IP socket has the given port.",
		x: cond.Extractor{Uint64At: func(x any, i int) (uint64, bool) {
			f := ev(x).FD()
			if !isIP(f) || i > 1 {
				return 0, false
			}
			if i == 0 {
				return uint64(f.Addr().Sport), true
			}
			return uint64(f.Addr().Dport), true
		}}}
	return []*Field{
		intF("fd.num", kFDs, "Number of the file descriptor the event returns or acts on; -1 for a failed open.",
			func(e *Event) (int64, bool) {
				if f := e.FD(); f != nil {
					return int64(f.Num), true
				}
				return argFd(e)
			}),
		strF("fd.typechar", kFDs, "Kind of descriptor as one character: f file, d directory, 4 and 6 IP sockets, u unix socket, m memfd, n netlink, o other.",
			fdStr(func(f *state.FD) (string, bool) { return typeChars[f.TypeChar], true })),
		strF("fd.type", kFDs, "Kind of descriptor as a word: file, directory, ipv4, ipv6, unix, memfd, netlink, unknown.",
			fdStr(func(f *state.FD) (string, bool) { return f.Typename(), true })),
		strF("fd.name", kFDs, "Full name of the descriptor: the kernel-resolved path of a file, or the connection tuple laddr:lport->raddr:rport of a socket.",
			fdStr(func(f *state.FD) (string, bool) { n := f.FullName(); return n, n != "" })),
		strF("fd.nameraw", format.SetOf(format.KindOpen, format.KindFile, format.KindSecurity), "Path exactly as the caller passed it, before the kernel resolved it (relative, with .. or symlinks).",
			func(e *Event) (string, bool) { return e.str(format.ColPathRaw) }),
		strF("fd.directory", kFDs, "Directory part of a file descriptor's path.",
			fdStr(func(f *state.FD) (string, bool) {
				if !isFile(f) || f.Name == "" {
					return "", false
				}
				return dirOf(f.Name), true
			})),
		strF("fd.filename", kFDs, "Last component of a file descriptor's path.",
			fdStr(func(f *state.FD) (string, bool) {
				if !isFile(f) || f.Name == "" {
					return "", false
				}
				return path.Base(f.Name), true
			})),
		intF("fd.ino", kOpen, "Inode number of the opened file.", func(e *Event) (int64, bool) { return e.i64(format.ColIno) }),
		intF("fd.dev", kOpen, "Device number of the filesystem holding the opened file.", func(e *Event) (int64, bool) { return e.i64(format.ColDev) }),
		addrF("fd.cip", kNet, "Client end's IP address (the local end unless the socket was accepted or listens).", fdAddr(client)),
		addrF("fd.sip", kNet, "Server end's IP address (the remote end unless the socket was accepted or listens).", fdAddr(server)),
		addrF("fd.lip", kNet, "Local IP address of the socket.", fdAddr(local)),
		addrF("fd.rip", kNet, "Remote IP address of the socket.", fdAddr(remote)),
		portF("fd.cport", kNet, "Client end's port.", fdPort(func(f *state.FD) uint16 { _, p, _, _ := endpoints(f); return p })),
		portF("fd.sport", kNet, "Server end's port.", fdPort(func(f *state.FD) uint16 { _, _, _, p := endpoints(f); return p })),
		portF("fd.lport", kNet, "Local port of the socket.", fdPort(func(f *state.FD) uint16 { return f.Addr().Sport })),
		portF("fd.rport", kNet, "Remote port of the socket.", fdPort(func(f *state.FD) uint16 { return f.Addr().Dport })),
		netF("fd.cnet", kNet, "Matches when the client end's address lies in the given network.", fdAddr(client)),
		netF("fd.snet", kNet, "Matches when the server end's address lies in the given network.", fdAddr(server)),
		netF("fd.lnet", kNet, "Matches when the local address lies in the given network.", fdAddr(local)),
		netF("fd.rnet", kNet, "Matches when the remote address lies in the given network.", fdAddr(remote)),
		ip, ipNet, port,
		strF("fd.l4proto", kNet, "Transport protocol of the socket: tcp, udp, icmp, raw (unix sockets have none).",
			fdStr(func(f *state.FD) (string, bool) {
				if !isIP(f) || f.Addr().Proto == "" {
					return "", false
				}
				return f.Sock.Proto, true
			})),
		strF("fd.sockfamily", kNet, "Socket family: ip for IPv4/IPv6, unix for unix sockets.",
			fdStr(func(f *state.FD) (string, bool) {
				switch f.TypeChar {
				case '4', '6':
					return "ip", true
				case 'u':
					return "unix", true
				}
				return "", false
			})),
		boolF("fd.connected", kNet, "True once the socket is connected (a successful or in-progress connect, or an accept).",
			func(e *Event) (bool, bool) {
				f := e.FD()
				if f == nil || (f.TypeChar != '4' && f.TypeChar != '6' && f.TypeChar != 'u') {
					return false, false
				}
				return f.Connected, true
			}),
		boolF("fd.is_server", kNet, "True when the process is the server end: it accepted the connection or listens.",
			func(e *Event) (bool, bool) {
				f := e.FD()
				if f == nil || f.TypeChar == 'f' {
					return false, false
				}
				return f.Server, true
			}),
		boolF("fd.name_changed", kNet, "True when a send or receive names a peer other than the one the socket had (an unconnected UDP socket talking to someone new).",
			func(e *Event) (bool, bool) { return e.nameChanged(), true }),
		unavailable("fd.cip.name", cond.TypeString, reasonDNS, "Domain name of the client address."),
		unavailable("fd.sip.name", cond.TypeString, reasonDNS, "Domain name of the server address."),
		unavailable("fd.lip.name", cond.TypeString, reasonDNS, "Domain name of the local address."),
		unavailable("fd.rip.name", cond.TypeString, reasonDNS, "Domain name of the remote address."),
		unavailable("fd.is_upper_layer", cond.TypeBool, reasonFDLayer, "The opened file is in an overlayfs upper layer."),
		unavailable("fd.is_lower_layer", cond.TypeBool, reasonFDLayer, "The opened file is in an overlayfs lower layer."),
	}
}

// dirOf returns the directory of a path without allocating; "/" for a
// file at the root.
func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}
