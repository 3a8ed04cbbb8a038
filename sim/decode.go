package sim

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// decode reads the JSON object data into the struct v points to, as the
// policies' configs do, except that a duration must be a string such as
// "10s": a bare number ("duration": 10) is an error rather than 10ns. Errors
// are *rampart.ConfigError naming the JSON key, nested keys joined with dots
// ("retry.budget.max_tokens").
func decode(data []byte, v any) error {
	rt := reflect.TypeOf(v).Elem()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err == nil {
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Type != reflect.TypeFor[time.Duration]() {
				continue
			}
			key := jsonKey(f)
			for k, msg := range raw {
				if strings.EqualFold(k, key) && len(msg) > 0 && msg[0] != '"' {
					return config.Errorf("sim", key, "must be a duration string such as \"10s\", got %s", msg)
				}
			}
		}
	}
	return jsonError(rt, config.Unmarshal("sim", data, v))
}

// jsonError rewrites a *rampart.ConfigError about the struct type t so that
// its field is named by JSON keys, not Go names; other errors pass as they
// are.
func jsonError(t reflect.Type, err error) error {
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return &rampart.ConfigError{Package: ce.Package, Field: jsonPath(t, ce.Field), Reason: ce.Reason}
}

// jsonPath turns a dotted path of Go field names in struct type t
// ("Retry.BudgetConfig.MaxTokens", "Faults[2].Factor") into JSON keys
// ("retry.budget.max_tokens", "faults[2].factor"). A part that names no
// field, such as an unknown key, is kept as it is.
func jsonPath(t reflect.Type, path string) string {
	parts := strings.Split(path, ".")
	for i, part := range parts {
		name, index, _ := strings.Cut(part, "[")
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			continue
		}
		f, ok := t.FieldByName(name)
		if !ok {
			t = nil
			continue
		}
		parts[i] = jsonKey(f)
		if index != "" {
			parts[i] += "[" + index
		}
		t = f.Type
	}
	return strings.Join(parts, ".")
}

// jsonKey is the key field f reads from.
func jsonKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" || name == "-" {
		return f.Name
	}
	return name
}
