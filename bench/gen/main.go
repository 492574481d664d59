// Command gen writes a synthetic log corpus for benchmarks and accuracy
// tests: seven services in nine formats, rotated and partly compressed,
// with background traffic, known traces whose exact answer it records in a
// manifest, traps for each known id, and optionally a hot id present in a
// fixed fraction of all records.
//
//	go run ./bench/gen --out DIR [--size 1GB] [--plain|--gzip|--zstd] [--hot 0.01] [--seed 1] [--traces 5]
//
// By default the two newest files of each stream are plain and older
// rotations gzip-compressed (app.log, app.log.1, app.log.2.gz …); --plain
// leaves every file uncompressed, --gzip and --zstd compress every file.
// The logs go to DIR/logs (point the search there: DIR/manifest.json lists
// the known ids and must not be searched); the manifest goes to
// DIR/manifest.json and is written last, so its presence means the corpus
// is complete. The same seed and size give the same bytes; the four
// compression choices give the same records.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/pipetracker/pipetracker/bench/corpus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, writes the corpus and prints a summary; it returns the
// process exit code: 0 done, 1 failed, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts           corpus.Options
		size           string
		plain, gz, zst bool
	)
	fs.StringVar(&opts.Out, "out", "", "output directory (created; must be empty or absent)")
	fs.StringVar(&size, "size", "1GB", "uncompressed corpus size, e.g. 2MB, 1GB, 1.5GiB")
	fs.BoolVar(&plain, "plain", false, "compress no file, not even old rotations")
	fs.BoolVar(&gz, "gzip", false, "gzip-compress every file")
	fs.BoolVar(&zst, "zstd", false, "zstd-compress every file")
	fs.Float64Var(&opts.Hot, "hot", 0, "fraction of all records that carry transaction_id="+corpus.HotID)
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	fs.IntVar(&opts.Traces, "traces", 5, "number of known traces")
	fs.IntVar(&opts.Workers, "workers", 0, "streams written at once (0: one per CPU)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gen: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var err error
	if opts.Size, err = corpus.ParseSize(size); err != nil {
		fmt.Fprintf(stderr, "gen: --size: %v\n", err)
		return 2
	}
	switch {
	case btoi(plain)+btoi(gz)+btoi(zst) > 1:
		fmt.Fprintln(stderr, "gen: --plain, --gzip and --zstd exclude each other")
		return 2
	case plain:
		opts.Compression = corpus.CompPlain
	case gz:
		opts.Compression = corpus.CompGzip
	case zst:
		opts.Compression = corpus.CompZstd
	}
	start := time.Now()
	m, err := corpus.Generate(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		if errors.Is(err, corpus.ErrUsage) {
			return 2
		}
		return 1
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "wrote %d files, %.1f MB (%.1f MB stored), %d lines in %.2fs (%.0f MB/s) to %s/%s\n",
		len(m.Files), float64(m.Bytes)/1e6, float64(m.StoredBytes)/1e6, m.Lines, el.Seconds(),
		float64(m.Bytes)/1e6/el.Seconds(), opts.Out, m.Root)
	for _, tr := range m.Traces {
		fmt.Fprintf(stdout, "known %s: %d events follow (%d services), %d no-follow\n",
			tr.ID, len(tr.Follow), len(tr.ServicesFollow), len(tr.NoFollow))
	}
	if m.Hot != nil {
		fmt.Fprintf(stdout, "hot %s: %d records\n", m.Hot.ID, m.Hot.Records)
	}
	return 0
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
