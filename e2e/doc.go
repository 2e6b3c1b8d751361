// Package e2e holds the end-to-end acceptance tests: they build and run
// rewind-record around each scripted scenario of samples/scenarios, then
// check the recording against the ground truth the scenario wrote
// (lineage, paths, exe identity and hash, flags, container and namespace
// values, sockets). They also check the committed sample recordings
// against their truth files, which needs no root. The package has no
// code outside its tests.
package e2e
