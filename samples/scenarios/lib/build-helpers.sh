#!/usr/bin/env bash
# Builds the scenario helpers into DIR: rewind-sample (static Go,
# CGO_ENABLED=0), tiny (a libc-free static binary that exits at once) and
# librewind-sample.so (an empty shared object to LD_PRELOAD).
# Callers that record build first, so compiler activity stays out of the
# recording.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:?usage: build-helpers.sh DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$out/rewind-sample" ./samples/scenarios/cmd/rewind-sample)
gcc -nostdlib -static -O2 -o "$out/tiny" "$here/../c/tiny.c"
# An empty shared object for the LD_PRELOAD scenario; the loader maps it
# and runs nothing.
printf 'int rewind_sample_preloaded = 1;\n' | gcc -shared -fPIC -x c -o "$out/librewind-sample.so" -
