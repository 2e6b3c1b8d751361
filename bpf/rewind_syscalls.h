/* System call events, built at syscall exit from the arguments saved at
 * entry and the return value. Numbers are x86_64. */
#pragma once
#include "rewind_sched.h" /* the exec and fork numbers */

#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_OPEN 2
#define NR_SOCKET 41
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_KILL 62
#define NR_TRUNCATE 76
#define NR_FTRUNCATE 77
#define NR_RENAME 82
#define NR_MKDIR 83
#define NR_RMDIR 84
#define NR_CREAT 85
#define NR_LINK 86
#define NR_UNLINK 87
#define NR_SYMLINK 88
#define NR_CHMOD 90
#define NR_FCHMOD 91
#define NR_CHOWN 92
#define NR_FCHOWN 93
#define NR_LCHOWN 94
#define NR_PTRACE 101
#define NR_SETUID 105
#define NR_SETGID 106
#define NR_SETREUID 113
#define NR_SETREGID 114
#define NR_SETRESUID 117
#define NR_SETRESGID 119
#define NR_SETFSUID 122
#define NR_SETFSGID 123
#define NR_CAPSET 126
#define NR_UTIME 132
#define NR_PIVOT_ROOT 155
#define NR_PRCTL 157
#define NR_MOUNT 165
#define NR_UMOUNT2 166
#define NR_INIT_MODULE 175
#define NR_DELETE_MODULE 176
#define NR_TKILL 200
#define NR_TGKILL 234
#define NR_UTIMES 235
#define NR_OPENAT 257
#define NR_MKDIRAT 258
#define NR_FCHOWNAT 260
#define NR_FUTIMESAT 261
#define NR_UNLINKAT 263
#define NR_RENAMEAT 264
#define NR_LINKAT 265
#define NR_SYMLINKAT 266
#define NR_FCHMODAT 268
#define NR_UNSHARE 272
#define NR_UTIMENSAT 280
#define NR_ACCEPT4 288
#define NR_SETNS 308
#define NR_PROCESS_VM_WRITEV 311
#define NR_FINIT_MODULE 313
#define NR_RENAMEAT2 316
#define NR_MEMFD_CREATE 319
#define NR_BPF 321
#define NR_OPENAT2 437
#define NR_FCHMODAT2 452

#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define EINPROGRESS 115
#define S_IFSOCK 0140000
#define CLONE_NEW_MASK 0x7e020080ULL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME */

/* Calls of a recorded syscall that are not recorded, decided from the
 * arguments alone (mmap and mprotect are frequent and rarely exec). */
static __always_inline bool args_wanted(__u32 nr, const __u64 *args)
{
	switch (nr) {
	case NR_MMAP:
		return (args[2] & PROT_EXEC) && (args[3] & MAP_ANONYMOUS);
	case NR_MPROTECT:
		return args[2] & PROT_EXEC;
	case NR_TGKILL:
		/* a signal to a thread of the caller's own process: Go's
		 * preemption and pthread_kill send many, none crosses a
		 * process boundary */
		return args[0] != bpf_get_current_pid_tgid() >> 32;
	case NR_SENDTO:
		return args[4] != 0;
	case NR_RECVFROM:
		return args[4] != 0;
	}
	return true;
}

static __always_inline void file_dev_ino(struct file *f, __u64 *dev, __u64 *ino)
{
	struct inode *i = KREAD(file, f, f_inode);
	*dev = dev_of_inode(i);
	*ino = KREAD(inode, i, i_ino);
}

static __noinline int do_open(__u32 nr, __s64 ret, const __u64 *args)
{
	const char *path;
	long dirfd = AT_FDCWD;
	__u64 flags, mode;

	switch (nr) {
	case NR_OPEN:
		path = (const char *)args[0];
		flags = args[1];
		mode = args[2];
		break;
	case NR_CREAT:
		path = (const char *)args[0];
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		mode = args[1];
		break;
	case NR_OPENAT2: {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (void *)args[2]);
		dirfd = args[0];
		path = (const char *)args[1];
		flags = how.flags;
		mode = how.mode;
		break;
	}
	default: /* openat */
		dirfd = args[0];
		path = (const char *)args[1];
		flags = args[2];
		mode = args[3];
	}
	struct scratch *s = begin_event(SLOT_SYSCALL, KIND_OPEN, nr, ret, sizeof(struct file_body));
	if (!s)
		return 0;
	struct file_body *b = body_of(s);
	b->flags = flags;
	b->mode = mode;
	b->fd = ret >= 0 ? ret : -1;
	__u32 off = tail_start(s);
	if (ret >= 0) {
		struct file *f = fd_file(ret);
		file_dev_ino(f, &b->dev, &b->ino);
		off = put_file_path(s, off, FIELD_PATH, f);
		off = put_user_str(s, off, FIELD_PATH_RAW, path, 0);
	} else {
		off = put_path_arg(s, off, IDS(FIELD_PATH_RAW, FIELD_PATH_BASE), path, dirfd);
	}
	finish_event(s, off);
	return 0;
}

static __noinline int do_file(__u32 nr, __s64 ret, const __u64 *args)
{
	const char *p1 = NULL, *p2 = NULL;
	long d1 = AT_FDCWD, d2 = AT_FDCWD, fd = -1;
	__u64 flags = 0, len = 0;
	__u32 mode = 0, uid = 0xffffffff, gid = 0xffffffff;
	bool link_content = false;

	switch (nr) {
	case NR_UNLINK:
	case NR_RMDIR:
		p1 = (const char *)args[0];
		break;
	case NR_UNLINKAT:
		d1 = args[0], p1 = (const char *)args[1], flags = args[2];
		break;
	case NR_RENAME:
	case NR_LINK:
		p1 = (const char *)args[0], p2 = (const char *)args[1];
		break;
	case NR_RENAMEAT:
	case NR_RENAMEAT2:
	case NR_LINKAT:
		d1 = args[0], p1 = (const char *)args[1], d2 = args[2], p2 = (const char *)args[3];
		flags = nr == NR_RENAMEAT ? 0 : args[4];
		break;
	case NR_SYMLINK:
		p1 = (const char *)args[0], p2 = (const char *)args[1], link_content = true;
		break;
	case NR_SYMLINKAT:
		p1 = (const char *)args[0], d2 = args[1], p2 = (const char *)args[2], link_content = true;
		break;
	case NR_CHMOD:
	case NR_MKDIR:
		p1 = (const char *)args[0], mode = args[1];
		break;
	case NR_FCHMOD:
		fd = args[0], mode = args[1];
		break;
	case NR_FCHMODAT:
	case NR_FCHMODAT2:
	case NR_MKDIRAT:
		d1 = args[0], p1 = (const char *)args[1], mode = args[2];
		flags = nr == NR_FCHMODAT2 ? args[3] : 0;
		break;
	case NR_CHOWN:
	case NR_LCHOWN:
		p1 = (const char *)args[0], uid = args[1], gid = args[2];
		break;
	case NR_FCHOWN:
		fd = args[0], uid = args[1], gid = args[2];
		break;
	case NR_FCHOWNAT:
		d1 = args[0], p1 = (const char *)args[1], uid = args[2], gid = args[3], flags = args[4];
		break;
	case NR_TRUNCATE:
		p1 = (const char *)args[0], len = args[1];
		break;
	case NR_FTRUNCATE:
		fd = args[0], len = args[1];
		break;
	case NR_UTIME:
	case NR_UTIMES:
		p1 = (const char *)args[0];
		break;
	case NR_FUTIMESAT:
		d1 = args[0], p1 = (const char *)args[1];
		break;
	case NR_UTIMENSAT:
		d1 = args[0], p1 = (const char *)args[1], flags = args[3];
		if (!p1)
			fd = d1; /* utimensat(fd, NULL, ...) acts on fd itself */
		break;
	default:
		return 0;
	}

	struct scratch *s = begin_event(SLOT_SYSCALL, KIND_FILE, nr, ret, sizeof(struct file_body));
	if (!s)
		return 0;
	struct file_body *b = body_of(s);
	b->flags = flags;
	b->mode = mode;
	b->len = len;
	b->fd = fd;
	b->new_uid = uid;
	b->new_gid = gid;
	__u32 off = tail_start(s);
	if (fd >= 0) {
		struct file *f = fd_file(fd);
		file_dev_ino(f, &b->dev, &b->ino);
		off = put_file_path(s, off, FIELD_PATH, f);
	}
	if (link_content)
		off = put_user_str(s, off, FIELD_PATH_RAW, p1, 0);
	else if (p1)
		off = put_path_arg(s, off, IDS(FIELD_PATH_RAW, FIELD_PATH_BASE), p1, d1);
	if (p2)
		off = put_path_arg(s, off, IDS(FIELD_TARGET_RAW, FIELD_TARGET_BASE), p2, d2);
	finish_event(s, off);
	return 0;
}

#include "rewind_net.h"
#include "rewind_security.h"

/* An execve or execveat that failed. A successful one returns 0 in the
 * new program, after sched_process_exec recorded it. */
static __noinline int do_exec_failed(__u32 nr, __s64 ret, const __u64 *args)
{
	if (ret >= 0)
		return 0;
	struct scratch *s = begin_event(SLOT_SYSCALL, KIND_EXEC, nr, ret, sizeof(struct exec_body));
	if (!s)
		return 0;
	__u32 off = tail_start(s);
	if (nr == NR_EXECVEAT)
		off = put_path_arg(s, off, IDS(FIELD_FILENAME, FIELD_PATH_BASE), (const char *)args[1], args[0]);
	else
		off = put_path_arg(s, off, IDS(FIELD_FILENAME, FIELD_PATH_BASE), (const char *)args[0], AT_FDCWD);
	finish_event(s, off);
	return 0;
}

/* Looks up the syscall's class; 0 when it is not recorded. */
static __always_inline __u32 class_of(__u32 nr)
{
	__u32 *c = bpf_map_lookup_elem(&interest, &nr);
	return c ? *c : 0;
}

/* -ERESTARTSYS and friends (512-516) never reach the caller: the kernel
 * restarts the call, which then enters and exits again. */
static __always_inline bool restarted(__s64 ret)
{
	return ret <= -512 && ret >= -516;
}

/* Every recorded call is built here, at its exit, from the argument
 * registers saved at syscall entry (regs, the calling thread's user
 * registers): none of these calls changes them, and a tracer cannot
 * between entry and exit (ptrace's entry stop comes before the call,
 * its exit stop after sys_exit). So nothing runs at syscall entry, and a
 * recorded call costs one program run. A fork's event comes from
 * sched_process_fork, a successful exec's from sched_process_exec; a
 * failed exec is recorded here. */
static __always_inline int on_sys_exit(__u32 nr, __s64 ret, struct pt_regs *regs)
{
	__u32 class = class_of(nr);
	if (!class || class == CLASS_FORK)
		return 0;
	if (restarted(ret) || is_self() || in_compat_syscall())
		return 0;
	__u64 args[6] = {regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9};
	if (!args_wanted(nr, args))
		return 0;
	switch (class) {
	case CLASS_EXEC:
		return do_exec_failed(nr, ret, args);
	case CLASS_OPEN:
		return do_open(nr, ret, args);
	case CLASS_FILE:
		return do_file(nr, ret, args);
	case CLASS_NET:
		return do_net(nr, ret, args);
	case CLASS_SECURITY:
		return do_security(nr, ret, args);
	}
	return 0;
}
