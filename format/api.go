package format

// This file holds the types of the API that the rest of rewind codes
// against; the implementation is in writer.go, reader.go, batch.go,
// manifest.go and verify.go. Keep these stable.

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// HostInfo describes the recording host, stored in the manifest.
type HostInfo struct {
	Hostname        string            `json:"hostname"`
	BootID          string            `json:"boot_id"`
	KernelRelease   string            `json:"kernel_release"`
	RecorderVersion string            `json:"recorder_version"`
	BootTimeNs      int64             `json:"boot_time_ns"` // epoch ns of boot: ts = boot clock + this
	NumCPU          int               `json:"num_cpu"`
	Config          map[string]string `json:"config,omitempty"`
}

// WriterOptions configure a recording. Zero values pick the defaults.
type WriterOptions struct {
	Dir string
	// SegmentMaxBytes and SegmentMaxAge rotate to a new segment (defaults
	// 64 MiB and 10 min).
	SegmentMaxBytes int64
	SegmentMaxAge   time.Duration
	// MaxTotalBytes and MaxAge prune the oldest sealed segments (ring
	// mode) at each rotation: while the sealed total exceeds
	// MaxTotalBytes, or while the oldest was closed more than MaxAge ago.
	// 0 keeps everything. A frozen writer prunes nothing.
	MaxTotalBytes int64
	MaxAge        time.Duration
	// BatchRows and BatchMaxAge bound a record batch (defaults 16384 rows
	// and 1 s); a batch is the most a crash can lose. The age is the span
	// of the batch's event times (plus a wall-clock check every 1024
	// rows), so a batch is written when the next event shows it is due.
	BatchRows   int
	BatchMaxAge time.Duration
	// Keyframe is called at the start of every segment and appends the
	// live process table (and user / group rows) through emit.
	Keyframe func(emit func(*Event) error) error
	// OnBatch, when set, is called with every record batch once it is
	// written, on the writer's goroutine; b is valid only during the
	// call (its buffers are reused for the next batch). A recorder uses
	// it to test rules on what it records (see Writer.Freeze).
	OnBatch func(b *Batch)
	Host    HostInfo
	// Now is the wall clock, replaceable in tests.
	Now func() time.Time
}

// Stats are the writer's running totals.
type Stats struct {
	Events       uint64
	EventsByKind map[Kind]uint64
	Bytes        int64 // bytes of unpruned segments on disk, the current one included
	Segments     int   // segments started, the current one included
	Pruned       int   // segments removed by retention
}

// Recording is an opened recording directory, read-only. It is safe for
// concurrent Scan calls.
type Recording struct {
	Dir      string
	Manifest *Manifest
	// Warnings name segments that were recovered (no footer), skipped
	// files, and similar conditions a user should be told about.
	Warnings []string
	// Progress, when not nil, is told how far each Scan has got after
	// every record batch it reads or skips (after every segment when it
	// reads whole batches). Concurrent scans call it concurrently.
	Progress func(ScanProgress)

	segments []segmentRef // readable segments in order
}

// ScanProgress is how far one Scan has read: the bytes of the segment
// files it reads, through the end of the last batch, out of their total
// size when the recording was opened.
type ScanProgress struct {
	Segment     string // the segment being read
	Done, Total int64
}

// ScanOptions restrict a scan. Zero values mean unbounded.
type ScanOptions struct {
	Since, Until int64   // ns since epoch, inclusive / exclusive
	Kinds        KindSet // 0 means every kind
	Pids         []int32 // nil means every process
	// Columns, when not nil, loads only these columns (ts and kind are
	// always loaded, pid too when Pids is set): a scan that reads a few
	// columns then skips decompressing the others. Batch accessors of
	// columns not loaded return nil or null; Event leaves their fields
	// zero. A column newer than a segment's schema version reads as null.
	Columns []ColumnID
	// Batch, when not nil, picks the record batches to read by segment
	// file name and index (Batch.Segment, Batch.Index): fn is not called
	// for a batch it returns false for, and a projected scan skips that
	// batch without decompressing it.
	Batch func(segment string, index int) bool
}

// Batch is one record batch of a segment, with typed column access.
// It is valid only during the Scan callback that received it.
type Batch struct {
	Segment string // segment file name
	Index   int    // batch index within the segment
	Record  arrow.RecordBatch

	cols      [NumColumns]arrow.Array
	kindIdx   []int32 // raw indices of the kind column
	kindByIdx []Kind  // kind column dictionary entry -> Kind
	ts        []arrow.Timestamp
}
