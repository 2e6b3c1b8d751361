// Package cond checks and compiles parsed Falco-style conditions against a
// field Catalog into trees of typed closures, infers the evt.type set a
// condition can match (for rule indexing), and compiles output templates
// with %field substitution. It owns the Catalog interface; it does not own
// any field definition (see analyze/fields) nor the syntax (see analyze/rule).
package cond
