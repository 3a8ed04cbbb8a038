package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/rampart-go/rampart"
)

var durationType = reflect.TypeFor[time.Duration]()

// Marshal encodes the struct v as JSON like encoding/json, except that
// time.Duration fields are written as strings such as "1.5s". Fields tagged
// `json:"-"` (functions, clocks, observers) are left out.
func Marshal(v any) ([]byte, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	rt := rv.Type()
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name, omitEmpty, ok := fieldName(f)
		if !ok {
			continue
		}
		fv := rv.Field(i)
		if omitEmpty && fv.IsZero() {
			continue
		}
		var b []byte
		var err error
		if f.Type == durationType {
			b, err = json.Marshal(time.Duration(fv.Int()).String())
		} else {
			b, err = json.Marshal(fv.Interface())
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		nb, _ := json.Marshal(name)
		buf.Write(nb)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Unmarshal decodes JSON into the struct that v points to. time.Duration
// fields accept a string for time.ParseDuration ("250ms") or a number of
// nanoseconds. Unknown keys are an error naming the key, so a typo in a
// config file is caught rather than silently ignored. Every error is a
// *rampart.ConfigError; one from a nested config (a struct field that is
// itself read by Unmarshal) names the whole path, "Outer.Inner", once.
func Unmarshal(pkg string, data []byte, v any) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%s: config: %w", pkg, err)
	}
	rv := reflect.ValueOf(v).Elem()
	rt := rv.Type()
	fields := map[string]int{}
	for i := 0; i < rt.NumField(); i++ {
		if name, _, ok := fieldName(rt.Field(i)); ok {
			fields[strings.ToLower(name)] = i
		}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i, ok := fields[strings.ToLower(k)]
		if !ok {
			return &rampart.ConfigError{Package: pkg, Field: k, Reason: "is not a known key"}
		}
		f := rt.Field(i)
		fv := rv.Field(i)
		msg := raw[k]
		if f.Type == durationType {
			d, err := parseDuration(msg)
			if err != nil {
				return &rampart.ConfigError{Package: pkg, Field: f.Name, Reason: err.Error()}
			}
			fv.SetInt(int64(d))
			continue
		}
		if err := json.Unmarshal(msg, fv.Addr().Interface()); err != nil {
			var inner *rampart.ConfigError
			if isStruct(f.Type) && errors.As(err, &inner) {
				return &rampart.ConfigError{Package: pkg, Field: f.Name + "." + inner.Field, Reason: inner.Reason}
			}
			return &rampart.ConfigError{Package: pkg, Field: f.Name, Reason: err.Error()}
		}
	}
	return nil
}

// isStruct reports whether t is a struct, or a pointer to or slice of
// structs: a nested config whose own errors name their field.
func isStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

func parseDuration(msg json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(msg, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("is not a duration: %q", s)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(msg, &n); err != nil {
		return 0, fmt.Errorf("must be a duration string such as \"250ms\", got %s", msg)
	}
	return time.Duration(n), nil
}

func fieldName(f reflect.StructField) (name string, omitEmpty, ok bool) {
	if !f.IsExported() {
		return "", false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, strings.Contains(opts, "omitempty"), true
}

// Errorf returns a *rampart.ConfigError for field of package pkg.
func Errorf(pkg, field, format string, args ...any) error {
	return &rampart.ConfigError{Package: pkg, Field: field, Reason: fmt.Sprintf(format, args...)}
}
