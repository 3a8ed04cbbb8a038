//go:build !race

package ramparthttp_test

const raceEnabled = false
