package capture

import (
	"strings"
	"testing"
)

const (
	idA = "3f4e8c2a9b7d6e5f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081"
	idB = "b1c2d3e4f5a69788776655443322110ffeeddccbbaa998877665544332211000"
)

func TestContainerFromCgroup(t *testing.T) {
	tests := []struct {
		name string
		path string
		want Container
	}{
		{"a host process in the root cgroup has no container", "/", Container{}},
		{"an empty path has no container", "", Container{}},
		{"a systemd service stays on the host", "/system.slice/sshd.service", Container{}},
		{"a login session scope stays on the host", "/user.slice/user-1000.slice/session-3.scope", Container{}},
		{"docker with the systemd driver is a docker scope", "/system.slice/docker-" + idA + ".scope", Container{idA, RuntimeDocker}},
		{"docker with the cgroupfs driver is a directory under /docker", "/docker/" + idA, Container{idA, RuntimeDocker}},
		{"a cgroup created inside a docker container maps to it", "/system.slice/docker-" + idA + ".scope/init.scope", Container{idA, RuntimeDocker}},
		{"docker in docker reports the innermost container", "/docker/" + idA + "/docker/" + idB, Container{idB, RuntimeDocker}},
		{"containerd under kubernetes with the systemd driver", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c6c4a1e_8f0b_4c9e_9d7e_2f5b7d1c3a11.slice/cri-containerd-" + idA + ".scope", Container{idA, RuntimeContainerd}},
		{"cri-o under kubernetes with the systemd driver", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/crio-" + idB + ".scope", Container{idB, RuntimeCRIO}},
		{"the cri-o conmon scope is a host process", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/crio-conmon-" + idB + ".scope", Container{}},
		{"kubernetes with the cgroupfs driver does not name the runtime", "/kubepods/besteffort/pod0c6c4a1e-8f0b-4c9e-9d7e-2f5b7d1c3a11/" + idA, Container{idA, RuntimeCRI}},
		{"kubernetes guaranteed pods sit right under kubepods", "/kubepods/pod0c6c4a1e-8f0b-4c9e-9d7e-2f5b7d1c3a11/" + idB, Container{idB, RuntimeCRI}},
		{"rootful podman is a libpod scope", "/machine.slice/libpod-" + idA + ".scope", Container{idA, RuntimePodman}},
		{"rootless podman lives under the user's manager", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + idB + ".scope", Container{idB, RuntimePodman}},
		{"systemd inside podman keeps the podman id", "/machine.slice/libpod-" + idA + ".scope/container/init.scope", Container{idA, RuntimePodman}},
		{"the podman conmon scope is a host process", "/machine.slice/libpod-conmon-" + idA + ".scope", Container{}},
		{"podman with the cgroupfs manager", "/libpod_parent/libpod-" + idA + "/" + idA, Container{idA, RuntimePodman}},
		{"nerdctl is containerd", "/system.slice/nerdctl-" + idB + ".scope", Container{idB, RuntimeContainerd}},
		{"a systemd-nspawn machine is named after the machine", `/machine.slice/machine-web\x2d01.scope/payload`, Container{"web-01", RuntimeSystemd}},
		{"a machine scope outside machine.slice is not a container", "/system.slice/machine-foo.scope", Container{}},
		{"an lxc container is named after its directory", "/lxc/web", Container{"web", RuntimeLXC}},
		{"an lxc 4 payload cgroup", "/lxc.payload.db/init.scope", Container{"db", RuntimeLXC}},
		{"a bare 64-hex directory is an unknown runtime", "/some/runtime/" + idA, Container{idA, RuntimeUnknown}},
		{"upper-case hex is not an id", "/docker/" + strings.ToUpper(idA), Container{}},
		{"a 63-digit id is not an id", "/docker/" + idA[:63], Container{}},
		{"a docker scope with a short id is not a container", "/system.slice/docker-abc.scope", Container{}},
		{"trailing slashes are ignored", "/docker/" + idA + "/", Container{idA, RuntimeDocker}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContainerFromCgroup(tt.path); got != tt.want {
				t.Errorf("ContainerFromCgroup(%q) = %+v, want %+v", tt.path, got, tt.want)
			}
		})
	}
}

func TestUnescapeSystemd(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain names pass through", "web", "web"},
		{"an escaped dash is restored", `web\x2d01`, "web-01"},
		{"upper-case hex digits are accepted", `a\x2Db`, "a-b"},
		{"a truncated escape is kept", `web\x2`, `web\x2`},
		{"a bad escape is kept", `web\xzz`, `web\xzz`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unescapeSystemd(tt.in); got != tt.want {
				t.Errorf("unescapeSystemd(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzContainerFromCgroup(f *testing.F) {
	for _, s := range []string{"/", "/docker/" + idA, "/system.slice/docker-" + idA + ".scope", `/machine.slice/machine-a\x2.scope`, "/lxc/x", "/kubepods/pod1/" + idB} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		c := ContainerFromCgroup(path)
		if c.ID == "" && c.Runtime != "" || c.ID != "" && c.Runtime == "" {
			t.Fatalf("ContainerFromCgroup(%q) = %+v: id and runtime must be set together", path, c)
		}
		if c.ID != "" && !strings.Contains(path, c.ID) && c.Runtime != RuntimeSystemd {
			t.Fatalf("ContainerFromCgroup(%q) = %+v: id not taken from the path", path, c)
		}
	})
}
