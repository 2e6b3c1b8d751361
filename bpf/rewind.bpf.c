//go:build ignore

/* rewind's kernel side: scheduler tracepoints for the process lifecycle
 * and syscall exit for everything else, all feeding one ring buffer.
 * Nothing runs at syscall entry: every recorded call is built at its exit
 * from the argument registers saved at entry. The syscall part can run
 * from the raw sys_exit tracepoint (tp_btf, one program for every
 * syscall, filtered by the interest map) or from per-syscall tracepoints
 * (attached only to the recorded calls); the loader picks one, see
 * dispatch_test.go for the measured costs. */
#include "rewind_sched.h"
#include "rewind_syscalls.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs->orig_ax, ret, regs);
}

/* The syscall number is an int right after the common fields (8 bytes
 * in) of a syscalls/sys_exit_<name> record. */
static __always_inline __u32 tp_syscall_nr(void *ctx)
{
	return *(int *)(ctx + 8);
}

SEC("tracepoint/syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	/* The record holds only the number and the return value; the
	 * arguments are in the registers saved at syscall entry. */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_sys_exit(tp_syscall_nr(ctx), ctx->ret, regs);
}
