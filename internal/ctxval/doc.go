// Package ctxval carries one value in a context.
//
// # Cost
//
// [New] puts the context and the value in a single allocation: half of what
// context.WithValue costs for a value that is not pointer-shaped, which it
// must box on its own. Reading the value back returns a pointer into that
// allocation, so it allocates nothing either. The root package carries an
// attempt's number this way, and the fallback package a call's report.
//
// # Keys
//
// The key is a type, not a value: an unexported empty struct type of the
// package that owns the value, so no other package can read or shadow it.
package ctxval
