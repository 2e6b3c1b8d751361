/* Process lifecycle: exec, fork, exit, from the scheduler tracepoints. */
#pragma once
#include "rewind_fields.h"

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define NR_CLONE 56
#define NR_FORK 57
#define NR_VFORK 58
#define NR_CLONE3 435
#define SIGCHLD 17
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000

/* Inode layouts of older kernels, for CO-RE: the timestamps moved from
 * struct timespec64 fields to split sec/nsec fields in 6.7-6.11. */
struct inode___ts64 {
	struct timespec64 i_mtime;
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

struct inode___ctime66 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

/* Multigrain timestamps (6.6, and again from 6.13) keep a flag,
 * I_CTIME_QUERIED, in the top bit of the ctime's nanoseconds; nanoseconds
 * fit in the low 30 bits. */
#define NSEC_MASK 0x3fffffff
#define S_IFMT 00170000
#define S_IFREG 0100000

struct inode_times {
	__s64 ctime_sec, mtime_sec;
	__u32 ctime_nsec, mtime_nsec;
};

static __always_inline struct inode_times inode_times(struct inode *ino)
{
	struct inode_times t = {};
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		t.ctime_sec = BPF_CORE_READ(ino, i_ctime_sec);
		t.ctime_nsec = BPF_CORE_READ(ino, i_ctime_nsec) & NSEC_MASK;
		t.mtime_sec = BPF_CORE_READ(ino, i_mtime_sec);
		t.mtime_nsec = BPF_CORE_READ(ino, i_mtime_nsec) & NSEC_MASK;
		return t;
	}
	struct inode___ctime66 *i66 = (void *)ino;
	struct inode___ts64 *old = (void *)ino;
	if (bpf_core_field_exists(i66->__i_ctime)) {
		t.ctime_sec = BPF_CORE_READ(i66, __i_ctime.tv_sec);
		t.ctime_nsec = BPF_CORE_READ(i66, __i_ctime.tv_nsec) & NSEC_MASK;
	} else {
		t.ctime_sec = BPF_CORE_READ(old, i_ctime.tv_sec);
		t.ctime_nsec = BPF_CORE_READ(old, i_ctime.tv_nsec) & NSEC_MASK;
	}
	t.mtime_sec = BPF_CORE_READ(old, i_mtime.tv_sec);
	t.mtime_nsec = BPF_CORE_READ(old, i_mtime.tv_nsec) & NSEC_MASK;
	return t;
}

/* Start time (boot clock) of the init process of the task's pid namespace. */
static __always_inline __u64 pidns_init_start(struct task_struct *t)
{
	struct pid *tp = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level);
	struct pid_namespace *ns = NULL;
	pid_nr_at(tp, level, &ns);
	return BPF_CORE_READ(ns, child_reaper, start_boottime);
}

/* overlayfs wraps its inode in struct ovl_inode with the upper dentry
 * right after it; a non-NULL upper dentry means the file was created or
 * copied up in the writable layer. */
static __always_inline __u32 overlay_flags(struct inode *ino)
{
	if (BPF_CORE_READ(ino, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	__u32 flags = EXE_OVERLAY;
	struct dentry *upper = NULL;
	if (bpf_core_type_exists(struct ovl_inode)) {
		__u64 off = bpf_core_field_offset(struct ovl_inode, __upperdentry) -
			    bpf_core_field_offset(struct ovl_inode, vfs_inode);
		bpf_probe_read_kernel(&upper, sizeof(upper), (void *)ino + off);
	} else {
		bpf_probe_read_kernel(&upper, sizeof(upper), (void *)ino + bpf_core_type_size(struct inode));
	}
	if (upper)
		flags |= EXE_UPPER;
	return flags;
}

static __always_inline void fill_exec_body(struct exec_body *b, struct task_struct *t, struct file *f)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	b->exe_size = BPF_CORE_READ(ino, i_size);
	b->exe_mode = BPF_CORE_READ(ino, i_mode);
	b->exe_uid = BPF_CORE_READ(ino, i_uid.val);
	b->exe_gid = BPF_CORE_READ(ino, i_gid.val);
	b->exe_nlink = BPF_CORE_READ(ino, i_nlink);
	struct inode_times tm = inode_times(ino);
	b->ctime_sec = tm.ctime_sec;
	b->ctime_nsec = tm.ctime_nsec;
	b->mtime_sec = tm.mtime_sec;
	b->mtime_nsec = tm.mtime_nsec;
	b->exe_flags = overlay_flags(ino);
	char name[8] = {};
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
		b->exe_flags |= EXE_MEMFD_NAME;

	b->start_boot_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	b->pidns_init_start_ns = pidns_init_start(t);
	const struct cred *c = BPF_CORE_READ(t, real_cred);
	b->cap_eff = read_caps(&c->cap_effective);
	b->cap_prm = read_caps(&c->cap_permitted);
	b->cap_inh = read_caps(&c->cap_inheritable);

	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	if (tty) {
		int major = BPF_CORE_READ(tty, driver, major);
		int minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		b->tty = ((__u32)major << 20) | ((__u32)minor & 0xfffff);
	}
	unsigned int level = BPF_CORE_READ(t, thread_pid, level);
	b->sid = pid_nr_at(BPF_CORE_READ(sig, pids[PIDTYPE_SID]), 0, NULL);
	struct pid *pg = BPF_CORE_READ(sig, pids[PIDTYPE_PGID]);
	b->pgid = pid_nr_at(pg, 0, NULL);
	b->vpgid = pid_nr_at(pg, level, NULL);
}

/* Set by the loader from /proc/kallsyms: the address of ____fput, the
 * task work that closes a file released in task context. 0 when unknown:
 * scripts' files are then not found. */
volatile const __u64 fput_fn = 0;

/* The #! script (or binfmt_misc file) an exec ran, or NULL. The script
 * handler opens the interpreter and the exec goes on with it; the
 * script's own struct file is released (fput) before sched_process_exec,
 * but only queued for closing, as a task work of the exec'ing task, run
 * on its return to user space. The task work list is newest first, and
 * the script's release is the first of this exec (files closed on exec
 * come later), so it is the last ____fput entry. User space checks its
 * path against the exec's file name before using it. */
static __always_inline struct file *released_script(void)
{
	if (!fput_fn || !bpf_core_field_exists(((struct file *)0)->f_task_work))
		return NULL;
	struct task_struct *t = bpf_get_current_task_btf();
	struct callback_head *cb = t->task_works;
	struct callback_head *found = NULL;
	for (int i = 0; i < 16 && cb; i++) {
		if ((__u64)cb->func == fput_fn)
			found = cb;
		cb = cb->next;
	}
	if (!found)
		return NULL;
	return (struct file *)((void *)found - bpf_core_field_offset(struct file, f_task_work));
}

static __always_inline __u32 put_script(struct scratch *s, __u32 off, struct exec_body *b)
{
	struct file *f = released_script();
	if (!f)
		return off;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	__u32 mode = BPF_CORE_READ(ino, i_mode);
	if ((mode & S_IFMT) != S_IFREG)
		return off;
	struct inode_times tm = inode_times(ino);
	b->script_ino = BPF_CORE_READ(ino, i_ino);
	b->script_dev = dev_of_inode(ino);
	b->script_size = BPF_CORE_READ(ino, i_size);
	b->script_mode = mode;
	b->script_uid = BPF_CORE_READ(ino, i_uid.val);
	b->script_gid = BPF_CORE_READ(ino, i_gid.val);
	b->script_ctime_sec = tm.ctime_sec;
	b->script_ctime_nsec = tm.ctime_nsec;
	b->script_mtime_sec = tm.mtime_sec;
	b->script_mtime_nsec = tm.mtime_nsec;
	return put_file_path(s, off, FIELD_SCRIPT_PATH, f);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	/* Which call: the saved registers cannot say, since loading an ELF
	 * binary rewrites the thread's saved call number to execve
	 * (set_personality_64bit). An execveat on a file descriptor (a
	 * dirfd-relative path, or fexecve's empty one) is told by the
	 * /dev/fd/N name the kernel made for it, bprm->fdpath; one with an
	 * absolute path or AT_FDCWD is an execve in effect and is recorded
	 * as one. An exec that a kernel thread starts (the first init,
	 * usermode helpers) counts as execve too. */
	__s32 nr = NR_EXECVE;
	if (bpf_core_field_exists(bprm->fdpath) && BPF_CORE_READ(bprm, fdpath))
		nr = NR_EXECVEAT;

	struct scratch *s = begin_event(SLOT_EXEC, KIND_EXEC, nr, 0, sizeof(struct exec_body));
	if (!s)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *f = BPF_CORE_READ(bprm, file);
	fill_exec_body(body_of(s), t, f);

	__u32 off = tail_start(s);
	const char *filename = BPF_CORE_READ(bprm, filename);
	const char *interp = BPF_CORE_READ(bprm, interp);
	off = put_kernel_str(s, off, FIELD_FILENAME, filename);
	if (interp != filename) {
		off = put_kernel_str(s, off, FIELD_INTERP, interp);
		off = put_script(s, off, body_of(s));
	}
	off = put_file_path(s, off, FIELD_EXE_PATH, f);
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	off = put_argv(s, off, mm);
	off = put_cwd(s, off, FIELD_CWD);
	off = put_env(s, off, mm);
	finish_event(s, off);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	if (is_self())
		return 0;
	/* The parent is current, inside the call that forks: its saved
	 * registers hold the call's number and arguments. A kernel thread,
	 * or a task forking from inside another call (io_uring workers),
	 * has no such call: nr stays -1. */
	__s32 nr = -1;
	__u64 flags = 0;
	struct pt_regs *regs = current_regs();
	if (!in_compat_syscall()) {
		switch (regs->orig_ax) {
		case NR_CLONE:
			nr = NR_CLONE;
			flags = regs->di;
			break;
		case NR_CLONE3:
			nr = NR_CLONE3;
			bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->di);
			break;
		case NR_FORK:
			nr = NR_FORK;
			flags = SIGCHLD;
			break;
		case NR_VFORK:
			nr = NR_VFORK;
			flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
			break;
		}
	}
	__s32 child_pid = BPF_CORE_READ(child, tgid);
	struct scratch *s = begin_event(SLOT_FORK, KIND_FORK, nr, child_pid, sizeof(struct fork_body));
	if (!s)
		return 0;
	struct fork_body *b = body_of(s);
	b->clone_flags = flags;
	b->child_pid = child_pid;
	b->child_tid = BPF_CORE_READ(child, pid);
	b->child_start_ns = BPF_CORE_READ(child, start_boottime);
	b->pidns_init_start_ns = pidns_init_start(child);
	finish_event(s, tail_start(s));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	if (is_self())
		return 0;
	struct scratch *s = begin_event(SLOT_EXIT, KIND_EXIT, -1, 0, sizeof(struct exit_body));
	if (!s)
		return 0;
	int code = BPF_CORE_READ(p, exit_code);
	struct exit_body *b = body_of(s);
	b->exit_code = (code >> 8) & 0xff;
	b->exit_signal = code & 0x7f;
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		hdr_of(s)->flags |= HDR_GROUP_DEAD;
	finish_event(s, tail_start(s));
	return 0;
}
