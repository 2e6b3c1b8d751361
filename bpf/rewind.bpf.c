//go:build ignore

/* rewind's kernel side: scheduler tracepoints for the process lifecycle
 * and syscall entry/exit for everything else, all feeding one ring buffer.
 * The syscall part can run from the raw sys_enter/sys_exit tracepoints
 * (tp_btf, one program for every syscall, filtered by the interest map)
 * or from per-syscall tracepoints (attached only to the recorded calls);
 * the loader picks one, see dispatch.go for the measured costs. */
#include "rewind_sched.h"
#include "rewind_syscalls.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long id)
{
	__u32 nr = id;
	if (!class_of(nr))
		return 0;
	__u64 args[6] = {regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9};
	return on_sys_enter(nr, args);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs->orig_ax, ret);
}

/* Attached by the loader to syscalls/sys_enter_<name> for each recorded
 * call; every such tracepoint starts with the syscall number and then six
 * argument slots, of which a call uses its own count. */
SEC("tracepoint/syscalls/sys_enter")
int tp_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 nr = (__u32)ctx->id;
	if (!class_of(nr))
		return 0;
	__u64 args[6] = {ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4], ctx->args[5]};
	return on_sys_enter(nr, args);
}

SEC("tracepoint/syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_sys_exit((__u32)ctx->id, ctx->ret);
}
