package rampartgrpc

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/rampart-go/rampart"
)

// PushbackKey is the trailer by which a server asks a client to wait before
// retrying, in whole milliseconds (gRFC A6): a negative or unparsable value
// asks it not to retry at all.
const PushbackKey = "grpc-retry-pushback-ms"

// PreviousAttemptsKey is the request metadata that tells the server how many
// attempts of the call came before this one (gRFC A6). The client sets it on
// every attempt after the first.
const PreviousAttemptsKey = "grpc-previous-rpc-attempts"

// Codes is a set of status codes, one bit per code.
type Codes uint32

// CodeSet returns the set holding cs. Codes above 31 (none are defined) are
// ignored.
func CodeSet(cs ...codes.Code) Codes {
	var s Codes
	for _, c := range cs {
		if c < 32 {
			s |= 1 << c
		}
	}
	return s
}

// Has reports whether c is in the set.
func (s Codes) Has(c codes.Code) bool { return c < 32 && s&(1<<c) != 0 }

// DefaultRetryable is the set of codes a client retries by default:
// UNAVAILABLE, the one code gRPC promises was not processed by the server's
// application.
var DefaultRetryable = CodeSet(codes.Unavailable)

// DefaultFailures is the set of codes that count as a failure of the
// destination, by default: what a circuit breaker, a throttle or an adaptive
// limiter records as a failure. The other codes (NOT_FOUND,
// INVALID_ARGUMENT, ...) are the application's answers: the destination
// worked, and the policies record a success.
var DefaultFailures = CodeSet(codes.Unknown, codes.DeadlineExceeded, codes.ResourceExhausted,
	codes.Internal, codes.Unavailable, codes.DataLoss)

// NonFatal returns a classifier for hedge.Config.NonFatal that treats the
// codes cs as gRPC's nonFatalStatusCodes: an attempt that fails with one of
// them lets the next hedge start at once; any other failure is fatal and
// ends the call. An attempt the server told not to retry (a negative
// pushback) or that was committed is fatal whatever its code.
func NonFatal(cs ...codes.Code) func(error) bool {
	set := CodeSet(cs...)
	return func(err error) bool {
		if rampart.IsPermanent(err) || errors.Is(err, rampart.ErrRejected) {
			return false
		}
		return set.Has(status.Code(err))
	}
}

// pushback reads a server's retry pushback from trailer md or, failing
// that, from a google.rpc.RetryInfo detail of st. ok is false when the
// server gave none; stop is true when it asked for no retry (a negative or
// unparsable value).
func pushback(md metadata.MD, st *status.Status) (d time.Duration, ok, stop bool) {
	if v := md.Get(PushbackKey); len(v) > 0 {
		d, ok := parsePushback(v[0])
		return d, true, !ok
	}
	if st == nil || len(st.Proto().GetDetails()) == 0 {
		return 0, false, false
	}
	for _, det := range st.Details() {
		if ri, isRI := det.(*errdetails.RetryInfo); isRI && ri.GetRetryDelay() != nil {
			if err := ri.GetRetryDelay().CheckValid(); err != nil || ri.GetRetryDelay().AsDuration() < 0 {
				return 0, true, true
			}
			return ri.GetRetryDelay().AsDuration(), true, false
		}
	}
	return 0, false, false
}

// parsePushback parses a pushback value: whole non-negative milliseconds,
// saturating when too long to represent. ok is false for a negative or
// malformed value.
func parsePushback(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return math.MaxInt64, true
		}
		return 0, false
	}
	if n > uint64(math.MaxInt64/int64(time.Millisecond)) {
		return math.MaxInt64, true
	}
	return time.Duration(n) * time.Millisecond, true
}

// formatPushback writes d as a pushback value, rounded up to whole
// milliseconds.
func formatPushback(d time.Duration) string {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	if d > 0 && ms <= 0 {
		ms = math.MaxInt64 / int64(time.Millisecond)
	}
	return strconv.FormatInt(max(ms, 0), 10)
}

// Error is what a call returns when a rampart policy, rather than the
// server, ended it: a rejection by a circuit breaker, a throttle or a
// limiter (without sending anything), or a policy's own timeout. It is a
// gRPC status error (status.Code and status.FromError read it, with a
// message prefixed "rampart: ") that also unwraps to the policy's error, so
// errors.Is(err, rampart.ErrRejected) and errors.Is(err,
// circuitbreaker.ErrOpen) hold.
type Error struct {
	st  *status.Status
	err error
}

func newError(c codes.Code, err error) *Error {
	return &Error{st: status.New(c, "rampart: "+err.Error()), err: err}
}

// Error returns the status's message with its code, as status errors do.
func (e *Error) Error() string {
	return "rpc error: code = " + e.st.Code().String() + " desc = " + e.st.Message()
}

// GRPCStatus returns the status the caller sees.
func (e *Error) GRPCStatus() *status.Status { return e.st }

// Unwrap returns the policy's error.
func (e *Error) Unwrap() error { return e.err }

// policyError turns an error from a policy that did not come from an
// attempt into what a gRPC caller expects: a status error.
func policyError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, rampart.ErrRejected):
		return newError(codes.Unavailable, err)
	case ctx.Err() != nil && rampart.CausedByCaller(ctx, err):
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, context.DeadlineExceeded):
		return newError(codes.DeadlineExceeded, err)
	case errors.Is(err, context.Canceled):
		return newError(codes.Canceled, err)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return newError(codes.Unknown, err)
}
