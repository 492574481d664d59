package blobtest

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// liveMetric is the heap that the last collection found reachable.
const liveMetric = "/gc/heap/live:bytes"

// PeakHeap runs f and returns how far the live heap rose above its level
// before f, at the highest: what f kept reachable (buffers, decoders,
// bodies in flight), without the garbage that the collector's pacing lets
// accumulate in proportion to the rest of the heap. It samples the figure
// every millisecond and forces a collection every 20 ms, so that it is
// never stale for long.
func PeakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: liveMetric}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var (
		peak uint64
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		lastGC := time.Now()
		for {
			if time.Since(lastGC) >= 20*time.Millisecond {
				runtime.GC()
				lastGC = time.Now()
			}
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// LogObject returns about size bytes of log lines for service, of which
// the first and the last hold transaction_id=id.
func LogObject(service, id string, seq, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 256)
	fmt.Fprintf(&b, "2025-10-21T10:00:00.000Z INFO %s begins transaction_id=%s seq=%d\n", service, id, seq)
	for i := 0; b.Len() < size-128; i++ {
		fmt.Fprintf(&b, "2025-10-21T10:%02d:%02d.%03dZ INFO %s step %d done transaction_id=TXN-%07d duration_ms=%d\n",
			i/60000%60, i/1000%60, i%1000, service, i, 1000000+(seq*7919+i)%7000000, i%997)
	}
	fmt.Fprintf(&b, "2025-10-21T10:59:59.999Z INFO %s ends transaction_id=%s seq=%d\n", service, id, seq)
	return b.Bytes()
}
