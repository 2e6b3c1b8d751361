package state

import "testing"

// TestForkedFDTablesAreIndependent checks the shared slot arrays of a
// forked parent and child: a write by either is never seen by the other,
// and a table left as the only user writes in place.
func TestForkedFDTablesAreIndependent(t *testing.T) {
	open := func(tab *fdTable, num int32, name string) {
		tab.put(FD{Num: num, TypeChar: 'f', Name: name}, DefaultMaxFDs)
	}
	name := func(tab *fdTable, num int32) string {
		if f, ok := tab.get(num); ok {
			return f.Name
		}
		return "-"
	}
	var parent fdTable
	open(&parent, 3, "/a")
	child := parent.copy()
	open(&parent, 4, "/b") // the parent copies: the child keeps the fork-time table
	open(&child, 5, "/c")  // the child is now the only user of the old slots
	grandchild := child.copy()
	open(&grandchild, 3, "/d")
	before := child.slots
	child.release()
	tests := []struct {
		name  string
		tab   *fdTable
		fds   []int32
		want  []string
		users int
	}{
		{"parent", &parent, []int32{3, 4, 5}, []string{"/a", "/b", "-"}, 1},
		{"grandchild", &grandchild, []int32{3, 4, 5}, []string{"/d", "-", "/c"}, 1},
		{"released child", &child, []int32{3, 5}, []string{"-", "-"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, num := range tt.fds {
				if got := name(tt.tab, num); got != tt.want[i] {
					t.Errorf("fd %d = %s, want %s", num, got, tt.want[i])
				}
			}
			users := 0
			if tt.tab.slots != nil {
				users = tt.tab.slots.refs
			}
			if users != tt.users {
				t.Errorf("slots used by %d tables, want %d", users, tt.users)
			}
		})
	}
	if before.refs != 0 {
		t.Errorf("the released child's slots are still used by %d tables", before.refs)
	}
	// The parent is the only user of its slots: a write goes in place.
	own := parent.slots
	open(&parent, 6, "/e")
	if parent.slots != own {
		t.Errorf("the only user of its slots copied them")
	}
}
