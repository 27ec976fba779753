// Package config is profilegate's configuration: one YAML file, environment overrides for
// secrets such as DSNs, defaults written once in Default, unknown keys rejected, and every
// problem reported at once by Validate.
package config
