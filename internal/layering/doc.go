// Package layering holds no code: its test enforces the architecture of
// DESIGN.md — data flows bpf -> capture -> format, analyze and queries
// read format, bpf and format know nothing of each other, nothing
// imports cmd/, and the recorder binary links no cgo.
package layering
