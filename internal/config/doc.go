// Package config holds what every policy's Config shares.
//
// # JSON
//
// [Marshal] and [Unmarshal] read and write a Config like encoding/json, except
// that time.Duration fields are strings such as "250ms", fields tagged
// `json:"-"` (functions, clocks, observers) are left out, and an unknown key
// is an error naming it, so a typo in a config file is caught. Each Config
// type calls them from its own MarshalJSON and UnmarshalJSON.
//
// # Errors
//
// [Errorf] makes the *rampart.ConfigError that New returns for an invalid
// field, naming the package and the field. [CheckFinite] makes it for a
// float field that is NaN or ±Inf, which range checks written with < and >
// let through.
package config
