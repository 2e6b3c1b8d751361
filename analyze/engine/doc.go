// Package engine runs compiled rules over a recording: it loads rules
// files (analyze/rule), compiles them against the field catalog
// (analyze/cond, analyze/fields), replays the recording through the
// process table (analyze/state) and produces alerts as text or as JSON
// lines shaped like Falco's. It also holds the rule-test runner behind
// `rewind-replay test`. It does not parse conditions itself.
package engine
