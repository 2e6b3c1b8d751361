package bpf

import "testing"

// BenchmarkDecodeEvent decodes an exec record (the largest common one)
// and an open record, as the Reader does for every ring buffer record.
func BenchmarkDecodeEvent(b *testing.B) {
	recs := goldenRecords()
	for _, name := range []string{"exec_of_a_script_from_an_overlay_upper_layer", "openat_resolved_by_the_kernel"} {
		raw := recs[name]
		b.Run(name, func(b *testing.B) {
			var ev Event
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := decodeEvent(raw, &ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(len(raw)), "bytes/event")
		})
	}
}

// BenchmarkDecodeEventBaseline is the floor for BenchmarkDecodeEvent:
// copying the fixed header out of the record and converting comm, with
// no fields, paths or strings.
func BenchmarkDecodeEventBaseline(b *testing.B) {
	recs := goldenRecords()
	for _, name := range []string{"exec_of_a_script_from_an_overlay_upper_layer", "openat_resolved_by_the_kernel"} {
		raw := recs[name]
		b.Run(name, func(b *testing.B) {
			var h rewindEventHdr
			var comm string
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copyInto(&h, raw)
				comm = cString(h.Comm[:])
			}
			_ = comm
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(len(raw)), "bytes/event")
		})
	}
}
