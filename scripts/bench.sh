#!/usr/bin/env bash
# make bench: every hot path's figure beside a baseline measured in the
# same run. Go benchmarks first (no root needed), then, as root, the
# recorder's system benchmark (storms with and without rewind-record).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Packages with hot-path benchmarks, and the pairs to report.
pkgs=(./format/ ./capture/ ./analyze/cond/ ./analyze/engine/ ./queries/)
pairs=(
  format:Writer=WriterBaseline
  format:WriterCapture=WriterBaseline
  format:Reader/projected=ReaderBaseline
  format:Reader/all-columns=ReaderBaseline
  capture:Convert=ConvertBaseline
  capture:PipelineSustained=PipelineBaseline
  capture:HashFile=HashFileBaseline
  analyze/cond:CompiledCondition=Baseline
  analyze/engine:StableRuleset=ScanBaseline
  analyze/engine:StableRuleset=ReplayRead
  analyze/engine:WriterWithLiveRules=WriterAlone
  queries:ProcessTree=FullScan
  queries:ProcessTreeHost=FullScan
  queries:Timeline=FullScan
  queries:ExportParquet=FullScan
)
existing=()
for p in "${pkgs[@]}"; do [ -d "$p" ] && existing+=("$p"); done
echo "running Go benchmarks in ${existing[*]} (one core: GOMAXPROCS=1)" >&2
GOMAXPROCS=1 go test -tags duckdb_arrow -run '^$' -bench . -benchtime "${BENCHTIME:-2s}" "${existing[@]}" | tee "$out" >&2
go run ./bench/ratios "${pairs[@]}" < "$out"

if [ "$(id -u)" != 0 ]; then
  echo "recorder system benchmark skipped: needs root (it loads eBPF programs)"
  exit 0
fi
if ! command -v auditctl >/dev/null; then
  echo "installing auditd for the side-by-side exec storm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq auditd >/dev/null 2>&1 || echo "auditd not installable here" >&2
fi
go run ./bench/recordbench -recorder bin/rewind-record
