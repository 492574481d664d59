// Package all is the one list of the source drivers Pipetracker ships.
package all

import (
	"io"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/exec"
	"github.com/pipetracker/pipetracker/internal/source/file"
)

// Registry returns a registry of every built-in driver; stdin is what the
// "-" location reads.
func Registry(stdin io.Reader) *source.Registry {
	return source.NewRegistry(
		file.Driver(),
		file.StdinDriver(stdin),
		exec.Driver(),
	)
}
