// Package formattest generates synthetic recordings for tests and
// benchmarks: BusyHost produces the event mix of a busy server, so that
// format, queries and analyze benchmarks all measure the same workload.
// It is test support only; nothing in rewind's binaries imports it.
package formattest
