package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rewind-sh/rewind/format"
)

// Account files can be large on directory-bound hosts; rows beyond these
// bounds are not recorded (replay shows the bare id).
const (
	maxAccountLine = 4096
	maxAccounts    = 100000
)

// ParsePasswd reads passwd(5) lines into user rows (UID, UserName,
// UserHome, UserShell). name labels errors. A malformed line is an error
// naming it; the rows before it are returned too.
func ParsePasswd(name string, data []byte) ([]format.Event, error) {
	var rows []format.Event
	err := eachAccountLine(name, data, 7, func(lineNo int, f []string) error {
		uid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return fmt.Errorf("%s:%d: uid %q: not a number", name, lineNo, f[2])
		}
		if f[0] == "" {
			return fmt.Errorf("%s:%d: empty user name", name, lineNo)
		}
		rows = append(rows, format.Event{Kind: format.KindUser, UID: uint32(uid), UserName: f[0], UserHome: f[5], UserShell: f[6]})
		return nil
	})
	return rows, err
}

// ParseGroup reads group(5) lines into group rows (GID, GroupName).
func ParseGroup(name string, data []byte) ([]format.Event, error) {
	var rows []format.Event
	err := eachAccountLine(name, data, 4, func(lineNo int, f []string) error {
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return fmt.Errorf("%s:%d: gid %q: not a number", name, lineNo, f[2])
		}
		if f[0] == "" {
			return fmt.Errorf("%s:%d: empty group name", name, lineNo)
		}
		rows = append(rows, format.Event{Kind: format.KindGroup, GID: uint32(gid), GroupName: f[0]})
		return nil
	})
	return rows, err
}

// eachAccountLine splits colon-separated account lines, skipping blank
// lines, comments and NIS compat entries (+ and -), and requiring want
// fields.
func eachAccountLine(name string, data []byte, want int, fn func(lineNo int, fields []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 512), maxAccountLine)
	lineNo, n := 0, 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != want {
			return fmt.Errorf("%s:%d: %d fields, want %d", name, lineNo, len(f), want)
		}
		if err := fn(lineNo, f); err != nil {
			return err
		}
		if n++; n >= maxAccounts {
			return fmt.Errorf("%s: more than %d entries, the rest is not recorded", name, maxAccounts)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, lineNo+1, err)
	}
	return nil
}

// AccountFiles are the account databases recorded in every keyframe.
type AccountFiles struct {
	Passwd, Group string // default /etc/passwd and /etc/group
}

// Rows reads both files into user and group rows stamped ts. Errors are
// returned beside the rows that could be read, so that one bad line does
// not hide every name.
func (a AccountFiles) Rows(ts int64) ([]format.Event, error) {
	passwd, group := a.Passwd, a.Group
	if passwd == "" {
		passwd = "/etc/passwd"
	}
	if group == "" {
		group = "/etc/group"
	}
	var rows []format.Event
	var errs []string
	for _, f := range []struct {
		path  string
		parse func(string, []byte) ([]format.Event, error)
	}{{passwd, ParsePasswd}, {group, ParseGroup}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		r, err := f.parse(f.path, data)
		if err != nil {
			errs = append(errs, err.Error())
		}
		rows = append(rows, r...)
	}
	for i := range rows {
		rows[i].Ts = ts
	}
	if len(errs) > 0 {
		return rows, fmt.Errorf("account files: %s", strings.Join(errs, "; "))
	}
	return rows, nil
}
