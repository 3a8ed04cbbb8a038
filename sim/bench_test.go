package sim_test

import (
	"testing"

	"github.com/rampart-go/rampart/sim"
)

// BenchmarkCapacityDrop runs the whole 120-second capacity-drop scenario
// once per iteration, for each built-in policy. The target is under 2s per
// run on the development machine.
func BenchmarkCapacityDrop(b *testing.B) {
	sc := capacityDrop(b)
	for _, p := range sim.Policies() {
		b.Run("policy="+p.Name, func(b *testing.B) {
			b.ReportAllocs()
			var attempts int64
			for b.Loop() {
				r, err := sim.Run(sc, p)
				if err != nil {
					b.Fatal(err)
				}
				attempts = r.Summary.Attempts
			}
			b.ReportMetric(float64(attempts), "attempts/run")
		})
	}
}

// BenchmarkCapacityDropParallel runs scenarios concurrently, as rampart
// sim -compare does: runs share nothing, so they scale with cores.
func BenchmarkCapacityDropParallel(b *testing.B) {
	sc := capacityDrop(b)
	p := policy(b, "default")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := sim.Run(sc, p); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
