package bpf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// helperEnv names the scenario a re-executed test binary runs.
const helperEnv = "REWIND_BPF_HELPER"

// helperReport is what the workload helper tells the test about what it
// did, so the test knows the values to look for.
type helperReport struct {
	Pid           int    `json:"pid"`
	TempFile      string `json:"temp_file"`
	Renamed       string `json:"renamed"`
	Dir           string `json:"dir"`
	Script        string `json:"script"`
	ListenPort    int    `json:"listen_port"`
	ClientPort    int    `json:"client_port"`
	MemfdExe      string `json:"memfd_exe"`
	StormOpens    int    `json:"storm_opens"`
	Listen6Port   int    `json:"listen6_port"`
	UDPServerPort int    `json:"udp_server_port"`
	UDPClientPort int    `json:"udp_client_port"`
	UtsNsIno      uint64 `json:"uts_ns_ino"`
	AbstractName  string `json:"abstract_name"`
	UnixPath      string `json:"unix_path"`
	ClosedPort    int    `json:"closed_port"`
	TracedPid     int    `json:"traced_pid"`
	AnonAddr      uint64 `json:"anon_addr"`
	FileAddr      uint64 `json:"file_addr"`
	NsChildPid    int    `json:"ns_child_pid"`
	MountPoint    string `json:"mount_point"`
	CapEffective  uint64 `json:"cap_effective"`
	LongNames     string `json:"long_names"`
}

// runHelper runs a workload scenario in this (child) process and prints a
// helperReport as JSON on stdout. It returns the exit code.
func runHelper(scenario string) int {
	var rep helperReport
	rep.Pid = os.Getpid()
	var err error
	switch scenario {
	case "workload":
		err = workload(os.Getenv("REWIND_BPF_DIR"), &rep)
	case "load":
		// Load as whoever runs this helper; report the error text.
		tr, err := Load(Options{})
		if err == nil {
			tr.Close()
			fmt.Println("loaded")
			return 0
		}
		fmt.Println(err)
		if errors.Is(err, ErrNotRoot) {
			return 3
		}
		return 4
	case "storm":
		rep.StormOpens, err = storm(20000)
	case "execveat":
		// fexecve's way: execveat on an open file with an empty path
		err = execveatTrue()
	default:
		err = fmt.Errorf("unknown scenario %q", scenario)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	json.NewEncoder(os.Stdout).Encode(&rep)
	return 0
}

// workload does one of each thing the kernel side records. The order
// matters only for setuid, which comes last.
func workload(dir string, rep *helperReport) error {
	rep.Dir = dir
	// exec with argv and a selected environment variable
	cmd := exec.Command("/bin/true", "alpha", "beta")
	cmd.Env = []string{"LD_LIBRARY_PATH=/rewind-test-lib", "HOME=/nowhere"}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("run /bin/true: %w", err)
	}
	// a child in its own uts namespace (clone or clone3 with CLONE_NEWUTS)
	nsChild := exec.Command("/bin/true", "new-uts")
	nsChild.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS}
	if err := nsChild.Run(); err != nil {
		return fmt.Errorf("run a child in a new uts namespace: %w", err)
	}
	rep.NsChildPid = nsChild.Process.Pid
	// fork and an exit code
	if err := exec.Command("/bin/sh", "-c", "exit 7").Run(); err == nil {
		return fmt.Errorf("sh -c 'exit 7' succeeded")
	}
	// an argv longer than the kernel-side bound
	long := make([]string, 64)
	for i := range long {
		long[i] = strings.Repeat("x", 100)
	}
	if err := exec.Command("/bin/true", long...).Run(); err != nil {
		return fmt.Errorf("run /bin/true with a long argv: %w", err)
	}
	// anonymous executable memory, as a JIT or an in-memory loader makes
	mem, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	unix.Munmap(mem)
	if err := mprotectExec(rep); err != nil {
		return err
	}
	// an execveat (this binary again, which execs /bin/true that way)
	self := exec.Command("/proc/self/exe")
	self.Env = []string{helperEnv + "=execveat"}
	if out, err := self.CombinedOutput(); err != nil {
		return fmt.Errorf("execveat helper: %v: %s", err, out)
	}
	// a failed exec
	if err := exec.Command("/nonexistent/rewind-missing").Run(); err == nil {
		return fmt.Errorf("exec of a missing file succeeded")
	}
	// a #! script
	rep.Script = filepath.Join(dir, "script.sh")
	if err := os.WriteFile(rep.Script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return err
	}
	if err := exec.Command(rep.Script).Run(); err != nil {
		return fmt.Errorf("run script: %w", err)
	}
	// open, write-side file ops
	f, err := os.CreateTemp(dir, "open-*.txt")
	if err != nil {
		return err
	}
	rep.TempFile = f.Name()
	f.Close()
	if err := os.Chmod(rep.TempFile, 0o600); err != nil {
		return err
	}
	if err := os.Chown(rep.TempFile, 65534, -1); err != nil {
		return err
	}
	if err := os.Truncate(rep.TempFile, 10); err != nil {
		return err
	}
	// Names on both sides of the 40-byte store a dentry keeps short
	// names in (the kernel side copies those by words, others by a
	// helper), up to the longest name a filesystem allows.
	rep.LongNames = filepath.Join(dir, "n", strings.Repeat("a", 38), strings.Repeat("b", 39), strings.Repeat("c", 40), strings.Repeat("d", 41))
	if err := os.MkdirAll(rep.LongNames, 0o700); err != nil {
		return err
	}
	rep.LongNames = filepath.Join(rep.LongNames, strings.Repeat("e", 255))
	if err := os.WriteFile(rep.LongNames, nil, 0o600); err != nil {
		return err
	}
	rep.Renamed = rep.TempFile + ".renamed"
	if err := os.Rename(rep.TempFile, rep.Renamed); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, "sub")); err != nil {
		return err
	}
	// a relative path resolved against the cwd
	if err := os.Chdir(dir); err != nil {
		return err
	}
	if err := os.Symlink("target-text", "link"); err != nil {
		return err
	}
	if err := os.Remove("link"); err != nil {
		return err
	}
	// network
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	rep.ListenPort = l.Addr().(*net.TCPAddr).Port
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
		accepted <- err
	}()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		return err
	}
	rep.ClientPort = c.LocalAddr().(*net.TCPAddr).Port
	c.Close()
	if err := <-accepted; err != nil {
		return err
	}
	// a refused connect: the address comes from the caller's sockaddr
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rep.ClosedPort = closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	// a blocking connect, so that the kernel refuses it in the syscall
	sfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	err = unix.Connect(sfd, &unix.SockaddrInet4{Port: rep.ClosedPort, Addr: [4]byte{127, 0, 0, 1}})
	unix.Close(sfd)
	if err != unix.ECONNREFUSED {
		return fmt.Errorf("connect to closed port %d: %v, want ECONNREFUSED", rep.ClosedPort, err)
	}
	// ptrace a child, and write into memory through process_vm_writev
	if err := ptraceAndPoke(rep); err != nil {
		return err
	}
	// mount and unmount a tmpfs, create a BPF map, set capabilities
	if err := privilegedOps(rep); err != nil {
		return err
	}
	// a thread renames itself
	if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte("rewind-prctl\x00")[0])), 0, 0, 0); err != nil {
		return fmt.Errorf("prctl: %w", err)
	}
	// UDP with addresses: sendto and recvfrom
	if err := udpExchange(rep); err != nil {
		return err
	}
	// unix sockets: abstract and pathname
	rep.AbstractName = fmt.Sprintf("@rewind-test-%d", os.Getpid())
	rep.UnixPath = filepath.Join(dir, "sock")
	for _, name := range []string{rep.AbstractName, rep.UnixPath} {
		ul, err := net.Listen("unix", name)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", name, err)
		}
		uc, err := net.Dial("unix", name)
		if err != nil {
			ul.Close()
			return fmt.Errorf("dial %s: %w", name, err)
		}
		uc.Close()
		ul.Close()
	}
	// IPv6 loopback, where the host has it
	if l6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		rep.Listen6Port = l6.Addr().(*net.TCPAddr).Port
		if c6, err := net.Dial("tcp6", l6.Addr().String()); err == nil {
			c6.Close()
		}
		l6.Close()
	}
	// exec from a memfd
	if err := memfdExec(rep); err != nil {
		return err
	}
	// namespaces and signals: leave the uts namespace and come back
	if err := unshareAndReturn(rep); err != nil {
		return err
	}
	if err := syscall.Kill(os.Getpid(), 0); err != nil {
		return err
	}
	// privileges last: everything after runs as nobody
	if err := syscall.Setuid(65534); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return nil
}

func unshareAndReturn(rep *helperReport) error {
	runtime.LockOSThread() // namespaces belong to the thread
	defer runtime.UnlockOSThread()
	fd, err := unix.Open("/proc/thread-self/ns/uts", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	rep.UtsNsIno = st.Ino
	if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if err := unix.Setns(fd, unix.CLONE_NEWUTS); err != nil {
		return fmt.Errorf("setns: %w", err)
	}
	return nil
}

// mprotectExec makes an anonymous and a file-backed mapping executable.
func mprotectExec(rep *helperReport) error {
	anon, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return err
	}
	defer unix.Munmap(anon)
	rep.AnonAddr = uint64(uintptr(unsafe.Pointer(&anon[0])))
	if err := unix.Mprotect(anon, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		return fmt.Errorf("mprotect anonymous: %w", err)
	}
	f, err := os.Open("/bin/true")
	if err != nil {
		return err
	}
	defer f.Close()
	file, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return err
	}
	defer unix.Munmap(file)
	rep.FileAddr = uint64(uintptr(unsafe.Pointer(&file[0])))
	if err := unix.Mprotect(file, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		return fmt.Errorf("mprotect file-backed: %w", err)
	}
	return nil
}

func privilegedOps(rep *helperReport) error {
	rep.MountPoint = filepath.Join(rep.Dir, "mnt")
	if err := os.Mkdir(rep.MountPoint, 0o700); err != nil {
		return err
	}
	if err := unix.Mount("rewind-tmpfs", rep.MountPoint, "tmpfs", unix.MS_NOSUID, "size=1m"); err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	if err := unix.Unmount(rep.MountPoint, 0); err != nil {
		return fmt.Errorf("umount: %w", err)
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		return fmt.Errorf("create a BPF map: %w", err)
	}
	m.Close()
	// capset to the capabilities the process already has
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	rep.CapEffective = uint64(data[0].Effective) | uint64(data[1].Effective)<<32
	return nil
}

func ptraceAndPoke(rep *helperReport) error {
	child := exec.Command("/bin/sleep", "5")
	if err := child.Start(); err != nil {
		return err
	}
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	rep.TracedPid = child.Process.Pid
	runtime.LockOSThread() // ptrace requests belong to the tracing thread
	defer runtime.UnlockOSThread()
	if err := unix.PtraceAttach(rep.TracedPid); err != nil {
		return fmt.Errorf("ptrace attach: %w", err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(rep.TracedPid, &ws, 0, nil); err != nil {
		return fmt.Errorf("wait for the tracee: %w", err)
	}
	if err := unix.PtraceDetach(rep.TracedPid); err != nil {
		return fmt.Errorf("ptrace detach: %w", err)
	}
	src, dst := []byte("rewind"), make([]byte, 6)
	n, err := unix.ProcessVMWritev(os.Getpid(),
		[]unix.Iovec{{Base: &src[0], Len: uint64(len(src))}},
		[]unix.RemoteIovec{{Base: uintptr(unsafe.Pointer(&dst[0])), Len: len(dst)}}, 0)
	if err != nil || n != len(src) || string(dst) != "rewind" {
		return fmt.Errorf("process_vm_writev: %d, %v, %q", n, err, dst)
	}
	return nil
}

func udpExchange(rep *helperReport) error {
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer srv.Close()
	cli, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer cli.Close()
	rep.UDPServerPort = srv.LocalAddr().(*net.UDPAddr).Port
	rep.UDPClientPort = cli.LocalAddr().(*net.UDPAddr).Port
	if _, err := cli.WriteToUDP([]byte("ping"), srv.LocalAddr().(*net.UDPAddr)); err != nil {
		return err
	}
	buf := make([]byte, 16)
	if _, _, err := srv.ReadFromUDP(buf); err != nil {
		return err
	}
	return nil
}

func memfdExec(rep *helperReport) error {
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		return err
	}
	fd, err := unix.MemfdCreate("rewind-test", 0)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, bin); err != nil {
		return err
	}
	rep.MemfdExe = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd)
	if err := exec.Command(rep.MemfdExe, "from-memfd").Run(); err != nil {
		return fmt.Errorf("exec memfd: %w", err)
	}
	return nil
}

// storm opens /dev/null n times as fast as it can.
func storm(n int) (int, error) {
	for i := 0; i < n; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return i, err
		}
		unix.Close(fd)
	}
	return n, nil
}

// runWorkload re-executes the test binary as a helper for scenario and
// returns its report.
func runWorkload(scenario string, env ...string) (helperReport, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, helperEnv+"="+scenario)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return helperReport{}, fmt.Errorf("helper %s: %w: %s", scenario, err, stderr.String())
	}
	var rep helperReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return helperReport{}, fmt.Errorf("helper %s output %q: %w", scenario, out, err)
	}
	return rep, nil
}

// execveatTrue replaces this process with /bin/true by execveat on an
// open file and an empty path, as fexecve does. It returns only on error.
func execveatTrue() error {
	fd, err := unix.Open("/bin/true", unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	empty, err := unix.BytePtrFromString("")
	if err != nil {
		return err
	}
	argv, err := syscall.SlicePtrFromStrings([]string{"true", "rewind-execveat"})
	if err != nil {
		return err
	}
	argv = append(argv, nil)
	envv := []*byte{nil}
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
	return fmt.Errorf("execveat /bin/true: %w", errno)
}
