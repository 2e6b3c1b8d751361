// Package cond turns parsed Falco-style conditions (analyze/rule) into
// fast predicates. One pass checks each check against the field Catalog
// (the field exists, takes or needs its [argument], the operator applies to
// its type, literals convert to that type) and compiles it into a typed
// closure with constants prepared once (hash sets, globs, regexes, CIDRs).
// It also infers the evt.type set a condition can match, indexes a rule set
// by it, and compiles output templates with %field substitution.
//
// Semantics follow libsinsp: a check on a missing value is false whatever
// the operator; glob is fnmatch without flags; regex is a fully anchored
// POSIX-syntax match; icontains, iglob and the case transformers fold
// ASCII letters only; pmatch compares path components; for indexing,
// evt.num=0 (upstream's never_true) matches no event type. Where the
// references are silent, getopt() follows getopt(3) on Linux.
//
// cond owns the Catalog interface that analyze/fields implements; it owns
// no field definitions and no syntax. Compiled conditions, formatters and
// programs are immutable and safe for concurrent use when the catalog's
// extractors are; a Compiler is not.
package cond
