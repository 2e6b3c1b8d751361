package storm

import "unsafe"

// unsafePointer keeps the one unsafe conversion of the raw syscall loop
// in one place.
func unsafePointer(p *byte) unsafe.Pointer { return unsafe.Pointer(p) }
