package bench

// rampart's rows, added as its packages land.

func rampartBreakerSubjects() []Subject           { return nil }
func rampartBreakerTimeWindowSubjects() []Subject { return nil }
func rampartBreakerOpenSubjects() []Subject       { return nil }
func rampartRetrySubjects() []Subject             { return nil }
func rampartPipelineSubjects() []Subject          { return nil }
func rampartRateLimitSubjects() []Subject         { return nil }
