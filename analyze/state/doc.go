// Package state rebuilds, from a recording's keyframe rows and events, the
// process table as it was at each event's time: lineage, executable
// identity and hash, users and groups, containers, sessions and a bounded
// per-process fd table. It reads rows through Rows, a typed view of one
// record batch; it does not evaluate rules.
package state
