// Package storm generates the system-call storms that rewind's recorder
// benchmark measures: a flat-out or rate-paced open/close loop and a
// fork+exec loop. It measures only the workload; starting the recorder
// and reading its recording is the caller's job.
package storm
