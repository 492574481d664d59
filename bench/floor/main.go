// Command floor does the least work a trace of an id can do with
// pipetracker's own scanner, to bound from below what the trace itself can
// take: it finds the records that contain the id (the file source, as a
// trace runs it), keeps each record's bytes, orders the records by origin
// (path, then line) and writes them as a JSON array of strings, as the
// JSON report writes strings.
//
// It parses nothing: no time, level, message or fields, no key-aware
// re-check, no redaction, no ordering by time and no summary. With
// --parse it also parses each record as a trace does (logline.ParseString)
// and orders the records by their time, but keeps nothing of the parse
// but the time and writes only the records' bytes. Whatever a trace does
// beyond either, it does on top of that time; bench/compare.sh times both
// against rg for the hot id.
//
//	go run ./bench/floor --source DIR/logs --id TXN-HOT [--parse] >/dev/null
package main

import (
	"bufio"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/render"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/source/all"
)

// slabSize is the size of the blocks the records' bytes are copied into.
const slabSize = 4 << 20

// kept is one record: its time (with --parse), where it came from and
// its bytes.
type kept struct {
	at   int64
	path string
	line int64
	data []byte
}

// keeper receives the records from the scanner's workers.
type keeper struct {
	parse bool
	mu    sync.Mutex
	slab  []byte
	recs  []kept
}

func (k *keeper) Warn(msg string)     { fmt.Fprintln(os.Stderr, "floor: warning:", msg) }
func (k *keeper) Progress(int, int64) {}

func (k *keeper) Record(r *source.Record) error {
	var at int64
	if k.parse && len(r.Data) > 0 {
		// Parsed where it lies: nothing of the parse but the time is kept.
		p := logline.ParseString(unsafe.String(&r.Data[0], len(r.Data)), logline.Options{ModTime: r.ModTime})
		at = p.Time.UnixNano()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.slab)+len(r.Data) > cap(k.slab) {
		k.slab = make([]byte, 0, max(slabSize, len(r.Data)))
	}
	from := len(k.slab)
	k.slab = append(k.slab, r.Data...)
	k.recs = append(k.recs, kept{at: at, path: r.Path, line: r.Line, data: k.slab[from:len(k.slab):len(k.slab)]})
	return nil
}

func main() {
	loc := flag.String("source", "", "the directory or file to search")
	id := flag.String("id", "", "the id to find")
	parse := flag.Bool("parse", false, "parse each record and order by time")
	flag.Parse()
	if *loc == "" || *id == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: floor --source DIR --id ID [--parse]")
		os.Exit(2)
	}
	n, err := run(os.Stdout, *loc, *id, *parse)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "floor: %d records\n", n)
}

// run writes to out the records of loc that hold id, and returns how many.
func run(out io.Writer, loc, id string, parse bool) (int, error) {
	src, err := all.Registry(os.Stdin, os.Getenv).Open(source.Spec{Location: loc})
	if err != nil {
		return 0, err
	}
	k := &keeper{parse: parse}
	if _, err := src.Scan(context.Background(), &source.Query{IDs: []string{id}}, k); err != nil {
		return 0, err
	}
	slices.SortFunc(k.recs, func(a, b kept) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		if c := cmp.Compare(a.path, b.path); c != 0 {
			return c
		}
		return cmp.Compare(a.line, b.line)
	})

	return len(k.recs), write(out, k.recs)
}

// write writes the records as a JSON array of strings, as the JSON report
// writes strings, encoded on every core.
func write(out io.Writer, recs []kept) error {
	w := bufio.NewWriterSize(out, 1<<20)
	w.WriteString("[\n")
	render.WriteParallel(w, len(recs), ",\n", func(b []byte, i int) []byte {
		d := recs[i].data
		return render.AppendJSONString(b, unsafe.String(unsafe.SliceData(d), len(d)))
	})
	w.WriteString("\n]\n")
	return w.Flush()
}
