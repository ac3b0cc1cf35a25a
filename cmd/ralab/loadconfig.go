package main

import (
	"errors"
	"fmt"

	"github.com/ralab/ralab/internal/config"
)

// loadConfig reads the configuration file for ralab serve and ralab
// check. An invalid file is reported with every one of its errors under
// "invalid configuration"; an unreadable one as it is.
func loadConfig(file string) (*config.Config, error) {
	cfg, err := config.Load(file)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("invalid configuration:\n%w", err)
		}
		return nil, err
	}
	return cfg, nil
}
