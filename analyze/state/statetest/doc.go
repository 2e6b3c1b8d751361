// Package statetest builds in-memory Arrow record batches from
// format.Event values, laid out exactly as format.Schema says, so that
// replay tests can drive the process table and the field catalog without
// writing a recording to disk.
package statetest
