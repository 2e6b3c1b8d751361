package fields

import (
	"strconv"
	"time"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/format"
)

// Open flags that the evt.is_open_* fields read.
const (
	oAccMode = 0o3
	oWronly  = 0o1
	oRdwr    = 0o2
	oCreat   = 0o100
	oTmpfile = 0o20000000
)

func evtFields() []*Field {
	return []*Field{
		uintF("evt.num", kAny, "Ordinal of the event in this replay, counting from 1 (0 never matches, which the upstream never_true macro relies on).",
			func(e *Event) (uint64, bool) { return e.Num, true }),
		strF("evt.type", kAny, "Name of the system call or kernel event that produced the row (execve, openat, connect, ...).", evtType),
		strF("syscall.type", kAny, "Same as evt.type: every recorded event comes from a system call or a scheduler tracepoint.", evtType),
		strF("evt.dir", kAny, "Event direction; always '<' because recordings hold the exit side of each call only.",
			func(e *Event) (string, bool) { return "<", true }),
		strF("evt.source", kAny, "Event source name; always syscall.",
			func(e *Event) (string, bool) { return "syscall", true }),
		strF("evt.hostname", kAny, "Host name of the machine that made the recording, from its manifest.",
			func(e *Event) (string, bool) { return e.Hostname, e.Hostname != "" }),
		intF("evt.cpu", kAny, "CPU number the event was recorded on.",
			func(e *Event) (int64, bool) { return e.i64(format.ColCPU) }),
		absF("evt.rawtime", kAny, "Event time as ns since the Unix epoch.",
			func(e *Event) (int64, bool) { return e.i64(format.ColTs) }),
		absF("evt.rawtime.s", kAny, "Whole seconds of the event time since the epoch.",
			func(e *Event) (int64, bool) { v, ok := e.i64(format.ColTs); return v / 1e9, ok }),
		absF("evt.rawtime.ns", kAny, "Nanosecond part of the event time.",
			func(e *Event) (int64, bool) { v, ok := e.i64(format.ColTs); return v % 1e9, ok }),
		strF("evt.time", kAny, "Event time of day in UTC with nanoseconds (15:04:05.000000000).",
			func(e *Event) (string, bool) { return timeText(e, "15:04:05.000000000") }),
		strF("evt.time.s", kAny, "Event time of day in UTC, whole seconds.",
			func(e *Event) (string, bool) { return timeText(e, "15:04:05") }),
		strF("evt.time.iso8601", kAny, "Event time in ISO 8601 with nanoseconds, UTC.",
			func(e *Event) (string, bool) { return timeText(e, "2006-01-02T15:04:05.000000000Z") }),
		strF("evt.datetime", kAny, "Event date and time in UTC with nanoseconds.",
			func(e *Event) (string, bool) { return timeText(e, "2006-01-02 15:04:05.000000000") }),
		strF("evt.datetime.s", kAny, "Event date and time in UTC, whole seconds.",
			func(e *Event) (string, bool) { return timeText(e, "2006-01-02 15:04:05") }),
		strF("evt.res", kAny, "Outcome of the call: SUCCESS, or the errno name (ENOENT, EINPROGRESS, ...) when it returned an error.",
			func(e *Event) (string, bool) {
				r, ok := e.i64(format.ColRet)
				if !ok {
					return "", false
				}
				return resText(r), true
			}),
		intF("evt.rawres", kAny, "Return value of the call as a number (a negative errno on failure).",
			func(e *Event) (int64, bool) { return e.i64(format.ColRet) }),
		boolF("evt.failed", kAny, "True when the call returned an error.",
			func(e *Event) (bool, bool) { r, ok := e.i64(format.ColRet); return r < 0, ok }),
		boolF("evt.is_truncated", kAny, "True when the kernel cut one of the event's strings or lists (argv, env, a path) to its bound, so the recorded value is a prefix; unknown in recordings older than schema version 2.",
			func(e *Event) (bool, bool) { return e.Rows.Bool(format.ColTruncated, e.Row) }),
		uintF("evt.count", kAny, "Always 1; lets a condition or aggregation count events.",
			func(e *Event) (uint64, bool) { return 1, true }),
		boolF("evt.is_open_read", kAny, "True for an open-family call that asked for read access; false for any other event.",
			func(e *Event) (bool, bool) {
				f, ok := openFlags(e)
				return ok && (f&oAccMode == 0 || f&oAccMode == oRdwr), true
			}),
		boolF("evt.is_open_write", kAny, "True for an open-family call that asked for write access; false for any other event.",
			func(e *Event) (bool, bool) {
				f, ok := openFlags(e)
				return ok && (f&oAccMode == oWronly || f&oAccMode == oRdwr), true
			}),
		boolF("evt.is_open_create", kAny, "True for an open-family call that may create the file (O_CREAT or O_TMPFILE).",
			func(e *Event) (bool, bool) {
				f, ok := openFlags(e)
				return ok && f&(oCreat|oTmpfile) != 0, true
			}),
		boolF("evt.is_open_exec", kAny, "True for an open-family call that creates a file with an execute permission bit in its mode.",
			func(e *Event) (bool, bool) {
				f, ok := openFlags(e)
				if !ok || f&(oCreat|oTmpfile) == 0 {
					return false, true
				}
				m, _ := e.u64(format.ColMode)
				return m&0o111 != 0, true
			}),
		strF("evt.args", kAny, "Every recorded argument of the event as name=value pairs, rendered as evt.arg.* renders each.",
			func(e *Event) (string, bool) { return allArgs(e), true }),
		{Name: "evt.arg", Type: cond.TypeString, Arg: ArgNameRequired, ArgHint: "NAME",
			Desc:  "One argument of the event by name (evt.arg.flags) or position (evt.arg[0]), rendered as text: flags as names joined by |, modes in octal, paths as recorded.",
			Kinds: kAny, build: buildArg},
		{Name: "evt.rawarg", Type: cond.TypeInt64, Arg: ArgNameRequired, ArgHint: "NAME", NoRHS: true, NoTransformer: true,
			Desc:  "One argument of the event by name as its raw number (flags, modes, ids, fds); for numeric comparisons.",
			Kinds: kAny, build: buildRawArg},
		unavailable("evt.buffer", cond.TypeBytes, reasonBuffers, "Data buffer of a read or write call."),
		unavailable("evt.buflen", cond.TypeUint64, reasonBuffers, "Length of the data buffer of a read or write call."),
		unavailable("evt.latency", cond.TypeRelTime, reasonEnter, "Time between the enter and exit of the call."),
		unavailable("evt.wait_latency", cond.TypeRelTime, reasonEnter, "Time a waiting call spent blocked."),
		unavailable("evt.deltatime", cond.TypeRelTime, "the time since the previous event depends on which rows a scan reads, so it is not offered", "Time since the previous event."),
	}
}

func evtType(e *Event) (string, bool) {
	if e.typeSet {
		return e.typ, true
	}
	return e.str(format.ColSyscall)
}

func timeText(e *Event, layout string) (string, bool) {
	ts, ok := e.i64(format.ColTs)
	if !ok {
		return "", false
	}
	return time.Unix(0, ts).UTC().Format(layout), true
}

// openFlags returns the open flags when the event is an open-family call.
func openFlags(e *Event) (uint64, bool) {
	if e.Kind != format.KindOpen {
		return 0, false
	}
	return e.u64(format.ColFlags)
}

// resText renders a return value the way Falco's evt.res does.
func resText(r int64) string {
	if r >= 0 {
		return "SUCCESS"
	}
	if name, ok := errnoNames[-r]; ok {
		return name
	}
	return "E" + strconv.FormatInt(-r, 10)
}
