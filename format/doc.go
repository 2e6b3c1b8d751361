// Package format owns rewind's on-disk recording format: the versioned
// Arrow schema (defined once, in schema.go), the segment writer with zstd
// compression, rotation and retention, the manifest with its hash chain,
// and the reader that recovers unfinished segments and verifies a
// recording. It knows nothing of eBPF or of rules.
package format
