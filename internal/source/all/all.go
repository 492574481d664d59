// Package all is the one list of the source drivers Pipetracker ships.
package all

import (
	"io"

	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/clickhouse"
	"github.com/pipetracker/pipetracker/internal/source/datadog"
	"github.com/pipetracker/pipetracker/internal/source/exec"
	"github.com/pipetracker/pipetracker/internal/source/file"
	"github.com/pipetracker/pipetracker/internal/source/gcs"
	"github.com/pipetracker/pipetracker/internal/source/kafka"
	"github.com/pipetracker/pipetracker/internal/source/loki"
	"github.com/pipetracker/pipetracker/internal/source/s3"
	"github.com/pipetracker/pipetracker/internal/source/victorialogs"
)

// Registry returns a registry of every built-in driver; stdin is what the
// "-" location reads, and getenv where the drivers look up credentials
// (nil: the process environment).
func Registry(stdin io.Reader, getenv func(string) string) *source.Registry {
	return source.NewRegistry(
		file.Driver(),
		file.StdinDriver(stdin),
		exec.Driver(),
		kafka.Driver(getenv),
		datadog.Driver(getenv),
		victorialogs.Driver(getenv),
		clickhouse.Driver(getenv),
		loki.Driver(getenv),
		s3.Driver(),
		gcs.Driver(),
		gcs.AliasDriver(),
	)
}
