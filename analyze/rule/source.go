package rule

import (
	"fmt"
	"sort"
)

// File is one input (a rules file, or a synthetic name for a condition
// given directly). It keeps the raw bytes so errors can quote the line.
// Files and Sources are immutable once made and safe for concurrent reads.
type File struct {
	Name  string
	Data  []byte
	lines []int // offsets where each line starts
}

// NewFile wraps data read from name.
func NewFile(name string, data []byte) *File {
	f := &File{Name: name, Data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	return f
}

// Position is a human position in a file: 1-based line and column (bytes).
type Position struct {
	Filename string
	Line     int
	Col      int
}

func (p Position) String() string {
	if p.Line == 0 {
		return p.Filename
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Col)
}

// Position converts a byte offset into a line and column.
func (f *File) Position(off int) Position {
	if off < 0 {
		off = 0
	}
	if off > len(f.Data) {
		off = len(f.Data)
	}
	line := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off })
	return Position{Filename: f.Name, Line: line, Col: off - f.lines[line-1] + 1}
}

// Offset converts a 1-based line and column back to a byte offset.
func (f *File) Offset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(f.lines) {
		return len(f.Data)
	}
	off := f.lines[line-1] + col - 1
	if off > len(f.Data) {
		off = len(f.Data)
	}
	return off
}

// LineText returns the text of a 1-based line without its newline.
func (f *File) LineText(line int) string {
	if line < 1 || line > len(f.lines) {
		return ""
	}
	start := f.lines[line-1]
	end := len(f.Data)
	if line < len(f.lines) {
		end = f.lines[line] - 1
	}
	if end > start && f.Data[end-1] == '\r' {
		end--
	}
	return string(f.Data[start:end])
}

// Source is the text of one condition (or output) together with where each
// byte came from. Condition text is assembled from several places (a YAML
// scalar, appended conditions from other files, exceptions, substituted
// lists), so positions are kept per segment instead of per file.
type Source struct {
	Text string
	segs []segment
}

// segment maps Text[start:start+len(offs)] (or, when offs is nil, the
// bytes up to the next segment) to file offsets.
type segment struct {
	start int
	file  *File
	offs  []int32 // file offset of each byte; nil: all bytes map to at
	at    int32
}

// NewSource makes a Source for text that sits verbatim at offset off of
// file (or a file of its own when file is nil).
func NewSource(file *File, off int, text string) *Source {
	if file == nil {
		file = NewFile("<condition>", []byte(text))
	}
	offs := make([]int32, len(text))
	for i := range offs {
		offs[i] = int32(off + i)
	}
	return &Source{Text: text, segs: []segment{{file: file, offs: offs}}}
}

// Pos returns the position of byte offset off of s.Text.
func (s *Source) Pos(off int) Pos { return Pos{Src: s, Off: off} }

// Position resolves a byte offset of s.Text to a file position.
func (s *Source) Position(off int) Position {
	file, foff := s.fileOffset(off)
	if file == nil {
		return Position{Filename: "<unknown>"}
	}
	return file.Position(foff)
}

func (s *Source) fileOffset(off int) (*File, int) {
	if s == nil || len(s.segs) == 0 {
		return nil, 0
	}
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].start > off }) - 1
	if i < 0 {
		i = 0
	}
	seg := s.segs[i]
	if seg.offs == nil {
		return seg.file, int(seg.at)
	}
	rel := off - seg.start
	switch {
	case len(seg.offs) == 0:
		return seg.file, int(seg.at)
	case rel >= len(seg.offs):
		// Past the end (e.g. "unexpected end of condition"): one after the last byte.
		return seg.file, int(seg.offs[len(seg.offs)-1]) + 1
	case rel < 0:
		rel = 0
	}
	return seg.file, int(seg.offs[rel])
}

// sourceBuilder concatenates pieces of text while keeping their origins.
type sourceBuilder struct {
	buf  []byte
	segs []segment
}

// addFrom appends src.Text[from:to] with its original positions.
func (b *sourceBuilder) addFrom(src *Source, from, to int) {
	if from >= to {
		return
	}
	for i, seg := range src.segs {
		segEnd := len(src.Text)
		if i+1 < len(src.segs) {
			segEnd = src.segs[i+1].start
		}
		lo, hi := max(from, seg.start), min(to, segEnd)
		if lo >= hi {
			continue
		}
		ns := segment{start: len(b.buf), file: seg.file, at: seg.at}
		if seg.offs != nil {
			ns.offs = seg.offs[lo-seg.start : hi-seg.start]
		}
		b.segs = append(b.segs, ns)
		b.buf = append(b.buf, src.Text[lo:hi]...)
	}
}

// addSource appends all of src.
func (b *sourceBuilder) addSource(src *Source) { b.addFrom(src, 0, len(src.Text)) }

// addAt appends synthetic text whose every byte is reported at pos.
func (b *sourceBuilder) addAt(text string, pos Pos) {
	if text == "" {
		return
	}
	file, off := pos.Src.fileOffset(pos.Off)
	b.segs = append(b.segs, segment{start: len(b.buf), file: file, at: int32(off)})
	b.buf = append(b.buf, text...)
}

func (b *sourceBuilder) source() *Source {
	return &Source{Text: string(b.buf), segs: b.segs}
}

// Pos is a position inside a Source. Every token and AST node has one.
type Pos struct {
	Src *Source
	Off int
}

// Position resolves p to a file position.
func (p Pos) Position() Position {
	if p.Src == nil {
		return Position{Filename: "<unknown>"}
	}
	return p.Src.Position(p.Off)
}

// IsValid reports whether p refers to a source.
func (p Pos) IsValid() bool { return p.Src != nil }

// file returns the file p points into, for quoting the source line.
func (p Pos) file() *File {
	f, _ := p.Src.fileOffset(p.Off)
	return f
}
