/* Wire format shared with the Go decoder (bpf2go -type generates the Go
 * side). An event is: struct event_hdr, a fixed-size body chosen by kind
 * (hdr.body_len bytes), then hdr.tail_len bytes of fields, each a
 * struct field_hdr followed by len bytes (no NUL). */
#pragma once

#define SCRATCH_SIZE 16384
/* Every tail write starts below WRITE_LIMIT and is at most STR_MAX long,
 * so it stays inside the scratch buffer; masking with WRITE_MASK is a
 * no-op at run time that lets the verifier see the bound. */
#define WRITE_LIMIT 8192
#define WRITE_MASK (WRITE_LIMIT - 1)
#define STR_MAX 4096
#define NAME_BYTES 256
#define PATH_DEPTH 48
#define PATH_BYTES 4096
#define ARGV_BYTES 4095
#define ENV_CHUNK 512
#define ENV_STEPS 96
#define ENV_PATTERNS 8
#define MAX_SYSCALLS 512

enum event_kind {
	KIND_EXEC = 1,
	KIND_FORK = 2,
	KIND_EXIT = 3,
	KIND_OPEN = 4,
	KIND_FILE = 5,
	KIND_NET = 6,
	KIND_SECURITY = 7,
};

/* What the sys_exit handler does with a syscall (the interest table). */
enum syscall_class {
	CLASS_NONE = 0,
	CLASS_EXEC = 1,	    /* failed execs only; success is sched_process_exec */
	CLASS_FORK = 2,	    /* enter state for sched_process_fork */
	CLASS_OPEN = 3,
	CLASS_FILE = 4,
	CLASS_NET = 5,
	CLASS_SECURITY = 6,
};

enum field_id {
	FIELD_FILENAME = 1,
	FIELD_ARGV = 2,	       /* NUL-separated argument strings */
	FIELD_CWD = 3,
	FIELD_ENV = 4,	       /* one field per selected NAME=value */
	FIELD_EXE_PATH = 5,
	FIELD_INTERP = 6,      /* binprm interp when it differs from filename */
	FIELD_PATH = 7,	       /* kernel path of the file behind an fd */
	FIELD_PATH_RAW = 8,
	FIELD_PATH_BASE = 9,   /* cwd or dirfd directory of a relative PATH_RAW */
	FIELD_TARGET = 10,
	FIELD_TARGET_RAW = 11,
	FIELD_TARGET_BASE = 12,
	FIELD_FSTYPE = 13,
	FIELD_UNIX_PATH = 14,
	FIELD_SCRIPT_PATH = 15, /* kernel path of the #! script (or binfmt_misc file) run */
};

enum field_flag {
	FIELD_TRUNCATED = 1,
	FIELD_COMPONENTS = 2, /* NUL-terminated path components, leaf first */
	FIELD_ABSTRACT = 4,   /* abstract AF_UNIX name (leading NUL dropped) */
	FIELD_DETACHED = 8,   /* walk ended at a root that is not the namespace root */
};

enum exe_flag {
	EXE_OVERLAY = 1,
	EXE_UPPER = 2,
	EXE_MEMFD_NAME = 4,
};

enum hdr_flag {
	HDR_TRUNCATED = 1,
	HDR_GROUP_DEAD = 2,
};

struct field_hdr {
	__u8 id;
	__u8 flags;
	__u16 len;
};

struct event_hdr {
	__u64 boot_ns;
	__u64 seq;
	__u64 cgroup_id;
	__u64 exe_ino;
	__s64 ret;
	__u32 exe_dev; /* kernel encoding: major << 20 | minor */
	__s32 pid, tid, ppid, vpid, vtid;
	__u32 uid, gid, euid, egid, loginuid;
	__u32 mnt_ns, pid_ns, net_ns, uts_ns, ipc_ns, user_ns, cgroup_ns;
	__s32 syscall_nr;
	__u16 cpu;
	__u8 kind;
	__u8 flags;
	__u16 body_len;
	__u16 tail_len;
	char comm[16];
	__u32 reserved;
};

struct exec_body {
	__u64 exe_size;
	__s64 ctime_sec, mtime_sec;
	__u64 start_boot_ns, pidns_init_start_ns;
	__u64 cap_eff, cap_prm, cap_inh;
	__u32 ctime_nsec, mtime_nsec;
	__u32 exe_mode, exe_uid, exe_gid, exe_nlink;
	__u32 tty; /* kernel encoding */
	__s32 sid, pgid, vpgid;
	__u32 exe_flags;
	/* The file the exec named when a binfmt handler passed it to an
	 * interpreter (a #! script): its identity, read from the struct file
	 * the kernel released during the exec. script_ino 0: none found. */
	__u32 script_dev; /* kernel encoding */
	__u64 script_ino, script_size;
	__s64 script_ctime_sec, script_mtime_sec;
	__u32 script_ctime_nsec, script_mtime_nsec;
	__u32 script_mode, script_uid, script_gid, reserved;
};

struct fork_body {
	__u64 clone_flags;
	__u64 child_start_ns;
	__u64 pidns_init_start_ns;
	__s32 child_pid, child_tid;
};

struct exit_body {
	__s32 exit_code;
	__s32 exit_signal;
};

struct file_body {
	__u64 flags, dev, ino, len;
	__u32 mode;
	__s32 fd;
	__u32 new_uid, new_gid;
};

struct net_body {
	__u64 flags;
	__u8 saddr[16], daddr[16];
	__s32 fd;
	__u16 family, sock_type, proto, sport, dport, reserved;
};

struct sec_body {
	__s64 op;
	__u64 ns_flags, flags, addr, len;
	__u64 ino; /* setns: the namespace's inode number */
	__u64 cap_eff, cap_prm, cap_inh;
	__s32 target_pid, signal, fd;
	__u32 prot;
	__u32 new_uid, new_euid, new_suid, new_gid, new_egid, new_sgid;
};

/* One selected-environment pattern: a variable matches when its first 32
 * bytes masked with mask equal word. User space builds these from names
 * ("LD_PRELOAD" becomes "LD_PRELOAD=") and prefixes ("LC_*" becomes "LC_"). */
struct env_pattern {
	__u64 word[4];
	__u64 mask[4];
};

struct env_filter {
	__u32 count;
	__u32 reserved;
	struct env_pattern pat[ENV_PATTERNS];
};

struct cpu_counters {
	__u64 seq;   /* events attempted on this CPU, including dropped ones */
	__u64 drops; /* ring buffer reserve failures on this CPU */
};

/* Never accessed: keeps every wire type in the object's BTF so that
 * bpf2go -type can generate its Go twin. */
struct wire_types {
	enum event_kind kind;
	enum syscall_class class;
	enum field_id field;
	enum field_flag field_flag;
	enum exe_flag exe_flag;
	enum hdr_flag hdr_flag;
	struct event_hdr hdr;
	struct exec_body exec;
	struct fork_body fork;
	struct exit_body exit;
	struct file_body file;
	struct net_body net;
	struct sec_body sec;
	struct field_hdr field_hdr;
};
const struct wire_types *unused_wire_types __attribute__((unused));
