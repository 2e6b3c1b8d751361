package bpf

import (
	"errors"
	"fmt"
)

// ErrNotSupported is wrapped by every error about a kernel that lacks
// something the programs need; the message names what is missing.
var ErrNotSupported = errors.New("not supported by this kernel")

// ErrNotRoot is returned by Load when the process is not root.
var ErrNotRoot = errors.New("bpf: loading the recorder's programs needs root")

// ErrClosed is returned by Reader.Read after Close.
var ErrClosed = errors.New("bpf: reader closed")

func missing(what string, cause error) error {
	if cause != nil {
		return fmt.Errorf("bpf: %s: %w (%v)", what, ErrNotSupported, cause)
	}
	return fmt.Errorf("bpf: %s: %w", what, ErrNotSupported)
}
