/* Maps, configuration, and the event builder shared by every program. */
#pragma once
#include "vmlinux_wrapper.h"
#include "rewind_types.h"

/* Set by the loader before load. self_tgid 0 records every process.
 * wakeup_bytes 0 wakes the reader for every event it is waiting for;
 * otherwise only once that much data waits, and the reader polls for
 * the rest (a wakeup costs the producing task more than the event). */
volatile const __u32 self_tgid = 0;
volatile const __u64 wakeup_bytes = 0;
/* no_kfuncs reads kernel fields through helpers even where the kernel
 * offers bpf_rdonly_cast (below), as kernels before 6.2 do: tests run
 * both paths. */
volatile const __u32 no_kfuncs = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* the loader sets the real size */
} events SEC(".maps");

/* Per-CPU sequence numbers and drop counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_counters);
} counters SEC(".maps");

/* Where an event is built before it is copied into the ring buffer: ring
 * reservations must have a constant size, events do not. One slot per
 * program and CPU: the kernel never runs a program nested in itself on
 * one CPU, but two different programs may interleave if the first is
 * preempted, so they must not share a buffer. */
enum scratch_slot {
	SLOT_EXEC = 0,
	SLOT_FORK = 1,
	SLOT_EXIT = 2,
	SLOT_SYSCALL = 3,
	NUM_SLOTS = 4,
};

struct scratch {
	__u8 buf[SCRATCH_SIZE];
	/* Write position of the loops in rewind_fields.h, kept in memory on
	 * purpose: the verifier does not track values loaded from a map, so
	 * loop iterations that differ only in it are pruned as equal instead
	 * of being explored one by one. */
	__u32 cursor;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NUM_SLOTS);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* Syscall number -> enum syscall_class; 0 means not recorded. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} interest SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct env_filter);
} env_filter_map SEC(".maps");

static __always_inline bool is_self(void)
{
	return self_tgid != 0 && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

#define TS_COMPAT 0x0002

/* A 32-bit syscall, whose numbers mean other calls. TS_COMPAT is set at
 * a compat syscall's entry and cleared on the way back to user space,
 * after the exit tracepoint. */
static __always_inline bool in_compat_syscall(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	return bpf_core_field_exists(t->thread_info.status) && (t->thread_info.status & TS_COMPAT);
}

/* The current thread's user registers, saved at its entry into the
 * kernel: orig_ax is the number of the syscall it is in, and the
 * argument registers hold that call's arguments. A kernel thread's are
 * zero. */
static __always_inline struct pt_regs *current_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* &s->buf[off], with off masked below WRITE_LIMIT in a way the compiler
 * cannot drop: clang removes a mask it can prove redundant, and the
 * verifier, which sees less, then rejects the access. */
static __always_inline __u8 *buf_at(struct scratch *s, __u32 off)
{
	__u64 v = off;
	asm volatile("%0 &= %1" : "+r"(v) : "i"(WRITE_MASK));
	return &s->buf[v];
}

static __always_inline struct event_hdr *hdr_of(struct scratch *s)
{
	return (struct event_hdr *)s->buf;
}

/* pid number of p in the namespace at level (struct pid's numbers[] is a
 * flexible array, so index it by hand with CO-RE offsets). */
static __always_inline int pid_nr_at(struct pid *p, unsigned int level, struct pid_namespace **ns)
{
	struct upid u = {};
	if (!p)
		return 0;
	__u64 off = bpf_core_field_offset(struct pid, numbers) +
		    (__u64)(level & 31) * bpf_core_type_size(struct upid);
	bpf_probe_read_kernel(&u, sizeof(u), (void *)p + off);
	if (ns)
		*ns = u.ns;
	return u.nr;
}

/* bpf_rdonly_cast (a kfunc, Linux 6.2+) turns a kernel pointer read as
 * a number into a typed one whose fields are plain loads (the kernel
 * turns a fault into a zero), where BPF_CORE_READ costs a helper call
 * per field. Weak: on an older kernel it resolves to 0 and the callers
 * take their BPF_CORE_READ path. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define have_kcast() (!no_kfuncs && bpf_rdonly_cast != 0)
#define KCAST(type, ptr) ((struct type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(struct type)))
/* field of the struct type at ptr, by plain load where the kernel can */
#define KREAD(type, ptr, field) \
	(have_kcast() ? KCAST(type, ptr)->field : BPF_CORE_READ((struct type *)(ptr), field))

static __always_inline __u32 dev_of_inode(struct inode *ino)
{
	struct super_block *sb = KREAD(inode, ino, i_sb);
	return KREAD(super_block, sb, s_dev);
}

static __always_inline __u64 read_caps(const kernel_cap_t *cap)
{
	__u64 v = 0;
	/* kernel_cap_t is a u64 since 6.3 and two little-endian u32 before:
	 * the same 8 bytes either way. */
	bpf_probe_read_kernel(&v, sizeof(v), cap);
	return v;
}

/* Fills the task part of the header from the current task. The task
 * pointer is a BTF one, so the fields are plain loads (the kernel turns a
 * fault into a zero) instead of one probe-read helper call each. */
static __noinline void fill_task(struct event_hdr *h)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 pt = bpf_get_current_pid_tgid();
	struct pid_namespace *pidns = NULL;

	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->ppid = t->real_parent->tgid;

	struct pid *tp = t->thread_pid;
	unsigned int level = tp->level;
	h->vtid = pid_nr_at(tp, level, &pidns);
	h->vpid = pid_nr_at(t->group_leader->thread_pid, level, NULL);
	h->pid_ns = pidns ? KREAD(pid_namespace, pidns, ns.inum) : 0;

	const struct cred *c = t->real_cred;
	h->uid = c->uid.val;
	h->gid = c->gid.val;
	h->euid = c->euid.val;
	h->egid = c->egid.val;
	h->user_ns = c->user_ns->ns.inum;
	if (bpf_core_field_exists(t->loginuid))
		h->loginuid = t->loginuid.val;
	else
		h->loginuid = 0xffffffff;

	struct nsproxy *nsp = t->nsproxy;
	if (nsp) {
		h->mnt_ns = nsp->mnt_ns->ns.inum;
		h->net_ns = nsp->net_ns->ns.inum;
		h->uts_ns = nsp->uts_ns->ns.inum;
		h->ipc_ns = nsp->ipc_ns->ns.inum;
		h->cgroup_ns = nsp->cgroup_ns->ns.inum;
	}
	/* what bpf_get_current_cgroup_id returns, without the helper call:
	 * the id of the task's cgroup in the unified hierarchy */
	h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;

	struct mm_struct *mm = t->mm;
	if (mm) {
		struct file *exe = mm->exe_file;
		if (exe) {
			struct inode *ino = exe->f_inode;
			h->exe_ino = ino->i_ino;
			h->exe_dev = ino->i_sb->s_dev;
		}
	}
	/* plain loads instead of the helper; the kernel keeps comm
	 * NUL-terminated within its 16 bytes */
	__builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
}

/* Starts an event in this CPU's scratch buffer for the program's slot; NULL when unavailable.
 * The body of body_len bytes follows the header and is zeroed. */
static __always_inline struct scratch *begin_event(__u32 slot, __u8 kind, __s32 nr, __s64 ret, __u16 body_len)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &slot);
	if (!s)
		return NULL;
	struct event_hdr *h = hdr_of(s);
	__builtin_memset(h, 0, sizeof(*h));
	/* body_len is a constant at every (inlined) call */
	__builtin_memset(s->buf + sizeof(struct event_hdr), 0, body_len);
	h->boot_ns = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->syscall_nr = nr;
	h->ret = ret;
	h->body_len = body_len;
	h->cpu = bpf_get_smp_processor_id();
	fill_task(h);
	return s;
}

static __always_inline void *body_of(struct scratch *s)
{
	return s->buf + sizeof(struct event_hdr);
}

static __always_inline __u32 tail_start(struct scratch *s)
{
	return sizeof(struct event_hdr) + hdr_of(s)->body_len;
}

/* Assigns the sequence number and copies the event into the ring buffer.
 * A failed copy is counted; its sequence number stays used, so the gap
 * shows in the recording. */
static __always_inline void finish_event(struct scratch *s, __u32 end)
{
	__u32 zero = 0;
	struct event_hdr *h = hdr_of(s);
	struct cpu_counters *c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return;
	h->seq = __sync_fetch_and_add(&c->seq, 1) + 1;
	__u32 start = tail_start(s);
	if (end < start)
		end = start;
	h->tail_len = end - start;
	/* writes never pass SCRATCH_SIZE; the mask shows it to the verifier */
	end &= SCRATCH_SIZE - 1;
	asm volatile("" : "+r"(end));
	if (end < sizeof(struct event_hdr))
		return;
	__u64 flags = 0;
	if (wakeup_bytes) {
		/* Only the event that takes the waiting data past the mark wakes
		 * the reader. Past it, the reader has been woken and reads until
		 * the ring is empty before it waits again: a wakeup per event
		 * there (a self-IPI for the kernel's irq_work, a trap to the
		 * hypervisor on some VMs) cost each event more than the rest of
		 * its recording whenever the reader fell behind. Two CPUs
		 * crossing the mark together may both miss it; the reader's
		 * own polling bounds the delay that causes. */
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		flags = avail < wakeup_bytes && avail + end >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, s, end, flags) < 0)
		__sync_fetch_and_add(&c->drops, 1);
}
