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
	"runtime"
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

	w := bufio.NewWriterSize(out, 1<<20)
	w.WriteString("[\n")
	encode(w, k.recs)
	w.WriteString("\n]\n")
	return len(k.recs), w.Flush()
}

// chunk is how many records one worker encodes at a time.
const chunk = 512

// encode writes the records as JSON strings, as the JSON report writes
// strings, separated by ",\n". Chunks are encoded on every core, at most
// two per core held at once, into buffers that are used again, and
// written in order.
func encode(w *bufio.Writer, recs []kept) {
	workers := max(1, runtime.GOMAXPROCS(0))
	chunks := (len(recs) + chunk - 1) / chunk
	results := make([]chan []byte, chunks)
	for i := range results {
		results[i] = make(chan []byte, 1)
	}
	free := make(chan []byte, 2*workers)
	for range 2 * workers {
		free <- nil
	}
	go func() {
		for i := range chunks {
			b := (<-free)[:0]
			go func() {
				for j := i * chunk; j < min(len(recs), (i+1)*chunk); j++ {
					if j > 0 {
						b = append(b, ",\n"...)
					}
					b = render.AppendJSONString(b, unsafe.String(unsafe.SliceData(recs[j].data), len(recs[j].data)))
				}
				results[i] <- b
			}()
		}
	}()
	for i := range chunks {
		b := <-results[i]
		w.Write(b)
		free <- b
	}
}
