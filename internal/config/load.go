package config

import (
	"errors"
	"os"
)

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse decodes and validates a configuration; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	return nil, errors.New("config: parser not implemented yet")
}
