/* Variable-length tail fields: strings, argv, selected env, and paths
 * walked from the kernel's dentries. Each writer takes the tail offset and
 * returns the new one; a field that does not fit is left out and the
 * event is flagged truncated. */
#pragma once
#include "rewind_core.h"

#define AT_FDCWD -100

static __always_inline void mark_truncated(struct scratch *s)
{
	hdr_of(s)->flags |= HDR_TRUNCATED;
}

static __always_inline void put_field_hdr(struct scratch *s, __u32 off, __u8 id, __u32 len, __u8 flags)
{
	struct field_hdr *f = (struct field_hdr *)buf_at(s, off);
	f->id = id;
	f->flags = flags;
	f->len = len;
	if (flags & FIELD_TRUNCATED)
		mark_truncated(s);
}

/* A NUL-terminated user string. */
static __noinline __u32 put_user_str(struct scratch *s, __u32 off, __u8 id, const char *uptr, __u8 flags)
{
	if (!uptr)
		return off;
	if (off >= WRITE_LIMIT - 4) {
		mark_truncated(s);
		return off;
	}
	long n = bpf_probe_read_user_str(buf_at(s, (off + 4)), STR_MAX, uptr);
	if (n <= 0)
		return off;
	if (n >= STR_MAX)
		flags |= FIELD_TRUNCATED;
	put_field_hdr(s, off, id, n - 1, flags);
	return off + 4 + (n - 1);
}

/* A NUL-terminated kernel string. */
static __noinline __u32 put_kernel_str(struct scratch *s, __u32 off, __u8 id, const char *kptr)
{
	if (!kptr)
		return off;
	if (off >= WRITE_LIMIT - 4) {
		mark_truncated(s);
		return off;
	}
	long n = bpf_probe_read_kernel_str(buf_at(s, (off + 4)), STR_MAX, kptr);
	if (n <= 0)
		return off;
	put_field_hdr(s, off, id, n - 1, n >= STR_MAX ? FIELD_TRUNCATED : 0);
	return off + 4 + (n - 1);
}

/* A dentry's parent and name pointer. The kernel has long kept d_parent
 * and d_name (a qstr: hash_len, then name) next to each other; with that
 * layout (checked through CO-RE offsets, so the check is a constant at
 * load time) one read fetches both. */
static __always_inline void dentry_step(struct dentry *d, struct dentry **up, const unsigned char **name)
{
	if (have_kcast()) {
		struct dentry *bd = KCAST(dentry, d);
		*up = bd->d_parent;
		*name = bd->d_name.name;
		return;
	}
	__u32 parent_off = bpf_core_field_offset(struct dentry, d_parent);
	__u32 name_off = bpf_core_field_offset(struct dentry, d_name.name);
	if (name_off == parent_off + 16) {
		__u64 both[3] = {};
		bpf_probe_read_kernel(both, sizeof(both), (void *)d + parent_off);
		*up = (struct dentry *)both[0];
		*name = (const unsigned char *)both[2];
		return;
	}
	*up = BPF_CORE_READ(d, d_parent);
	*name = BPF_CORE_READ(d, d_name.name);
}

/* Copies the name of d to &s->buf[pos] with its NUL when the kernel
 * keeps it inside the dentry (names shorter than the inline store, most
 * of them: Linux 6.14+ names that store d_shortname), as five word
 * loads instead of a helper call that copies byte by byte. Returns the
 * bytes written, 0 when the name is elsewhere (the caller reads it). */
static __always_inline long inline_name(struct scratch *s, __u32 pos, struct dentry *d, const unsigned char *name)
{
	/* the five word loads below need the 40-byte store this was built
	 * against; elsewhere the helper reads the name */
	if (!have_kcast() || !bpf_core_field_exists(d->d_shortname) || bpf_core_field_size(d->d_shortname) != 40)
		return 0;
	struct dentry *bd = KCAST(dentry, d);
	if ((void *)name != (void *)&bd->d_shortname)
		return 0;
	__u32 len = bd->d_name.len;
	if (len >= sizeof(bd->d_shortname))
		return 0; /* not inline after all: a rename raced the reads */
	__u64 *dst = (__u64 *)buf_at(s, pos);
	dst[0] = bd->d_shortname.words[0];
	dst[1] = bd->d_shortname.words[1];
	dst[2] = bd->d_shortname.words[2];
	dst[3] = bd->d_shortname.words[3];
	dst[4] = bd->d_shortname.words[4];
	/* the store holds its own NUL; this one keeps the length and the
	 * bytes in step if a rename changes them between the reads */
	*buf_at(s, pos + len) = 0;
	return len + 1;
}

struct path_walk {
	struct scratch *s;
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;
	__u32 start;
	__u8 flags;
	bool done;
};

/* One bpf_loop step of put_dentry_path: crosses a mount point, or stores
 * one component name and moves to the parent. Returns 1 to stop. */
static long path_step(__u32 i, struct path_walk *w)
{
	/* Locals, not w->x, inside BPF_CORE_READ: it would try to relocate
	 * struct path_walk against the kernel's types too. */
	struct scratch *s = w->s;
	struct dentry *dentry = w->dentry;
	struct mount *mnt = w->mnt;
	if (dentry == w->mnt_root) {
		struct mount *parent = KREAD(mount, mnt, mnt_parent);
		if (parent == mnt || !parent) {
			w->done = true; /* the root of the mount tree */
			return 1;
		}
		w->dentry = KREAD(mount, mnt, mnt_mountpoint);
		w->mnt = parent;
		w->mnt_root = KREAD(mount, parent, mnt.mnt_root);
		return 0;
	}
	__u32 pos = s->cursor;
	if (pos >= WRITE_LIMIT - NAME_BYTES || pos - w->start > PATH_BYTES) {
		w->flags |= FIELD_TRUNCATED;
		return 1;
	}
	struct dentry *up;
	const unsigned char *name;
	dentry_step(dentry, &up, &name);
	long n = inline_name(s, pos, dentry, name);
	if (!n)
		n = bpf_probe_read_kernel_str(buf_at(s, pos), NAME_BYTES, name);
	if (n <= 0) {
		w->done = true;
		return 1;
	}
	s->cursor = pos + n;
	if (up == dentry || !up) {
		/* a filesystem root that is not mounted here: a pseudo file
		 * (pipe, socket, memfd) or a detached mount */
		w->flags |= FIELD_DETACHED;
		w->done = true;
		return 1;
	}
	w->dentry = up;
	return 0;
}

/* Walks dentry up to the root of the mount namespace, crossing mount
 * points, and stores the component names leaf first (user space reverses
 * and joins them). No bpf_d_path: tracepoints may not call it. The walk
 * runs under bpf_loop so the verifier checks one step, not every depth. */
static __noinline __u32 put_dentry_path(struct scratch *s, __u32 off, __u8 id, struct dentry *dentry,
					struct vfsmount *vfsmnt)
{
	if (!dentry || !vfsmnt)
		return off;
	if (off >= WRITE_LIMIT - 4 - NAME_BYTES) {
		mark_truncated(s);
		return off;
	}
	struct path_walk w = {
		.s = s,
		.dentry = dentry,
		.mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.start = off,
		.flags = FIELD_COMPONENTS,
	};
	s->cursor = off + 4;
	bpf_loop(PATH_DEPTH, path_step, &w, 0);
	if (!w.done)
		w.flags |= FIELD_TRUNCATED;
	__u32 end = s->cursor;
	if (end < off + 4 || end > WRITE_LIMIT)
		return off;
	put_field_hdr(s, off, id, end - off - 4, w.flags);
	return end;
}

static __always_inline __u32 put_file_path(struct scratch *s, __u32 off, __u8 id, struct file *f)
{
	if (!f)
		return off;
	struct path p = KREAD(file, f, f_path);
	return put_dentry_path(s, off, id, p.dentry, p.mnt);
}

/* The struct file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	if (fd < 0)
		return NULL;
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	if ((unsigned long)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline __u32 put_cwd(struct scratch *s, __u32 off, __u8 id)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	struct path p = {};
	bpf_core_read(&p, sizeof(p), &fs->pwd);
	return put_dentry_path(s, off, id, p.dentry, p.mnt);
}

/* A user path argument: the raw string, and when it is relative (or
 * empty, as with AT_EMPTY_PATH), the directory it is relative to (dirfd's
 * file, or the cwd), so user space can resolve it without trusting a
 * later look at the filesystem. ids packs the raw and base field ids. */
#define IDS(raw, base) ((raw) | ((base) << 8))

static __noinline __u32 put_path_arg(struct scratch *s, __u32 off, __u32 ids, const char *uptr, long dirfd)
{
	__u8 raw_id = ids & 0xff, base_id = ids >> 8;
	__u32 start = off;
	off = put_user_str(s, off, raw_id, uptr, 0);
	if (off == start)
		return off;
	char first = *buf_at(s, start + 4);
	if (first == '/')
		return off;
	if ((int)dirfd == AT_FDCWD)
		return put_cwd(s, off, base_id);
	return put_file_path(s, off, base_id, fd_file((int)dirfd));
}

/* argv as the kernel laid it out on the new stack: NUL-separated. */
static __noinline __u32 put_argv(struct scratch *s, __u32 off, struct mm_struct *mm)
{
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u8 flags = 0;
	if (end <= start)
		return off;
	if (off >= WRITE_LIMIT - 4) {
		mark_truncated(s);
		return off;
	}
	unsigned long len = end - start;
	if (len > ARGV_BYTES) {
		len = ARGV_BYTES;
		flags |= FIELD_TRUNCATED;
	}
	if (bpf_probe_read_user(buf_at(s, (off + 4)), len & ARGV_BYTES, (void *)start) < 0)
		return off;
	put_field_hdr(s, off, FIELD_ARGV, len, flags);
	return off + 4 + len;
}

static __always_inline bool env_matches(const __u64 *w, const struct env_filter *ef)
{
	for (int p = 0; p < ENV_PATTERNS; p++) {
		if (p >= ef->count)
			break;
		const struct env_pattern *pat = &ef->pat[p];
		if ((w[0] & pat->mask[0]) == pat->word[0] && (w[1] & pat->mask[1]) == pat->word[1] &&
		    (w[2] & pat->mask[2]) == pat->word[2] && (w[3] & pat->mask[3]) == pat->word[3])
			return true;
	}
	return false;
}

struct env_walk {
	struct scratch *s;
	struct env_filter *ef;
	unsigned long p, end;
	bool at_start;
};

/* One bpf_loop step of put_env: reads the next chunk of the environment
 * block and keeps it when it starts a variable that a pattern selects.
 * A bounded loop here makes the verifier walk every iteration's branches
 * separately; bpf_loop verifies the step once. */
static long env_step(__u32 i, struct env_walk *w)
{
	struct scratch *s = w->s;
	if (w->p >= w->end)
		return 1;
	__u32 cur = s->cursor;
	if (cur >= WRITE_LIMIT - 4 - ENV_CHUNK) {
		mark_truncated(s);
		return 1;
	}
	__u8 *at = buf_at(s, cur + 4);
	long n = bpf_probe_read_user_str(at, ENV_CHUNK, (void *)w->p);
	if (n <= 0)
		return 1;
	bool whole = n < ENV_CHUNK; /* the chunk holds the string's end */
	if (w->at_start) {
		__u64 word[4] = {};
		/* bytes after the NUL may be stale: the masks only look at the
		 * pattern's length, which includes its '=' */
		__builtin_memcpy(word, at, sizeof(word));
		if (env_matches(word, w->ef)) {
			put_field_hdr(s, cur, FIELD_ENV, n - 1, whole ? 0 : FIELD_TRUNCATED);
			s->cursor = cur + 4 + (n - 1);
		}
	}
	w->p += whole ? n : n - 1;
	w->at_start = whole;
	return 0;
}

/* The environment variables that match a user-space pattern, one field
 * each. Long values are cut at ENV_CHUNK - 1 bytes. */
static __noinline __u32 put_env(struct scratch *s, __u32 off, struct mm_struct *mm)
{
	__u32 zero = 0;
	struct env_filter *ef = bpf_map_lookup_elem(&env_filter_map, &zero);
	if (!ef || ef->count == 0)
		return off;
	struct env_walk w = {
		.s = s,
		.ef = ef,
		.p = BPF_CORE_READ(mm, env_start),
		.end = BPF_CORE_READ(mm, env_end),
		.at_start = true,
	};
	s->cursor = off;
	long steps = bpf_loop(ENV_STEPS, env_step, &w, 0);
	if (steps == ENV_STEPS && w.p < w.end)
		mark_truncated(s); /* an environment too large to scan whole */
	__u32 end_off = s->cursor;
	return end_off >= off && end_off < WRITE_LIMIT ? end_off : off;
}
