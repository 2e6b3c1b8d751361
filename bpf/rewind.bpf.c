//go:build ignore

/* rewind's kernel side: scheduler tracepoints for the process lifecycle
 * and syscall entry/exit for everything else, all feeding one ring buffer.
 * The syscall part can run from the raw sys_enter/sys_exit tracepoints
 * (tp_btf, one program for every syscall, filtered by the interest map)
 * or from per-syscall tracepoints (attached only to the recorded calls);
 * the loader picks one, see dispatch_test.go for the measured costs. */
#include "rewind_sched.h"
#include "rewind_syscalls.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long id)
{
	__u32 nr = id;
	if (!needs_enter(class_of(nr)))
		return 0;
	__u64 args[6] = {regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9};
	return on_sys_enter(nr, args);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs->orig_ax, ret, regs);
}

/* Attached by the loader to syscalls/sys_enter_<name> for each recorded
 * call whose class needs_enter. Such a tracepoint holds the syscall number and then one 8-byte
 * slot per argument of that call only. The kernel refuses to attach a
 * program that reads its context past the record of the tracepoint, so
 * the arguments are copied with a helper: slots past the call's own
 * count are junk, and the handlers never look at them. */
/* The number is an int right after the common fields (8 bytes in): read
 * as the 4 bytes it is, since sys_enter_fork's record ends there. */
static __always_inline __u32 tp_syscall_nr(void *ctx)
{
	return *(int *)(ctx + 8);
}

SEC("tracepoint/syscalls/sys_enter")
int tp_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 nr = tp_syscall_nr(ctx);
	if (!needs_enter(class_of(nr)))
		return 0;
	__u64 args[6] = {};
	bpf_probe_read_kernel(args, sizeof(args), (void *)ctx + offsetof(struct trace_event_raw_sys_enter, args));
	return on_sys_enter(nr, args);
}

SEC("tracepoint/syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	/* The record holds only the number and the return value; the
	 * arguments are in the registers saved at syscall entry. */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_sys_exit(tp_syscall_nr(ctx), ctx->ret, regs);
}
