package cond

import (
	"fmt"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// Load a rules file, compile it against a catalog, and run one event
// through the rules that its evt.type can match.
func ExampleCompileRules() {
	l := rule.NewLoader()
	l.Load("example.yaml", []byte(`
- list: shells
  items: [bash, sh]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- rule: Shell spawned by sshd
  desc: a shell whose parent is sshd
  condition: spawned_process and proc.name in (shells) and proc.pname = sshd
  output: shell %proc.name (parent %proc.pname, grandparent %proc.aname[2])
  priority: notice
`))
	rs, err := l.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, sum, err := CompileRules(rs, fakeCatalog{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum)
	ev := fakeEvent{"evt.type": "execve", "proc.name": "bash", "proc.pname": "sshd"}
	prog.Eval("execve", ev, func(r *CompiledRule) {
		fmt.Printf("%s: %s\n", r.Rule.Priority, r.Output.Format(ev))
	})
	// Output:
	// 1 rules: 1 loaded, 0 disabled, 0 skipped, 0 invalid
	// Notice: shell bash (parent sshd, grandparent <NA>)
}
