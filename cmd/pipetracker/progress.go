package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progressEvery is how often the progress line is redrawn.
const progressEvery = 200 * time.Millisecond

// progress shows how far a trace has got on one terminal line, redrawn in
// place: files and bytes read (over all passes), the rate and the time
// elapsed. stop clears the line, so that nothing of it is left before the
// output or an error. add is safe for concurrent use.
type progress struct {
	w     io.Writer
	start time.Time
	files atomic.Int64
	bytes atomic.Int64

	once sync.Once
	quit chan struct{}
	done chan struct{}
}

// startProgress starts redrawing a progress line on w every interval.
func startProgress(w io.Writer, every time.Duration) *progress {
	p := &progress{w: w, start: time.Now(), quit: make(chan struct{}), done: make(chan struct{})}
	go p.loop(every)
	return p
}

// add counts files and bytes read; it is an engine.Options.Progress.
func (p *progress) add(files int, bytes int64) {
	p.files.Add(int64(files))
	p.bytes.Add(bytes)
}

func (p *progress) loop(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	drawn := false
	for {
		select {
		case <-p.quit:
			if drawn {
				io.WriteString(p.w, "\r\x1b[K")
			}
			return
		case now := <-t.C:
			io.WriteString(p.w, "\r"+p.line(now)+"\x1b[K")
			drawn = true
		}
	}
}

// line is the text of the progress line at now.
func (p *progress) line(now time.Time) string {
	elapsed := now.Sub(p.start)
	files, bytes := p.files.Load(), p.bytes.Load()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(bytes) / elapsed.Seconds()
	}
	noun := "files"
	if files == 1 {
		noun = "file"
	}
	return fmt.Sprintf("pipetracker: scanning · %d %s · %s · %s/s · %.1fs",
		files, noun, humanBytes(float64(bytes)), humanBytes(rate), elapsed.Seconds())
}

// stop stops redrawing and clears the line; it may be called more than
// once.
func (p *progress) stop() {
	p.once.Do(func() {
		close(p.quit)
		<-p.done
	})
}

// humanBytes formats a byte count with a binary unit.
func humanBytes(n float64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%.0f B", n)
	}
	exp := 0
	for n >= unit*unit && exp < 4 {
		n /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", n/unit, "KMGTP"[exp])
}
