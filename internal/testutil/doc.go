// Package testutil holds what the policies' tests share.
//
// # Recording events
//
// [Recorder] is an observer that keeps every event, for tests that assert
// what a policy reported.
package testutil
