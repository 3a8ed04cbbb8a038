package sim

import (
	"maps"
	"math"
	"math/bits"
	"slices"
)

// Latency histograms: log-linear buckets, 2^histSubBits per power of two,
// so a quantile read from one is within 1/2^(histSubBits+1) (0.8 %) of the
// exact value, and a histogram's size depends on the spread of latencies,
// not on how many there are.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits) * histSub
)

// hist is a sparse latency histogram: bucket → count.
type hist struct {
	counts map[uint16]uint32
	n      int64
	max    int64
}

func (h *hist) add(ns int64) {
	if h.counts == nil {
		h.counts = make(map[uint16]uint32)
	}
	h.counts[uint16(bucketOf(ns))]++
	h.n++
	h.max = max(h.max, ns)
}

// addTo adds h's counts into the dense histogram all.
func (h *hist) addTo(all []uint64) {
	for b, c := range h.counts {
		all[b] += uint64(c)
	}
}

// quantile returns the q-quantile of h by nearest rank, 0 if empty.
func (h *hist) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := nearestRank(h.n, q)
	var seen uint64
	for _, b := range slices.Sorted(maps.Keys(h.counts)) {
		seen += uint64(h.counts[b])
		if seen >= rank {
			return min(bucketMid(int(b)), h.max)
		}
	}
	return h.max
}

// nearestRank is the rank, from 1, of the q-quantile of n values.
func nearestRank(n int64, q float64) uint64 {
	return uint64(max(math.Ceil(q*float64(n)), 1))
}

// quantileOf returns the q-quantile, by nearest rank, of the n values
// counted in the dense histogram counts, whose largest is maxNs: the middle
// of the bucket holding it, never above maxNs.
func quantileOf(counts []uint64, n, maxNs int64, q float64) int64 {
	if n == 0 {
		return 0
	}
	rank := nearestRank(n, q)
	var seen uint64
	for b, c := range counts {
		seen += c
		if seen >= rank {
			return min(bucketMid(b), maxNs)
		}
	}
	return maxNs
}

// bucketOf returns the bucket of a latency in ns (negative counts as 0).
func bucketOf(ns int64) int {
	v := uint64(max(ns, 0))
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - histSubBits
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// bucketMid returns the middle of bucket b, in ns.
func bucketMid(b int) int64 {
	if b < histSub {
		return int64(b)
	}
	shift := b/histSub - 1
	low := int64(b%histSub+histSub) << shift
	return low + (int64(1)<<shift)/2
}
