package fields

import (
	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/format"
)

// unsetLoginUID is the audit login uid of a process no login session set.
const unsetLoginUID = 4294967295

func userName(e *Event, uid uint64) (string, bool) {
	if e.Table != nil {
		if u, ok := e.Table.User(uint32(uid)); ok && u.Name != "" {
			return u.Name, true
		}
	}
	if uid == 0 {
		return "root", true // uid 0 is root on every Linux system
	}
	return "", false
}

func userFields() []*Field {
	account := func(get func(state.User) string) func(*Event) (string, bool) {
		return func(e *Event) (string, bool) {
			uid, ok := e.u64(format.ColUID)
			if !ok || e.Table == nil {
				return "", false
			}
			u, ok := e.Table.User(uint32(uid))
			return get(u), ok && get(u) != ""
		}
	}
	return []*Field{
		uintF("user.uid", kAny, "Real user id of the process at the event.", func(e *Event) (uint64, bool) { return e.u64(format.ColUID) }),
		strF("user.name", kAny, "Name of the real user, from the recording's user rows (root for uid 0 when none).",
			func(e *Event) (string, bool) {
				uid, ok := e.u64(format.ColUID)
				if !ok {
					return "", false
				}
				return userName(e, uid)
			}),
		strF("user.homedir", kAny, "Home directory of the real user.", account(func(u state.User) string { return u.Home })),
		strF("user.shell", kAny, "Login shell of the real user.", account(func(u state.User) string { return u.Shell })),
		intF("user.loginuid", kAny, "Audit login uid: the user who logged in, kept across su and sudo; -1 when no login set it.",
			func(e *Event) (int64, bool) {
				v, ok := e.u64(format.ColLoginUID)
				if v == unsetLoginUID {
					return -1, ok
				}
				return int64(v), ok
			}),
		strF("user.loginname", kAny, "Name of the audit login user.",
			func(e *Event) (string, bool) {
				v, ok := e.u64(format.ColLoginUID)
				if !ok || v == unsetLoginUID {
					return "", false
				}
				return userName(e, v)
			}),
		ours(uintF("user.euid", kAny, "Effective user id at the event.", func(e *Event) (uint64, bool) { return e.u64(format.ColEUID) })),
		uintF("group.gid", kAny, "Real group id of the process at the event.", func(e *Event) (uint64, bool) { return e.u64(format.ColGID) }),
		strF("group.name", kAny, "Name of the real group, from the recording's group rows (root for gid 0 when none).",
			func(e *Event) (string, bool) {
				gid, ok := e.u64(format.ColGID)
				if !ok {
					return "", false
				}
				if e.Table != nil {
					if g, ok := e.Table.Group(uint32(gid)); ok && g != "" {
						return g, true
					}
				}
				return "root", gid == 0
			}),
	}
}

// shortIDLen is how much of a container id container.id shows, as Falco.
const shortIDLen = 12

func containerFields() []*Field {
	return []*Field{
		strF("container.id", kAny, "Container id from the process's cgroup path, cut to 12 characters; the word host for processes outside containers.",
			func(e *Event) (string, bool) {
				id, ok := e.str(format.ColContainerID)
				if !ok || id == "" {
					return "host", true
				}
				if len(id) > shortIDLen {
					id = id[:shortIDLen]
				}
				return id, true
			}),
		strF("container.full_id", kAny, "Full container id from the cgroup path; host outside containers.",
			func(e *Event) (string, bool) {
				id, ok := e.str(format.ColContainerID)
				if !ok || id == "" {
					return "host", true
				}
				return id, true
			}),
		strF("container.type", kAny, "Container runtime recognised from the cgroup path (docker, containerd, cri-o, podman, ...).",
			procStr(func(p *state.Process) (string, bool) {
				return p.ContainerRuntime, p.ContainerID != "" && p.ContainerRuntime != ""
			})),
		absF("container.start_ts", kAny, "Start of the container, taken as the start time of the init process of the process's pid namespace (ns since the epoch).",
			procInt(func(p *state.Process) (int64, bool) { return nonZero(p.PidnsInitStartTs) })),
		relF("container.duration", kAny, "Time since container.start_ts, at the event.",
			func(e *Event) (int64, bool) {
				p := e.Process()
				if p == nil || p.PidnsInitStartTs == 0 {
					return 0, false
				}
				return e.Ts() - p.PidnsInitStartTs, true
			}),
	}
}

func unavailableFields() []*Field {
	c := func(name string, typ cond.FieldType, desc string) *Field {
		return unavailable(name, typ, reasonContainerMeta, desc)
	}
	k := func(name, desc string) *Field { return unavailable(name, cond.TypeString, reasonK8s, desc) }
	withArg := func(f *Field, hint string) *Field {
		f.Arg, f.ArgHint = ArgIndexRequired, hint
		return f
	}
	return []*Field{
		c("container.name", cond.TypeString, "Container name given by the runtime."),
		c("container.image", cond.TypeString, "Image the container runs, with its tag."),
		c("container.image.repository", cond.TypeString, "Repository part of the container image name."),
		c("container.image.tag", cond.TypeString, "Tag of the container image."),
		c("container.image.id", cond.TypeString, "Image id of the container."),
		c("container.image.digest", cond.TypeString, "Registry digest of the container image."),
		c("container.privileged", cond.TypeBool, "The container runs privileged."),
		c("container.mounts", cond.TypeString, "Mounts of the container."),
		withArg(c("container.mount", cond.TypeString, "One mount of the container, by index or source."), "KEY"),
		withArg(c("container.mount.source", cond.TypeString, "Source of one container mount."), "KEY"),
		withArg(c("container.mount.dest", cond.TypeString, "Destination of one container mount."), "KEY"),
		withArg(c("container.mount.mode", cond.TypeString, "Mode of one container mount."), "KEY"),
		withArg(c("container.mount.rdwr", cond.TypeString, "Read-write flag of one container mount."), "KEY"),
		withArg(c("container.mount.propagation", cond.TypeString, "Propagation of one container mount."), "KEY"),
		c("container.ip", cond.TypeString, "Primary IP address of the container."),
		c("container.cni.json", cond.TypeString, "CNI result of the container's pod."),
		c("container.host_pid", cond.TypeBool, "The container shares the host pid namespace."),
		c("container.host_network", cond.TypeBool, "The container shares the host network namespace."),
		c("container.host_ipc", cond.TypeBool, "The container shares the host IPC namespace."),
		withArg(c("container.label", cond.TypeString, "One label of the container."), "NAME"),
		c("container.labels", cond.TypeString, "All labels of the container."),
		k("k8s.ns.name", "Kubernetes namespace of the pod."),
		k("k8s.pod.name", "Kubernetes pod name."),
		k("k8s.pod.id", "Kubernetes pod id (legacy alias of the uid)."),
		k("k8s.pod.uid", "Kubernetes pod uid."),
		k("k8s.pod.sandbox_id", "Pod sandbox id, short form."),
		k("k8s.pod.full_sandbox_id", "Pod sandbox id, full form."),
		withArg(k("k8s.pod.label", "One label of the pod."), "NAME"),
		k("k8s.pod.labels", "All labels of the pod."),
		k("k8s.pod.ip", "IP address of the pod."),
		k("k8s.pod.cni.json", "CNI result of the pod."),
	}
}
