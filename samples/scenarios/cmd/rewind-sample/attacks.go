package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// memfdName is the name given to memfd_create; the kernel shows the
// file as "memfd:<name>".
const memfdName = "rewind-sample"

// runMemfdExec copies PAYLOAD into an anonymous memfd file and executes
// it with execveat(fd, "", AT_EMPTY_PATH): the "fileless" pattern. The
// truth is written before the exec, since the process image is replaced.
func runMemfdExec(args []string) error {
	if err := wantArgs(args, 2, "memfd-exec"); err != nil {
		return err
	}
	payload, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("read payload: %w", err)
	}
	fd, err := unix.MemfdCreate(memfdName, unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	if _, err := unix.Write(fd, payload); err != nil {
		return fmt.Errorf("write memfd: %w", err)
	}
	sum := sha256.Sum256(payload)
	truth := map[string]any{
		"pid":        os.Getpid(),
		"ppid":       os.Getppid(),
		"memfd_name": "memfd:" + memfdName,
		"memfd_fd":   fd,
		"size":       len(payload),
		"sha256":     hex.EncodeToString(sum[:]),
	}
	if err := writeJSON(args[1], truth); err != nil {
		return err
	}
	argv := append([]string{memfdName}, args[2:]...)
	return execveatEmptyPath(fd, argv, os.Environ())
}

func execveatEmptyPath(fd int, argv, envv []string) error {
	empty, err := unix.BytePtrFromString("")
	if err != nil {
		return err
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envvp, err := syscall.SlicePtrFromStrings(envv)
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd),
		uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])),
		uintptr(unsafe.Pointer(&envvp[0])),
		unix.AT_EMPTY_PATH, 0)
	return fmt.Errorf("execveat memfd: %w", errno)
}

// runSetuidExec drops to UID with setuid(2) and executes PROG: the exec
// row that follows must carry the new uid.
func runSetuidExec(args []string) error {
	if err := wantArgs(args, 3, "setuid-exec"); err != nil {
		return err
	}
	uid, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("uid %q: %w", args[0], err)
	}
	truth := map[string]any{"pid": os.Getpid(), "ppid": os.Getppid(), "old_uid": os.Getuid(), "new_uid": uid}
	if err := writeJSON(args[1], truth); err != nil {
		return err
	}
	// syscall.Setuid changes every thread of the Go runtime (one setuid
	// call per thread), which is what a single-threaded C program gets
	// from one call.
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid %d: %w", uid, err)
	}
	return syscall.Exec(args[2], args[2:], os.Environ())
}

// runPtraceAttach starts a child that sleeps, attaches to it with
// PTRACE_ATTACH, waits for the stop, detaches and ends it.
func runPtraceAttach(args []string) error {
	if err := wantArgs(args, 1, "ptrace-attach"); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	target := exec.Command(self, "hold", "10")
	if err := target.Start(); err != nil {
		return fmt.Errorf("start target: %w", err)
	}
	defer func() {
		_ = target.Process.Kill()
		_ = target.Wait()
	}()
	pid := target.Process.Pid
	if err := waitExeced(pid, "hold"); err != nil {
		return err
	}

	// Every ptrace request must come from the thread that attached.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.PtraceAttach(pid); err != nil {
		return fmt.Errorf("ptrace attach %d: %w", pid, err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return fmt.Errorf("wait for tracee %d: %w", pid, err)
	}
	if !ws.Stopped() {
		return fmt.Errorf("tracee %d did not stop (status %#x)", pid, ws)
	}
	if err := unix.PtraceDetach(pid); err != nil {
		return fmt.Errorf("ptrace detach %d: %w", pid, err)
	}
	return writeJSON(args[0], map[string]any{
		"pid":        os.Getpid(),
		"ppid":       os.Getppid(),
		"target_pid": pid,
		"target_exe": self,
	})
}

// waitExeced waits until pid runs the given subcommand, so the attach
// hits the target program and not the Go runtime between fork and exec.
func waitExeced(pid int, sub string) error {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && strings.Contains(string(cmdline), "\x00"+sub+"\x00") {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("process %d never ran %q", pid, sub)
}

func runHold(args []string) error {
	if err := wantArgs(args, 1, "hold"); err != nil {
		return err
	}
	secs, err := strconv.ParseFloat(args[0], 64)
	if err != nil {
		return fmt.Errorf("seconds %q: %w", args[0], err)
	}
	time.Sleep(time.Duration(secs * float64(time.Second)))
	return nil
}

// runLoopback listens on 127.0.0.1, connects to itself with a blocking
// connect(2) (so the call returns 0, not EINPROGRESS), accepts, and
// exchanges one byte. Raw syscalls keep every call on one thread and in
// a known order.
func runLoopback(args []string) error {
	if err := wantArgs(args, 1, "loopback"); err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	loopback := [4]byte{127, 0, 0, 1}

	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: loopback}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(lfd, 1); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	lsa, err := unix.Getsockname(lfd)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	port := lsa.(*unix.SockaddrInet4).Port

	cfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(cfd)
	if err := unix.Connect(cfd, &unix.SockaddrInet4{Addr: loopback, Port: port}); err != nil {
		return fmt.Errorf("connect 127.0.0.1:%d: %w", port, err)
	}
	csa, err := unix.Getsockname(cfd)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	clientPort := csa.(*unix.SockaddrInet4).Port

	afd, peer, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer unix.Close(afd)
	if _, err := unix.Write(cfd, []byte{'x'}); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	buf := make([]byte, 1)
	if _, err := unix.Read(afd, buf); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return writeJSON(args[0], map[string]any{
		"pid":         os.Getpid(),
		"ppid":        os.Getppid(),
		"addr":        "127.0.0.1",
		"port":        port,
		"client_port": clientPort,
		"listen_fd":   lfd,
		"client_fd":   cfd,
		"accepted_fd": afd,
		"peer_port":   peer.(*unix.SockaddrInet4).Port,
	})
}
