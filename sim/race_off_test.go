//go:build !race

package sim_test

// raceEnabled reports a build with the race detector, which slows the
// simulator tenfold: the longest sweeps then run a sample of their cells.
const raceEnabled = false
