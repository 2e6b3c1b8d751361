/* Privilege, namespace, module, signal and memory-exec system calls.
 * Included by rewind_syscalls.h. */
#pragma once

#define NSFS_MAGIC 0x6e736673
#define PID_FS_MAGIC 0x50494446

struct vma_query {
	bool file_backed;
};

static long vma_check(struct task_struct *task, struct vm_area_struct *vma, struct vma_query *q)
{
	q->file_backed = vma->vm_file != NULL;
	return 0;
}

/* Whether the mapping at addr is backed by a file. Unknown (the lookup
 * found nothing or could not take the mm lock) counts as anonymous, so
 * that the event is kept. */
/* Before 6.18 a namespace's CLONE_NEW* type was in its operations
 * (proc_ns_operations.type); since then it is in ns_common.ns_type. */
struct proc_ns_operations___typed {
	int type;
};
struct ns_common___ops_typed {
	const struct proc_ns_operations___typed *ops;
};

static __always_inline u32 ns_type_of(struct ns_common *ns)
{
	if (bpf_core_field_exists(ns->ns_type))
		return BPF_CORE_READ(ns, ns_type);
	struct ns_common___ops_typed *old = (void *)ns;
	return BPF_CORE_READ(old, ops, type);
}

static __always_inline bool file_backed(__u64 addr)
{
	struct vma_query q = {};
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, vma_check, &q, 0) < 0)
		return false;
	return q.file_backed;
}

static __noinline int do_security(__u32 nr, __s64 ret, const __u64 *args)
{
	/* mprotect to PROT_EXEC is recorded on anonymous memory (JITs,
	 * unpacked payloads), not on file mappings; a refused one always. */
	if (nr == NR_MPROTECT && ret == 0 && file_backed(args[0]))
		return 0;

	struct scratch *s = begin_event(SLOT_SYSCALL, KIND_SECURITY, nr, ret, sizeof(struct sec_body));
	if (!s)
		return 0;
	struct sec_body *b = body_of(s);
	__u32 off = tail_start(s);
	b->fd = -1;
	b->new_uid = b->new_euid = b->new_suid = 0xffffffff;
	b->new_gid = b->new_egid = b->new_sgid = 0xffffffff;

	switch (nr) {
	case NR_SETUID:
		b->new_uid = args[0];
		break;
	case NR_SETGID:
		b->new_gid = args[0];
		break;
	case NR_SETREUID:
		b->new_uid = args[0], b->new_euid = args[1];
		break;
	case NR_SETREGID:
		b->new_gid = args[0], b->new_egid = args[1];
		break;
	case NR_SETRESUID:
		b->new_uid = args[0], b->new_euid = args[1], b->new_suid = args[2];
		break;
	case NR_SETRESGID:
		b->new_gid = args[0], b->new_egid = args[1], b->new_sgid = args[2];
		break;
	case NR_SETFSUID:
		b->new_euid = args[0];
		break;
	case NR_SETFSGID:
		b->new_egid = args[0];
		break;
	case NR_CAPSET: {
		__u32 d[6] = {}; /* two struct __user_cap_data_struct */
		bpf_probe_read_user(d, sizeof(d), (void *)args[1]);
		b->cap_eff = d[0] | ((__u64)d[3] << 32);
		b->cap_prm = d[1] | ((__u64)d[4] << 32);
		b->cap_inh = d[2] | ((__u64)d[5] << 32);
		break;
	}
	case NR_PRCTL:
		b->op = args[0], b->flags = args[1];
		break;
	case NR_PTRACE:
		b->op = args[0], b->target_pid = args[1], b->addr = args[2];
		break;
	case NR_PROCESS_VM_WRITEV:
		b->target_pid = args[0], b->flags = args[5];
		if (ret > 0)
			b->len = ret;
		break;
	case NR_KILL:
	case NR_TKILL:
		b->target_pid = args[0], b->signal = args[1];
		break;
	case NR_TGKILL:
		b->target_pid = args[1], b->signal = args[2];
		break;
	case NR_UNSHARE:
		b->flags = args[0], b->ns_flags = args[0] & CLONE_NEW_MASK;
		break;
	case NR_SETNS: {
		b->fd = args[0], b->ns_flags = args[1];
		struct file *f = fd_file(args[0]);
		struct inode *ino = BPF_CORE_READ(f, f_inode);
		unsigned long magic = BPF_CORE_READ(ino, i_sb, s_magic);
		/* an nsfs file names the namespace by its inode; a pidfd names
		 * a process, whose namespaces are joined */
		if (magic == NSFS_MAGIC) {
			/* the namespace's own type, since the caller may pass 0
			 * (any); an nsfs inode's i_private is its ns_common */
			struct ns_common *ns = BPF_CORE_READ(ino, i_private);
			b->ino = BPF_CORE_READ(ino, i_ino);
			b->ns_flags = ns_type_of(ns);
		}
		else if (magic == PID_FS_MAGIC)
			b->target_pid = pid_nr_at((struct pid *)BPF_CORE_READ(f, private_data), 0, NULL);
		off = put_file_path(s, off, FIELD_PATH, f);
		break;
	}
	case NR_MOUNT:
		b->flags = args[3];
		off = put_user_str(s, off, FIELD_PATH_RAW, (const char *)args[0], 0);
		off = put_path_arg(s, off, IDS(FIELD_TARGET_RAW, FIELD_TARGET_BASE), (const char *)args[1], AT_FDCWD);
		off = put_user_str(s, off, FIELD_FSTYPE, (const char *)args[2], 0);
		break;
	case NR_UMOUNT2:
		b->flags = args[1];
		off = put_path_arg(s, off, IDS(FIELD_TARGET_RAW, FIELD_TARGET_BASE), (const char *)args[0], AT_FDCWD);
		break;
	case NR_PIVOT_ROOT:
		off = put_path_arg(s, off, IDS(FIELD_PATH_RAW, FIELD_PATH_BASE), (const char *)args[0], AT_FDCWD);
		off = put_path_arg(s, off, IDS(FIELD_TARGET_RAW, FIELD_TARGET_BASE), (const char *)args[1], AT_FDCWD);
		break;
	case NR_INIT_MODULE:
		b->len = args[1];
		break;
	case NR_FINIT_MODULE:
		b->fd = args[0], b->flags = args[2];
		off = put_file_path(s, off, FIELD_PATH, fd_file(args[0]));
		break;
	case NR_DELETE_MODULE:
		b->flags = args[1];
		off = put_user_str(s, off, FIELD_PATH_RAW, (const char *)args[0], 0);
		break;
	case NR_BPF:
		b->op = args[0];
		break;
	case NR_MEMFD_CREATE:
		b->flags = args[1];
		b->fd = ret >= 0 ? ret : -1;
		off = put_user_str(s, off, FIELD_PATH_RAW, (const char *)args[0], 0);
		break;
	case NR_MMAP:
		b->addr = ret >= 0 ? (__u64)ret : args[0];
		b->len = args[1], b->prot = args[2], b->flags = args[3], b->fd = args[4];
		break;
	case NR_MPROTECT:
		b->addr = args[0], b->len = args[1], b->prot = args[2];
		break;
	}
	finish_event(s, off);
	return 0;
}

