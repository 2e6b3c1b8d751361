package format

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// VerifyGap is the silence between two consecutive segments above which
// Verify reports a time gap. The recorder writes a heartbeat every
// second, so a longer silence means it was not running.
const VerifyGap = 5 * time.Second

// Finding kinds. Problems mean the recording was altered; notes do not.
const (
	FindManifest   = "manifest"    // manifest missing or unreadable
	FindHeader     = "header"      // manifest header fields edited
	FindEntry      = "entry"       // a segment entry's fields edited
	FindChain      = "hash_chain"  // entries removed, inserted or reordered
	FindNumbering  = "numbering"   // segment numbers not consecutive
	FindMissing    = "missing"     // sealed segment file deleted
	FindReplaced   = "replaced"    // segment content differs from its sha256
	FindReordered  = "reordered"   // segment holds another segment's content
	FindExtra      = "extra"       // segment file the manifest does not know
	FindBadPruning = "bad_pruning" // pruning that retention cannot have done

	NotePruned   = "pruned"   // removed by retention, as recorded
	NoteUnsealed = "unsealed" // the open segment (in progress or interrupted)
	NoteGap      = "gap"      // time gap between segments
	NoteLeftover = "leftover" // pruned segment whose file is still there
)

// Finding is one result of Verify.
type Finding struct {
	Kind    string `json:"kind"`
	Segment string `json:"segment,omitempty"`
	Detail  string `json:"detail"`
}

func (f Finding) String() string {
	if f.Segment == "" {
		return fmt.Sprintf("%s: %s", f.Kind, f.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", f.Segment, f.Kind, f.Detail)
}

// SegmentStatus is Verify's verdict on one segment.
type SegmentStatus struct {
	File   string `json:"file"`
	Status string `json:"status"` // ok, pruned, missing, replaced, reordered, extra, unsealed
	Size   int64  `json:"size"`   // on disk; -1 when absent
	Sha256 string `json:"sha256,omitempty"`
}

// VerifyReport is the result of Verify. Intact is true when no problem
// was found; notes (pruning, gaps, the unsealed open segment) do not
// count against it.
type VerifyReport struct {
	Dir      string          `json:"dir"`
	Intact   bool            `json:"intact"`
	HeadHash string          `json:"head_hash,omitempty"` // last entry's hash: record it elsewhere to anchor the chain
	Segments []SegmentStatus `json:"segments"`
	Problems []Finding       `json:"problems"`
	Notes    []Finding       `json:"notes"`
}

func (r *VerifyReport) problem(kind, seg, format string, args ...any) {
	r.Problems = append(r.Problems, Finding{kind, seg, fmt.Sprintf(format, args...)})
}

func (r *VerifyReport) note(kind, seg, format string, args ...any) {
	r.Notes = append(r.Notes, Finding{kind, seg, fmt.Sprintf(format, args...)})
}

// Verify checks a recording against its manifest: the header hash and
// the entry hash chain, each sealed segment's size and sha256, segments
// missing, extra, reordered or replaced, pruning that retention cannot
// have done, and time gaps. Only an unreadable directory is an error;
// everything else is reported.
func Verify(dir string) (*VerifyReport, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep := &VerifyReport{Dir: dir, Problems: []Finding{}, Notes: []Finding{}}
	onDisk := map[string]bool{}
	for _, de := range entries {
		if _, ok := parseSegmentName(de.Name()); ok {
			onDisk[de.Name()] = true
		}
	}
	m, err := ReadManifest(dir)
	if err != nil {
		rep.problem(FindManifest, "", "%v", err)
		m = &Manifest{}
	} else {
		checkChain(m, rep)
	}

	// Hash every file once; a file's content may belong to another entry.
	sums := map[string]string{}
	sizes := map[string]int64{}
	for name := range onDisk {
		sum, size, err := fileSha256(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		sums[name], sizes[name] = sum, size
	}
	bySum := map[string]string{}
	for _, e := range m.Segments {
		bySum[e.Sha256] = e.File
	}

	listed := map[string]bool{}
	for _, e := range m.Segments {
		listed[e.File] = true
		st := SegmentStatus{File: e.File, Size: -1}
		if onDisk[e.File] {
			st.Size, st.Sha256 = sizes[e.File], sums[e.File]
		}
		switch {
		case e.Pruned:
			st.Status = "pruned"
			rep.note(NotePruned, e.File, "removed by retention (%s)", e.PrunedReason)
			if onDisk[e.File] {
				rep.note(NoteLeftover, e.File, "marked pruned but the file is still present")
			}
		case !onDisk[e.File]:
			st.Status = "missing"
			rep.problem(FindMissing, e.File, "listed in the manifest but the file is gone (not pruned by retention)")
		case sums[e.File] == e.Sha256 && sizes[e.File] == e.Size:
			st.Status = "ok"
		case bySum[sums[e.File]] != "":
			st.Status = "reordered"
			rep.problem(FindReordered, e.File, "holds the content of %s", bySum[sums[e.File]])
		default:
			st.Status = "replaced"
			rep.problem(FindReplaced, e.File, "content differs from the manifest (sha256 %s, want %s; size %d, want %d)",
				short(sums[e.File]), short(e.Sha256), sizes[e.File], e.Size)
		}
		rep.Segments = append(rep.Segments, st)
	}

	var extras []string
	for name := range onDisk {
		if !listed[name] {
			extras = append(extras, name)
		}
	}
	sort.Strings(extras)
	lastSeq := 0
	if n := len(m.Segments); n > 0 {
		lastSeq = m.Segments[n-1].Seq
	}
	for _, name := range extras {
		seq, _ := parseSegmentName(name)
		st := SegmentStatus{File: name, Size: sizes[name], Sha256: sums[name]}
		if name == m.Open && seq == lastSeq+1 {
			st.Status = "unsealed"
			rep.note(NoteUnsealed, name, "segment being written when the manifest was last saved; its content cannot be verified")
		} else {
			st.Status = "extra"
			if other := bySum[sums[name]]; other != "" {
				rep.problem(FindExtra, name, "not in the manifest (a copy of %s)", other)
			} else {
				rep.problem(FindExtra, name, "not in the manifest")
			}
		}
		rep.Segments = append(rep.Segments, st)
	}
	checkGaps(m, rep)
	rep.Intact = len(rep.Problems) == 0
	return rep, nil
}

// checkChain verifies the header hash, every entry hash and the links.
func checkChain(m *Manifest, rep *VerifyReport) {
	if got := m.computeHeaderHash(); got != m.HeaderHash {
		rep.problem(FindHeader, "", "manifest header (host, versions or writer settings) was edited: hash %s, recorded %s", short(got), short(m.HeaderHash))
	}
	prev := m.HeaderHash
	prunedPrefix := true
	for i := range m.Segments {
		e := &m.Segments[i]
		if e.PrevHash != prev {
			rep.problem(FindChain, e.File, "prev_hash does not match the previous entry: an entry was removed, inserted or reordered before it")
		}
		if got := e.computeHash(); got != e.Hash {
			rep.problem(FindEntry, e.File, "entry fields were edited: hash %s, recorded %s", short(got), short(e.Hash))
		}
		if i > 0 && e.Seq != m.Segments[i-1].Seq+1 {
			rep.problem(FindNumbering, e.File, "follows %s: segment numbers must be consecutive", m.Segments[i-1].File)
		}
		if e.Pruned && !prunedPrefix {
			rep.problem(FindBadPruning, e.File, "marked pruned although an older segment was kept: retention removes only the oldest")
		}
		if !e.Pruned {
			prunedPrefix = false
		}
		prev = e.Hash
	}
	if n := len(m.Segments); n > 0 {
		rep.HeadHash = m.Segments[n-1].Hash
	} else {
		rep.HeadHash = m.HeaderHash
	}
}

// checkGaps notes silences between consecutive kept segments.
func checkGaps(m *Manifest, rep *VerifyReport) {
	var prev *SegmentEntry
	for i := range m.Segments {
		e := &m.Segments[i]
		if e.Pruned || e.Rows == 0 {
			continue
		}
		if prev != nil {
			if gap := time.Duration(e.FirstTs - prev.LastTs); gap > VerifyGap {
				rep.note(NoteGap, e.File, "%s without events since the end of %s", gap.Round(time.Millisecond), prev.File)
			}
		}
		prev = e
	}
}

func fileSha256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		if errors.Is(err, fs.ErrInvalid) {
			return "", 0, fmt.Errorf("%s: not a regular file", path)
		}
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
