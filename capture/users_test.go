package capture

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rewind-sh/rewind/format"
)

func TestParsePasswd(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []format.Event
		wantErr string
	}{
		{"two users", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/usr/bin/zsh\n",
			[]format.Event{
				{Kind: format.KindUser, UID: 0, UserName: "root", UserHome: "/root", UserShell: "/bin/bash"},
				{Kind: format.KindUser, UID: 1000, UserName: "alice", UserHome: "/home/alice", UserShell: "/usr/bin/zsh"},
			}, ""},
		{"comments, blank lines, NIS entries and CRLF are skipped", "# c\n\n+@admins::::::\nbob:x:7:7::/:/bin/sh\r\n",
			[]format.Event{{Kind: format.KindUser, UID: 7, UserName: "bob", UserHome: "/", UserShell: "/bin/sh"}}, ""},
		{"a short line is an error with its line number", "root:x:0:0:root:/root:/bin/bash\nbroken:x:1\n",
			[]format.Event{{Kind: format.KindUser, UID: 0, UserName: "root", UserHome: "/root", UserShell: "/bin/bash"}},
			"passwd:2: 3 fields, want 7"},
		{"a bad uid is an error", "x:x:-1:0::/:/bin/sh\n", nil, `passwd:1: uid "-1": not a number`},
		{"an empty name is an error", ":x:1:0::/:/bin/sh\n", nil, "passwd:1: empty user name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePasswd("passwd", []byte(tt.in))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.Kind != w.Kind || g.UID != w.UID || g.UserName != w.UserName || g.UserHome != w.UserHome || g.UserShell != w.UserShell {
					t.Errorf("row %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestParseGroup(t *testing.T) {
	got, err := ParseGroup("group", []byte("root:x:0:\nwheel:x:10:alice,bob\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].GID != 10 || got[1].GroupName != "wheel" || got[1].Kind != format.KindGroup {
		t.Fatalf("got %+v", got)
	}
	if _, err := ParseGroup("group", []byte("wheel:x:ten:\n")); err == nil || err.Error() != `group:1: gid "ten": not a number` {
		t.Fatalf("err = %v", err)
	}
}

func TestAccountRowsKeepGoodRowsBesideErrors(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	if err := os.WriteFile(pw, []byte("root:x:0:0::/root:/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rows, err := AccountFiles{Passwd: pw, Group: filepath.Join(dir, "missing")}.Rows(42)
	if err == nil {
		t.Fatal("a missing group file was not reported")
	}
	if len(rows) != 1 || rows[0].Ts != 42 || rows[0].UserName != "root" {
		t.Fatalf("rows %+v", rows)
	}
}

func FuzzParseAccounts(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\n"))
	f.Add([]byte("wheel:x:10:a,b\n"))
	f.Add([]byte("#\n+x\n::::\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, _ := ParsePasswd("passwd", in)
		for _, r := range rows {
			if r.UserName == "" || r.Kind != format.KindUser {
				t.Fatalf("bad row %+v", r)
			}
		}
		rows, _ = ParseGroup("group", in)
		for _, r := range rows {
			if r.GroupName == "" || r.Kind != format.KindGroup {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}
