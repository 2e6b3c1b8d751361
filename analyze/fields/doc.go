// Package fields is the field catalog: the one table of every field that
// rule conditions and outputs can name (Falco's proc.*, fd.*, evt.*,
// user.*, group.*, container.* and our own such as proc.exe.sha256), with
// its type, description, the row kinds that provide it and its extractor
// over an Event. Fields that recordings cannot provide (k8s.*, container
// image metadata) are in the table too, marked unavailable with a reason.
// It implements analyze/cond's Catalog; it does not parse rules.
package fields
