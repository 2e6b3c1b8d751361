// Command rewind-sample is the helper that the scenario scripts in
// samples/scenarios run for the steps a shell cannot do precisely (memfd
// exec, ptrace attach, a setuid before exec, a loopback connection, the
// inside of the container sandbox), and for the ground truth they record
// (stat(2) and sha256 of a file, start time and namespaces of a process).
// Every subcommand prints JSON on stdout or into the file it is given.
//
// It is a test fixture, built by the scripts with CGO_ENABLED=0 so that
// the binary is static and runs inside the sandbox without a libc.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// usages holds each subcommand's arguments; kept apart from subcommands
// so that the run functions can quote them without an init cycle.
var usages = map[string]string{
	"stat":           "PATH [UID GID]",
	"procinfo":       "PID",
	"memfd-exec":     "PAYLOAD TRUTH.json [ARG...]",
	"ptrace-attach":  "TRUTH.json",
	"setuid-exec":    "UID TRUTH.json PROG [ARG...]",
	"loopback":       "TRUTH.json",
	"container-init": "OUTDIR",
	"report":         "OUTFILE RELEASEFILE",
	"hold":           "SECONDS",
}

var subcommands = map[string]func(args []string) error{
	"stat":           runStat,
	"procinfo":       runProcInfo,
	"memfd-exec":     runMemfdExec,
	"ptrace-attach":  runPtraceAttach,
	"setuid-exec":    runSetuidExec,
	"loopback":       runLoopback,
	"container-init": runContainerInit,
	"report":         runReport,
	"hold":           runHold,
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	run, ok := subcommands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "rewind-sample: unknown subcommand %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "rewind-sample %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(subcommands))
	for n := range usages {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: rewind-sample SUBCOMMAND ...")
	for _, n := range names {
		fmt.Fprintln(os.Stderr, "  rewind-sample", n, usages[n])
	}
}

// wantArgs checks the argument count of a subcommand.
func wantArgs(args []string, min int, name string) error {
	if len(args) < min {
		return fmt.Errorf("usage: rewind-sample %s %s", name, usages[name])
	}
	return nil
}

// writeJSON writes v to path atomically (temp file + rename), or to
// stdout when path is "-".
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(data)
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	return nil
}
