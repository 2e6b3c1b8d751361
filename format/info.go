package format

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Info summarises a recording for `rewind-replay info`.
type Info struct {
	Dir             string            `json:"dir"`
	Host            HostInfo          `json:"host"`
	SchemaVersion   int               `json:"schema_version"`
	RecorderVersion string            `json:"recorder_version"`
	Created         time.Time         `json:"created"`
	FirstTs         int64             `json:"first_ts"` // ns since epoch, 0 without rows
	LastTs          int64             `json:"last_ts"`
	Span            time.Duration     `json:"span_ns"`
	Segments        int               `json:"segments"` // readable segments
	Pruned          int               `json:"pruned"`
	Unsealed        int               `json:"unsealed"` // read from disk, not yet in the manifest
	Events          uint64            `json:"events"`
	EventsByKind    map[string]uint64 `json:"events_by_kind"`
	KernelDrops     uint64            `json:"kernel_drops"`
	UserDrops       uint64            `json:"user_drops"`
	Bytes           int64             `json:"bytes"` // segments and manifest on disk
	BytesPerEvent   float64           `json:"bytes_per_event"`
	Frozen          bool              `json:"frozen"`
	FrozenBy        string            `json:"frozen_by,omitempty"`
	HeadHash        string            `json:"head_hash"`
	Warnings        []string          `json:"warnings"`
}

// Info computes the summary: from the manifest for sealed segments, and
// by reading the segments the manifest does not list yet.
func (r *Recording) Info() (*Info, error) {
	m := r.Manifest
	if m == nil {
		m = &Manifest{}
	}
	in := &Info{
		Dir:             r.Dir,
		Host:            m.Host,
		SchemaVersion:   m.SchemaVersion,
		RecorderVersion: m.RecorderVersion,
		EventsByKind:    map[string]uint64{},
		Frozen:          m.Frozen,
		FrozenBy:        m.FrozenBy,
		HeadHash:        m.HeaderHash,
		Warnings:        append([]string{}, r.Warnings...),
	}
	if m.CreatedNs != 0 {
		in.Created = time.Unix(0, m.CreatedNs).UTC()
	}
	span := func(first, last int64) {
		if in.FirstTs == 0 || first < in.FirstTs {
			in.FirstTs = first
		}
		if last > in.LastTs {
			in.LastTs = last
		}
	}
	for _, e := range m.Segments {
		in.HeadHash = e.Hash
		if e.Pruned {
			in.Pruned++
		}
	}
	if st, err := os.Stat(filepath.Join(r.Dir, ManifestName)); err == nil && r.Manifest != nil {
		in.Bytes += st.Size()
	}
	for _, seg := range r.segments {
		st, err := os.Stat(seg.path)
		if err != nil {
			return nil, fmt.Errorf("info: %w", err)
		}
		in.Bytes += st.Size()
		in.Segments++
		if e := seg.entry; e != nil {
			in.Events += uint64(e.Rows)
			for k, n := range e.RowsByKind {
				in.EventsByKind[k] += n
			}
			in.KernelDrops += e.KernelDrops
			in.UserDrops += e.UserDrops
			if e.Rows > 0 {
				span(e.FirstTs, e.LastTs)
			}
			continue
		}
		in.Unsealed++
		err = scanProjected(seg.path, nil, func(b *Batch) error { // ts and kind only
			for i := 0; i < b.Len(); i++ {
				in.Events++
				in.EventsByKind[b.Kind(i).String()]++
				span(b.Ts(i), b.Ts(i))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if in.FirstTs != 0 {
		in.Span = time.Duration(in.LastTs - in.FirstTs)
	}
	if in.Events > 0 {
		in.BytesPerEvent = float64(in.Bytes) / float64(in.Events)
	}
	return in, nil
}

// Start is the time of the recording's first row (ns since epoch), used
// to resolve relative times such as "+5s"; 0 when it has none.
func (r *Recording) Start() (int64, error) {
	var first int64
	for _, seg := range r.segments {
		if e := seg.entry; e != nil {
			if e.Rows > 0 && (first == 0 || e.FirstTs < first) {
				first = e.FirstTs
			}
			continue
		}
		if first != 0 {
			break // later unsealed segments cannot start earlier in practice
		}
		err := scanProjected(seg.path, nil, func(b *Batch) error { // ts and kind only
			for i := 0; i < b.Len(); i++ {
				if ts := b.Ts(i); first == 0 || ts < first {
					first = ts
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return first, nil
}

// ParseTimeBound parses a --since/--until argument: an RFC 3339 time, or
// a duration relative to the recording start such as "+5s" or "+1m30s".
// It returns ns since the epoch.
func ParseTimeBound(s string, start int64) (int64, error) {
	if rel, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rel)
		if err != nil {
			return 0, fmt.Errorf("time %q: %w", s, err)
		}
		if d < 0 {
			return 0, fmt.Errorf("time %q: negative offset", s)
		}
		return start + int64(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("time %q: want RFC 3339 (2026-01-02T15:04:05Z) or an offset from the recording start (+5s)", s)
	}
	return t.UnixNano(), nil
}
