// Package storetest runs real log stores for the tests of the drivers that
// query them (VictoriaLogs, ClickHouse): it finds the server binaries,
// starts private instances on free loopback ports, loads records into
// them, and stops them. It also splits log files into the records a store
// would hold, so that a driver's contract-suite fixture can load the
// suite's files.
package storetest

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source/blob"
)

// Record is one record of a log file as a log store holds it: its text
// (all its lines, joined by "\n", without a final "\r"), where it starts,
// the service its path implies, and its time (zero when it states none).
type Record struct {
	Path    string
	Line    int64
	Service string
	Time    time.Time
	Text    string
}

// Records splits files (slash paths → uncompressed content) into records,
// with the record boundaries of logline.StartsRecord, which agree with the
// contract suite's on the suite's files. Empty records are left out. The
// result is sorted by path and line.
func Records(files map[string][]byte) []Record {
	var out []Record
	for name, data := range files {
		if len(data) == 0 {
			continue
		}
		lines := bytes.Split(data, []byte("\n"))
		if bytes.HasSuffix(data, []byte("\n")) {
			lines = lines[:len(lines)-1]
		}
		service := blob.ServiceFromPath(name)
		for a := 0; a < len(lines); {
			b := a + 1
			for b < len(lines) && !logline.StartsRecord(lines[b]) {
				b++
			}
			text := strings.TrimSuffix(string(bytes.Join(lines[a:b], []byte("\n"))), "\r")
			if text != "" {
				p := logline.Parse([]byte(text), logline.Options{})
				out = append(out, Record{Path: name, Line: int64(a + 1), Service: service, Time: p.Time, Text: text})
			}
			a = b
		}
	}
	slices.SortFunc(out, func(x, y Record) int {
		if c := strings.Compare(x.Path, y.Path); c != 0 {
			return c
		}
		return int(x.Line - y.Line)
	})
	return out
}
