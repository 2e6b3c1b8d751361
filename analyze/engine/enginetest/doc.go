// Package enginetest writes synthetic recordings of the sample scenarios
// (drop+chmod+exec, memfd exec, /dev/shm exec, shadow read, ptrace
// attach, symlink over /etc, benign) with format.Create, holding the rows
// the recorder would produce for them, so that rule tests run without
// root. Real recordings of the same scenarios live in samples/recordings.
package enginetest
