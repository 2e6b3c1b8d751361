//go:build ignore

/* The floor of recording a syscall on this host, for benchmarks: what
 * any recorder that emits one event per openat pays before it records
 * anything of substance. floor_noop is attached and returns (the hook's
 * cost); floor_clock reads the boot clock and the pid into a per-CPU
 * slot (a timestamp's cost); floor_event writes a 24-byte event (boot
 * time, pid/tid, return value) to a ring buffer, the least a recorder of
 * every call can keep. Overhead above floor_event is rewind's own; below
 * it, no recorder of every call can go. */
#include "vmlinux_wrapper.h"

char LICENSE[] SEC("license") = "GPL";

struct floor_event {
	__u64 boot_ns;
	__u64 pid_tgid;
	__s64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} floor_ring SEC(".maps");

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_noop(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_event(struct trace_event_raw_sys_exit *ctx)
{
	struct floor_event e = {
		.boot_ns = bpf_ktime_get_boot_ns(),
		.pid_tgid = bpf_get_current_pid_tgid(),
		.ret = ctx->ret,
	};
	/* No wakeup: the reader polls (a wakeup per event would cost more
	 * than the event; the recorder wakes its reader only at a mark). */
	bpf_ringbuf_output(&floor_ring, &e, sizeof(e), BPF_RB_NO_WAKEUP);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_event);
} floor_last SEC(".maps");

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_clock(struct trace_event_raw_sys_exit *ctx)
{
	__u32 zero = 0;
	struct floor_event *e = bpf_map_lookup_elem(&floor_last, &zero);
	if (!e)
		return 0;
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->pid_tgid = bpf_get_current_pid_tgid();
	e->ret = ctx->ret;
	return 0;
}
