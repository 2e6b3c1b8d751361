package format

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// ManifestName is the manifest's file name inside a recording directory.
const ManifestName = "manifest.json"

// manifestFormat identifies a rewind manifest (and its layout version).
const manifestFormat = "rewind-recording/1"

// Manifest is the recording's manifest.json: what recorded it, with which
// settings, and every segment ever written, linked by a hash chain.
type Manifest struct {
	Format          string `json:"format"`
	SchemaVersion   int    `json:"schema_version"`
	RecorderVersion string `json:"recorder_version"`
	// CreatedNs is the wall-clock creation time, ns since the epoch.
	CreatedNs int64          `json:"created_ns"`
	Host      HostInfo       `json:"host"`
	Writer    WriterSettings `json:"writer"`
	// HeaderHash covers the fields above; it is the chain's anchor (the
	// first segment's PrevHash).
	HeaderHash string `json:"header_hash"`
	// Frozen is true while retention is suspended.
	Frozen bool `json:"frozen"`
	// FrozenBy says what froze it, when the recorder was told (a rule
	// that fired, a signal).
	FrozenBy string `json:"frozen_by,omitempty"`
	// Open names the segment being written, which is not yet listed in
	// Segments (it is added, sealed, on rotation).
	Open     string         `json:"open,omitempty"`
	Segments []SegmentEntry `json:"segments"`
}

// WriterSettings are the writer options recorded in the manifest.
type WriterSettings struct {
	SegmentMaxBytes int64 `json:"segment_max_bytes"`
	SegmentMaxAgeNs int64 `json:"segment_max_age_ns"`
	MaxTotalBytes   int64 `json:"max_total_bytes"`
	MaxAgeNs        int64 `json:"max_age_ns"`
	BatchRows       int   `json:"batch_rows"`
	BatchMaxAgeNs   int64 `json:"batch_max_age_ns"`
}

// SegmentEntry describes one sealed segment. Hash covers every field
// above PrevHash plus PrevHash itself; the pruning fields are not covered
// because retention sets them after the entry was sealed (Verify checks
// that pruning only ever removed the oldest segments).
type SegmentEntry struct {
	Seq           int               `json:"seq"`
	File          string            `json:"file"`
	SchemaVersion int               `json:"schema_version"`
	FirstTs       int64             `json:"first_ts"` // ns since epoch; 0 when the segment has no rows
	LastTs        int64             `json:"last_ts"`
	Rows          int64             `json:"rows"`
	RowsByKind    map[string]uint64 `json:"rows_by_kind"`
	Batches       int               `json:"batches"`
	KernelDrops   uint64            `json:"kernel_drops"`
	UserDrops     uint64            `json:"user_drops"`
	Size          int64             `json:"size"`
	Sha256        string            `json:"sha256"`
	OpenedNs      int64             `json:"opened_ns"` // wall clock
	ClosedNs      int64             `json:"closed_ns"`
	PrevHash      string            `json:"prev_hash"`
	Hash          string            `json:"hash"`

	Pruned       bool   `json:"pruned,omitempty"`
	PrunedReason string `json:"pruned_reason,omitempty"`
	PrunedNs     int64  `json:"pruned_ns,omitempty"`
}

// Drops is the number of events lost while the segment was written.
func (e *SegmentEntry) Drops() uint64 { return e.KernelDrops + e.UserDrops }

var segmentNameRE = regexp.MustCompile(`^seg-([0-9]{8})\.arrow$`)

// SegmentName is the file name of segment number seq.
func SegmentName(seq int) string { return fmt.Sprintf("seg-%08d.arrow", seq) }

// parseSegmentName returns the number of a segment file name.
func parseSegmentName(name string) (int, bool) {
	m := segmentNameRE.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// computeHeaderHash hashes the manifest's identity fields.
func (m *Manifest) computeHeaderHash() string {
	hdr := struct {
		Format          string         `json:"format"`
		SchemaVersion   int            `json:"schema_version"`
		RecorderVersion string         `json:"recorder_version"`
		CreatedNs       int64          `json:"created_ns"`
		Host            HostInfo       `json:"host"`
		Writer          WriterSettings `json:"writer"`
	}{m.Format, m.SchemaVersion, m.RecorderVersion, m.CreatedNs, m.Host, m.Writer}
	b, _ := json.Marshal(hdr) // plain data: cannot fail
	return sha256Hex(b)
}

// computeHash hashes the entry's sealed fields and its PrevHash.
func (e *SegmentEntry) computeHash() string {
	sealed := *e
	sealed.Hash, sealed.Pruned, sealed.PrunedReason, sealed.PrunedNs = "", false, "", 0
	b, _ := json.Marshal(sealed) // maps marshal with sorted keys: stable
	return sha256Hex(b)
}

// parseManifest decodes and checks a manifest; name is used in errors.
func parseManifest(name string, data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: invalid JSON at byte %d: %w", name, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: trailing data after the manifest", name)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%s: not a rewind manifest (format %q, want %q)", name, m.Format, manifestFormat)
	}
	if m.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%s: schema version %d is newer than this reader (%d); upgrade rewind", name, m.SchemaVersion, SchemaVersion)
	}
	if m.SchemaVersion < 1 {
		return nil, fmt.Errorf("%s: invalid schema version %d", name, m.SchemaVersion)
	}
	seen := map[string]bool{}
	for i, e := range m.Segments {
		if seq, ok := parseSegmentName(e.File); !ok || seq != e.Seq {
			return nil, fmt.Errorf("%s: segments[%d]: invalid segment file %q for seq %d", name, i, e.File, e.Seq)
		}
		if seen[e.File] {
			return nil, fmt.Errorf("%s: segments[%d]: %s is listed twice", name, i, e.File)
		}
		seen[e.File] = true
		if e.Rows < 0 || e.Size < 0 || e.Batches < 0 {
			return nil, fmt.Errorf("%s: segments[%d] (%s): negative count", name, i, e.File)
		}
	}
	if m.Open != "" {
		if _, ok := parseSegmentName(m.Open); !ok {
			return nil, fmt.Errorf("%s: invalid open segment name %q", name, m.Open)
		}
	}
	return &m, nil
}

// ReadManifest reads and checks dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return parseManifest(path, data)
}

// writeManifest replaces dir/manifest.json atomically: write a temporary
// file, fsync it, rename it over the old one, fsync the directory.
func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	data = append(data, '\n')
	tmp := filepath.Join(dir, ManifestName+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, ManifestName))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write manifest %s: %w", filepath.Join(dir, ManifestName), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
