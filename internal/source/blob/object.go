package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Object is one file or object of a store, as ScanObject reports it.
type Object struct {
	// Name identifies the object in warnings (a path as the user would
	// find it).
	Name string
	// Path, Service and ModTime are copied into every record.
	Path    string
	Service string
	ModTime time.Time
	// Prepare, when set, may change each record before it is sent (strip
	// a prefix, set a service per line).
	Prepare func(r *source.Record)
}

// Outcome is what ScanObject found out about one object.
type Outcome struct {
	// Bytes is the number of content bytes scanned.
	Bytes int64
	// Binary says the object was skipped as binary; nothing was emitted.
	Binary bool
	// Fault is a problem that ended the object early (corrupt or truncated
	// compressed data, a read error) or kept it from being opened; the
	// records found before it were sent.
	Fault error
	// Cut and CutCount are Result's: records cut short by an overlong line.
	Cut      []int64
	CutCount int
}

// Count adds the object to stats: its bytes, and it as a file scanned,
// or skipped as binary, or as unreadable when it failed before any byte.
// It returns whether the object was binary.
func (o Outcome) Count(stats *source.Stats) bool {
	switch {
	case o.Binary:
		stats.Skip(source.SkipBinary, 1)
	case o.Bytes == 0 && o.Fault != nil:
		stats.Skip(source.SkipUnreadable, 1)
	default:
		stats.Files++
	}
	stats.Bytes += o.Bytes
	if o.CutCount > 0 {
		stats.Truncated = true
	}
	return o.Binary
}

// Warnings returns the messages the object's fault and cut records call
// for, naming the object.
func (o Outcome) Warnings(name string) []string {
	var w []string
	if o.Fault != nil {
		w = append(w, fmt.Sprintf("%s: %v", name, o.Fault))
	}
	if o.CutCount > 0 {
		lines := make([]string, len(o.Cut))
		for i, l := range o.Cut {
			lines[i] = fmt.Sprint(l)
		}
		more := ""
		if o.CutCount > len(o.Cut) {
			more = fmt.Sprintf(" and %d more", o.CutCount-len(o.Cut))
		}
		w = append(w, fmt.Sprintf("%s: %d records cut short by a line longer than the longest kept, at line %s%s",
			name, o.CutCount, strings.Join(lines, ", "), more))
	}
	return w
}

// ScanObject reads r (decompressed by content, see Open) with sc and sends
// every record found to out, as obj describes it. It returns an error only
// when the whole scan must stop: ctx ended, or out.Record failed; a
// problem with the object itself is Outcome.Fault.
//
// A plain regular file (an *os.File of at least 1 MiB, not compressed) is
// searched through a read-only mapping of it where the system allows,
// with the same records as a read would give; the pages are released as
// the search passes them.
func ScanObject(ctx context.Context, sc *Scanner, r io.Reader, obj Object, out source.Output) (Outcome, error) {
	var stop error
	emit := func(data []byte, line int64) error {
		rec := source.Record{Data: data, Path: obj.Path, Line: line, Service: obj.Service, ModTime: obj.ModTime}
		if obj.Prepare != nil {
			obj.Prepare(&rec)
		}
		if err := out.Record(&rec); err != nil {
			stop = err
			return err
		}
		return nil
	}
	var (
		res    Result
		err    error
		mapped bool
	)
	if f, ok := r.(*os.File); ok {
		res, mapped, err = scanMapped(ctx, sc, f, emit)
	}
	if !mapped {
		br, oerr := Open(r)
		if oerr != nil {
			if ctx.Err() != nil {
				return Outcome{}, ctx.Err()
			}
			return Outcome{Fault: oerr}, nil
		}
		defer br.Close()
		res, err = sc.Scan(ctx, br, emit)
	}
	o := Outcome{Bytes: res.Bytes, Cut: res.Cut, CutCount: res.CutCount}
	switch {
	case err == nil:
	case stop != nil:
		return o, stop
	case ctx.Err() != nil:
		return o, ctx.Err()
	case errors.Is(err, ErrBinary):
		o.Binary = true
	default:
		o.Fault = err
	}
	return o, nil
}
