package circuitbreaker

// SetTestHookDue sets a function called after each firing of the open
// period's timer, and returns a function that removes it.
func SetTestHookDue(f func()) (undo func()) {
	testHookDue.Store(&f)
	return func() { testHookDue.Store(nil) }
}
