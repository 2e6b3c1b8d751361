package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// payloadPath is where container-init drops the new binary: a directory
// that exists only in the overlay's upper (writable) layer.
const payloadPath = "/drop/payload"

// runContainerInit is pid 1 of the sandbox built by container.sh, run
// chrooted into the overlay. It copies its own binary (from the lower,
// image layer) into the upper layer, marks it executable and runs it, the
// way a compromised container drops and starts a tool.
func runContainerInit(args []string) error {
	if err := wantArgs(args, 1, "container-init"); err != nil {
		return err
	}
	out := args[0]
	self := os.Args[0]
	selfInfo, err := statFile(self)
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "init.json"), map[string]any{
		"vpid": os.Getpid(), "vppid": os.Getppid(), "exe": selfInfo,
	}); err != nil {
		return err
	}
	if err := copyExecutable(self, payloadPath); err != nil {
		return err
	}
	payload := exec.Command(payloadPath, "report", filepath.Join(out, "payload.json"), filepath.Join(out, "release"))
	// The sandbox has no /dev: pass our own descriptors on.
	payload.Stdin, payload.Stdout, payload.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := payload.Run(); err != nil {
		return fmt.Errorf("run %s: %w", payloadPath, err)
	}
	return nil
}

func copyExecutable(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("drop payload: %w", err)
	}
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("drop payload: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("drop payload: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("drop payload: %w", err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("drop payload: %w", err)
	}
	// chmod as a separate step, like `chmod +x` after a download.
	if err := os.Chmod(to, 0o755); err != nil {
		return fmt.Errorf("drop payload: %w", err)
	}
	return nil
}

// runReport writes what the process knows about itself inside the
// sandbox (its pid there, its executable's identity), then stays alive
// until RELEASEFILE appears (at most 10 s) so that the host can map it to
// its host pid.
func runReport(args []string) error {
	if err := wantArgs(args, 2, "report"); err != nil {
		return err
	}
	exe, err := statFile(os.Args[0])
	if err != nil {
		return err
	}
	if err := writeJSON(args[0], map[string]any{
		"vpid": os.Getpid(), "vppid": os.Getppid(), "exe": exe,
	}); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(args[1]); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("release file %s never appeared", args[1])
}
