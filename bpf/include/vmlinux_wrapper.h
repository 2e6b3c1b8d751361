/* One entry point for kernel types: the per-architecture vmlinux.h (chosen
 * by the -I flag in gen.go) plus the libbpf helper headers. */
#pragma once
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
