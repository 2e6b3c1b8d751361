/* Network system calls: addresses from the socket where it has them,
 * from the caller's sockaddr otherwise. Included by rewind_syscalls.h. */
#pragma once

#define SUN_PATH_BYTES 108

/* Bytes of user memory as a field, len at most SUN_PATH_BYTES. */
static __noinline __u32 put_user_bytes(struct scratch *s, __u32 off, __u8 id, const void *uptr, __u32 len, __u8 flags)
{
	if (off >= WRITE_LIMIT - 4) {
		mark_truncated(s);
		return off;
	}
	if (len > SUN_PATH_BYTES)
		len = SUN_PATH_BYTES;
	__u64 n = len;
	asm volatile("%0 &= 127" : "+r"(n)); /* a bound the verifier sees */
	if (bpf_probe_read_user(buf_at(s, off + 4), n, uptr) < 0)
		return off;
	put_field_hdr(s, off, id, n, flags);
	return off + 4 + n;
}

#define SOCKADDR_REMOTE 1

/* Addresses from the caller's sockaddr: the fallback when the socket has
 * none (failed connect, unconnected sendto, AF_UNIX). how packs the
 * sockaddr's length (how >> 1) and SOCKADDR_REMOTE. */
static __noinline __u32 put_user_sockaddr(struct scratch *s, __u32 off, struct net_body *b, const void *uaddr,
					  __u32 how)
{
	bool remote = how & SOCKADDR_REMOTE;
	__u32 addrlen = how >> 1;
	__u16 family = 0;
	if (!uaddr || addrlen < sizeof(family) || bpf_probe_read_user(&family, sizeof(family), uaddr) < 0)
		return off;
	if (!b->family)
		b->family = family;
	if (family == AF_INET) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), uaddr);
		__u8 *addr = remote ? b->daddr : b->saddr;
		__builtin_memcpy(addr, &sin.sin_addr.s_addr, 4);
		if (remote)
			b->dport = bpf_ntohs(sin.sin_port);
		else
			b->sport = bpf_ntohs(sin.sin_port);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
		__u8 *addr = remote ? b->daddr : b->saddr;
		__builtin_memcpy(addr, &sin6.sin6_addr, 16);
		if (remote)
			b->dport = bpf_ntohs(sin6.sin6_port);
		else
			b->sport = bpf_ntohs(sin6.sin6_port);
	} else if (family == AF_UNIX && addrlen > sizeof(family)) {
		/* no path at all: an unnamed socket */
		char first = 0;
		const char *path = (const char *)uaddr + sizeof(family);
		bpf_probe_read_user(&first, 1, path);
		if (first == 0) /* abstract: exactly the bytes after the NUL */
			off = put_user_bytes(s, off, FIELD_UNIX_PATH, path + 1, addrlen - sizeof(family) - 1, FIELD_ABSTRACT);
		else
			off = put_user_str(s, off, FIELD_UNIX_PATH, path, 0);
	}
	return off;
}

/* Family, type, protocol, and the addresses the socket itself holds. */
static __noinline void sock_fill(struct net_body *b, long fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return;
	struct inode *ino = KREAD(file, f, f_inode);
	if ((KREAD(inode, ino, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	struct socket *sock = KREAD(file, f, private_data);
	struct sock *sk = KREAD(socket, sock, sk);
	if (!sk)
		return;
	b->family = KREAD(sock, sk, __sk_common.skc_family);
	b->sock_type = KREAD(sock, sk, sk_type);
	b->proto = KREAD(sock, sk, sk_protocol);
	if (b->family == AF_INET) {
		__u32 a = KREAD(sock, sk, __sk_common.skc_rcv_saddr);
		if (a)
			__builtin_memcpy(b->saddr, &a, 4);
		a = KREAD(sock, sk, __sk_common.skc_daddr);
		if (a)
			__builtin_memcpy(b->daddr, &a, 4);
	} else if (b->family == AF_INET6) {
		struct in6_addr a6 = KREAD(sock, sk, __sk_common.skc_v6_rcv_saddr);
		__builtin_memcpy(b->saddr, &a6, 16);
		a6 = KREAD(sock, sk, __sk_common.skc_v6_daddr);
		if (a6.in6_u.u6_addr32[0] | a6.in6_u.u6_addr32[1] | a6.in6_u.u6_addr32[2] | a6.in6_u.u6_addr32[3])
			__builtin_memcpy(b->daddr, &a6, 16);
	} else {
		return;
	}
	__u16 sport = KREAD(sock, sk, __sk_common.skc_num);
	__u16 dport = bpf_ntohs(KREAD(sock, sk, __sk_common.skc_dport));
	if (sport)
		b->sport = sport;
	if (dport)
		b->dport = dport;
}

static __noinline int do_net(__u32 nr, __s64 ret, const __u64 *args)
{
	struct scratch *s = begin_event(SLOT_SYSCALL, KIND_NET, nr, ret, sizeof(struct net_body));
	if (!s)
		return 0;
	struct net_body *b = body_of(s);
	__u32 off = tail_start(s);
	long fd = args[0];

	switch (nr) {
	case NR_SOCKET:
		b->family = args[0];
		b->sock_type = args[1] & 0xf;
		b->flags = args[1] & ~0xfULL;
		b->proto = args[2];
		b->fd = ret >= 0 ? ret : -1;
		if (ret >= 0)
			sock_fill(b, ret);
		break;
	case NR_CONNECT:
		b->fd = fd;
		/* the caller's address first, then what the socket holds */
		off = put_user_sockaddr(s, off, b, (const void *)args[1], (__u32)args[2] << 1 | SOCKADDR_REMOTE);
		if (ret == 0 || ret == -EINPROGRESS)
			sock_fill(b, fd);
		break;
	case NR_ACCEPT:
	case NR_ACCEPT4:
		b->fd = ret >= 0 ? ret : -1;
		b->flags = nr == NR_ACCEPT4 ? args[3] : 0;
		if (ret >= 0)
			sock_fill(b, ret);
		break;
	case NR_BIND:
		b->fd = fd;
		off = put_user_sockaddr(s, off, b, (const void *)args[1], (__u32)args[2] << 1);
		if (ret == 0)
			sock_fill(b, fd);
		break;
	case NR_LISTEN:
		b->fd = fd;
		b->flags = args[1]; /* backlog */
		sock_fill(b, fd);
		break;
	case NR_SENDTO:
		b->fd = fd;
		b->flags = args[3];
		sock_fill(b, fd);
		off = put_user_sockaddr(s, off, b, (const void *)args[4], (__u32)args[5] << 1 | SOCKADDR_REMOTE);
		break;
	case NR_RECVFROM:
		b->fd = fd;
		b->flags = args[3];
		sock_fill(b, fd);
		/* the kernel wrote the sender's address on success */
		if (ret >= 0) {
			__u32 addrlen = 0; /* the kernel stored the sender's length */
			bpf_probe_read_user(&addrlen, sizeof(addrlen), (void *)args[5]);
			off = put_user_sockaddr(s, off, b, (const void *)args[4], addrlen << 1 | SOCKADDR_REMOTE);
		}
		break;
	}
	finish_event(s, off);
	return 0;
}

