package format

// This file fixes the API that the rest of rewind codes against. The
// bodies are filled in by the format implementation (writer.go, reader.go,
// manifest.go, verify.go); keep the signatures stable.

import (
	"errors"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

var errTODO = errors.New("format: not implemented yet")

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
	// MaxTotalBytes and MaxAge prune the oldest segments (ring mode);
	// 0 keeps everything. A frozen writer prunes nothing.
	MaxTotalBytes int64
	MaxAge        time.Duration
	// BatchRows and BatchMaxAge bound a record batch (defaults 16384 rows
	// and 1 s); a batch is the most a crash can lose.
	BatchRows   int
	BatchMaxAge time.Duration
	// Keyframe is called at the start of every segment and appends the
	// live process table (and user / group rows) through emit.
	Keyframe func(emit func(*Event) error) error
	Host     HostInfo
	// Now is the wall clock, replaceable in tests.
	Now func() time.Time
}

// Writer appends events to a recording directory. It is not safe for
// concurrent use: one goroutine owns it.
type Writer struct{}

// Create starts a new recording in opts.Dir (created 0700 if missing;
// refusing a directory that already holds a recording).
func Create(opts WriterOptions) (*Writer, error) { return nil, errTODO }

// Append adds one event; it may flush a batch or rotate the segment.
func (w *Writer) Append(ev *Event) error { return errTODO }

// Flush writes the pending batch (if any) to the current segment.
func (w *Writer) Flush() error { return errTODO }

// Rotate closes the current segment and starts the next one.
func (w *Writer) Rotate() error { return errTODO }

// SetFrozen stops (true) or resumes (false) retention pruning.
func (w *Writer) SetFrozen(frozen bool) {}

// Close flushes, finishes the segment and rewrites the manifest.
func (w *Writer) Close() error { return errTODO }

// Stats are the writer's running totals.
type Stats struct {
	Events       uint64
	EventsByKind map[Kind]uint64
	Bytes        int64 // bytes of closed and current segments on disk
	Segments     int
	Pruned       int
}

// Stats returns the running totals.
func (w *Writer) Stats() Stats { return Stats{} }

// Recording is an opened recording directory, read-only. It is safe for
// concurrent Scan calls.
type Recording struct {
	Dir      string
	Manifest *Manifest
	// Warnings name segments that were recovered (no footer), skipped
	// files, and similar conditions a user should be told about.
	Warnings []string
}

// Manifest is the recording's manifest.json.
type Manifest struct{}

// Open opens a recording directory: reads and checks the manifest, lists
// segments, and tolerates an unfinished last segment.
func Open(dir string) (*Recording, error) { return nil, errTODO }

// ScanOptions restrict a scan. Zero values mean unbounded.
type ScanOptions struct {
	Since, Until int64   // ns since epoch, inclusive / exclusive
	Kinds        KindSet // 0 means every kind
}

// Batch is one record batch of a segment, with typed column access.
// It is valid only during the Scan callback that received it.
type Batch struct {
	Segment string // segment file name
	Index   int    // batch index within the segment
	Record  arrow.RecordBatch
}

// Len is the number of rows.
func (b *Batch) Len() int { return int(b.Record.NumRows()) }

// Event decodes row i into ev (reusing its slices).
func (b *Batch) Event(i int, ev *Event) {}

// Scan calls fn for each batch in time order across segments, skipping
// segments outside [Since, Until) using the manifest. Rows inside a
// batch are not filtered; use opts.Match for that.
func (r *Recording) Scan(opts ScanOptions, fn func(*Batch) error) error { return errTODO }
