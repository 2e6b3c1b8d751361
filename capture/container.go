package capture

import (
	"strings"
)

// Container runtimes recognised from a cgroup path.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
	RuntimeSystemd    = "systemd" // a machined container (systemd-nspawn): machine.slice/machine-NAME.scope
	RuntimeLXC        = "lxc"
	RuntimeCRI        = "cri"     // kubepods with the cgroupfs driver: the runtime is not in the path
	RuntimeUnknown    = "unknown" // a bare 64-hex directory outside any known layout
)

// Container is what a cgroup path says about the container a process
// runs in. The zero value means the host.
type Container struct {
	ID      string
	Runtime string
}

// scopePrefixes map the prefix of a systemd scope unit created by a
// container runtime to that runtime. The conmon scopes of cri-o and podman
// are deliberately absent: conmon runs on the host, outside the container.
var scopePrefixes = []struct {
	prefix  string
	runtime string
}{
	{"docker-", RuntimeDocker},
	{"cri-containerd-", RuntimeContainerd},
	{"nerdctl-", RuntimeContainerd},
	{"crio-", RuntimeCRIO},
	{"libpod-", RuntimePodman},
}

// ContainerFromCgroup derives the container from a cgroup path (v2, or
// one line of a v1 hierarchy). Components are examined from the deepest
// up, so the innermost container wins for nested ones and cgroups that a
// container creates below its own (systemd inside a container) still map
// to it.
//
// systemd units are not containers: a plain service or session scope
// stays on the host (zero Container, the unit is visible in cgroup_path),
// because calling every unit a container would break rules that tell host
// processes from containerised ones. Only machine.slice/machine-NAME.scope,
// the units machined creates for systemd-nspawn containers, count; their id
// is the machine name.
func ContainerFromCgroup(path string) Container {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		part := parts[i]
		if part == "" {
			continue
		}
		var parent string
		if i > 0 {
			parent = parts[i-1]
		}
		if c, ok := containerFromComponent(part, parent, parts[:i]); ok {
			return c
		}
	}
	return Container{}
}

func containerFromComponent(part, parent string, ancestors []string) (Container, bool) {
	if unit, ok := strings.CutSuffix(part, ".scope"); ok {
		for _, sp := range scopePrefixes {
			if id, ok := strings.CutPrefix(unit, sp.prefix); ok && isContainerID(id) {
				return Container{ID: id, Runtime: sp.runtime}, true
			}
		}
		if name, ok := strings.CutPrefix(unit, "machine-"); ok && parent == "machine.slice" && name != "" {
			return Container{ID: unescapeSystemd(name), Runtime: RuntimeSystemd}, true
		}
		return Container{}, false
	}
	if name, ok := strings.CutPrefix(part, "lxc.payload."); ok && name != "" {
		return Container{ID: name, Runtime: RuntimeLXC}, true
	}
	if parent == "lxc" && part != "" && len(ancestors) == 1 {
		return Container{ID: part, Runtime: RuntimeLXC}, true
	}
	if !isContainerID(part) {
		return Container{}, false
	}
	switch {
	case parent == "docker":
		return Container{ID: part, Runtime: RuntimeDocker}, true
	case parent == "libpod_parent" || strings.HasPrefix(parent, "libpod-"):
		return Container{ID: part, Runtime: RuntimePodman}, true
	case underKubepods(ancestors):
		return Container{ID: part, Runtime: RuntimeCRI}, true
	default:
		return Container{ID: part, Runtime: RuntimeUnknown}, true
	}
}

func underKubepods(ancestors []string) bool {
	for _, a := range ancestors {
		if a == "kubepods" || strings.HasPrefix(a, "kubepods.") || strings.HasPrefix(a, "kubepods-") {
			return true
		}
	}
	return false
}

// isContainerID reports whether s looks like an OCI container id: 64
// lower-case hex digits.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// unescapeSystemd undoes systemd's unit-name escaping (\xNN), which turns
// a '-' in a machine name into \x2d. Malformed escapes are kept as is.
func unescapeSystemd(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, ok := hexByte(s[i+2], s[i+3]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
