package bench

import "github.com/rampart-go/rampart/chaos"

// ChaosDisabled class: a call through a chaos policy that is switched off,
// the cost of leaving fault injection in a production pipeline. The policy
// would fail every call with ErrFail if enabled.
//
// No peer here offers chaos injection (Polly v8's chaos strategies are .NET;
// failsafe-go has none), so the class has rampart's row alone; read it
// against the Pipeline floor in rampart's own benchmarks (an interface call
// that calls the function).

// ChaosDisabledSubjects lists the ChaosDisabled class's rows.
func ChaosDisabledSubjects() []Subject {
	return []Subject{{Lib: "rampart", New: func() Instance { return Instance{Call: ChaosPolicy().Do} }}}
}

// ChaosPolicy is the ChaosDisabled class's configuration: a fault on every
// call, switched off.
func ChaosPolicy() *chaos.Policy {
	return must(chaos.New(chaos.Config{Rate: 1, Fault: ErrFail}))
}
