//go:build duckdb_arrow

package queries

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"
)

// TreeNode is one process instance of a process tree.
type TreeNode struct {
	ProcID, ParentID string
	Pid              int64
	Start, End       time.Time // End is zero while the process lived past the recording
	ExitCode         *int64
	Exe              string
	Sha256           string
	User, EUser      string
	ContainerID      string
	Argv             []string
	Children         []*TreeNode
}

// TreeOptions select the part of the tree to show: the subtree of Pid
// (0: everything), the processes alive at At (0: any time).
type TreeOptions struct {
	Pid int64
	At  int64 // ns since the epoch
}

// Tree runs the process-tree named query and returns its roots: the
// processes whose parent is not in the answer. The subtree is read
// straight from the recording (see scope.go), not from the process
// tables, with the same answer.
func (r *Runner) Tree(ctx context.Context, opts TreeOptions) ([]*TreeNode, error) {
	c := &collectSink{}
	args := []any{sql.Named("pid", nilIfZero(opts.Pid)), sql.Named("at", nilIfZero(opts.At))}
	if err := r.processTree(ctx, opts.Pid, opts.At, args, c); err != nil {
		return nil, err
	}
	byID := map[string]*TreeNode{}
	var all []*TreeNode
	for _, row := range c.rows {
		get := func(name string) any { return row[c.index[name]] }
		n := &TreeNode{
			ProcID:      str(get("proc_id")),
			ParentID:    str(get("parent_proc_id")),
			Pid:         toInt(get("pid")),
			Exe:         str(get("exe_path")),
			Sha256:      str(get("sha256")),
			User:        str(get("user_name")),
			EUser:       str(get("euser_name")),
			ContainerID: str(get("container_id")),
		}
		if t, ok := get("start_ts").(time.Time); ok {
			n.Start = t
		}
		if t, ok := get("end_ts").(time.Time); ok {
			n.End = t
		}
		if get("exit_code") != nil {
			code := toInt(get("exit_code"))
			n.ExitCode = &code
		}
		if list, ok := get("argv").([]any); ok {
			for _, a := range list {
				n.Argv = append(n.Argv, str(a))
			}
		}
		byID[n.ProcID] = n
		all = append(all, n)
	}
	var roots []*TreeNode
	for _, n := range all {
		if p, ok := byID[n.ParentID]; ok && n.ParentID != "" {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots, nil
}

// WriteTree draws the tree, one process a line: pid, executable, the
// first 12 hex digits of its sha256, user (and effective user when it
// differs), container id prefix and, for processes that ended, their
// exit code.
func WriteTree(w io.Writer, roots []*TreeNode) error {
	bw := bufio.NewWriter(w)
	var walk func(n *TreeNode, prefix, branch string)
	walk = func(n *TreeNode, prefix, branch string) {
		bw.WriteString(prefix + branch + treeLine(n) + "\n")
		childPrefix := prefix
		switch branch {
		case "├─ ":
			childPrefix += "│  "
		case "└─ ":
			childPrefix += "   "
		}
		for i, c := range n.Children {
			b := "├─ "
			if i == len(n.Children)-1 {
				b = "└─ "
			}
			walk(c, childPrefix, b)
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	if len(roots) == 0 {
		bw.WriteString("(no processes)\n")
	}
	return bw.Flush()
}

func treeLine(n *TreeNode) string {
	parts := []string{fmt.Sprint(n.Pid)}
	if gen, ok := strings.CutPrefix(n.ProcID, fmt.Sprint(n.Pid)+":"); ok && gen != "0" {
		parts[0] += " (pid reused, instance " + gen + ")"
	}
	exe := n.Exe
	if exe == "" {
		exe = "?"
	}
	parts = append(parts, exe)
	if n.Sha256 != "" {
		parts = append(parts, "sha256:"+n.Sha256[:min(12, len(n.Sha256))])
	} else {
		parts = append(parts, "sha256:?")
	}
	user := n.User
	if user == "" {
		user = "?"
	}
	if n.EUser != "" && n.EUser != n.User {
		user += " as " + n.EUser
	}
	parts = append(parts, user)
	if n.ContainerID != "" {
		parts = append(parts, "container:"+n.ContainerID[:min(12, len(n.ContainerID))])
	}
	if n.ExitCode != nil {
		parts = append(parts, fmt.Sprintf("exit %d", *n.ExitCode))
	}
	return strings.Join(parts, "  ")
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case uint64:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

// collectSink keeps a whole result in memory; for small results.
type collectSink struct {
	cols  []ResultColumn
	index map[string]int
	rows  [][]any
}

func (c *collectSink) Columns(cols []ResultColumn) error {
	c.cols = cols
	c.index = map[string]int{}
	for i, col := range cols {
		c.index[col.Name] = i
	}
	return nil
}

func (c *collectSink) Row(vals []any) error {
	c.rows = append(c.rows, append([]any(nil), vals...))
	return nil
}

func (c *collectSink) Flush() error { return nil }
