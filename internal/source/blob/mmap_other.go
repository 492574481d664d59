//go:build !linux

package blob

import (
	"errors"
	"os"
)

func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.New("not mapped on this system") }

func unmapFile([]byte) {}

func dropPages([]byte) {}
