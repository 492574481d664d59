package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pipetracker/pipetracker/internal/trace"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	live        prometheus.Gauge
	rejected    prometheus.Counter
	stages      *prometheus.HistogramVec
	sourceBytes *prometheus.CounterVec
	sourceFiles *prometheus.CounterVec
	sourceFails *prometheus.CounterVec
	events      prometheus.Histogram
}

// newMetrics registers the collectors on reg, with the Go runtime's and
// the process's.
func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipetracker_http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipetracker_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipetracker_traces_in_flight",
			Help: "Traces running now.",
		}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pipetracker_live_traces",
			Help: "Live traces (WebSocket) open now.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pipetracker_traces_rejected_total",
			Help: "Traces refused with 429 because too many were in flight.",
		}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipetracker_trace_stage_duration_seconds",
			Help:    "Time spent per stage of the trace pipeline (scan, parse, assemble, redact).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"stage"}),
		sourceBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipetracker_source_bytes_total",
			Help: "Bytes read per source.",
		}, []string{"source"}),
		sourceFiles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipetracker_source_files_total",
			Help: "Files or objects read per source.",
		}, []string{"source"}),
		sourceFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipetracker_source_failures_total",
			Help: "Traces in which a source failed.",
		}, []string{"source"}),
		events: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pipetracker_trace_events",
			Help:    "Events per answered trace.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
	}
	cs := []prometheus.Collector{
		m.requests, m.latency, m.inFlight, m.live, m.rejected, m.stages,
		m.sourceBytes, m.sourceFiles, m.sourceFails, m.events,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				continue // a registry shared by two servers keeps the first
			}
			return nil, fmt.Errorf("server: metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// observeReport records a finished trace's stages and per-source work.
// Source labels are the configured locations as the report shows them
// (redacted), so their number is bounded by the configuration.
func (m *metrics) observeReport(rep *trace.Report) {
	for _, st := range rep.Stats.Stages {
		m.stages.WithLabelValues(st.Name).Observe(st.Elapsed.Seconds())
	}
	for _, src := range rep.Stats.Sources {
		m.sourceBytes.WithLabelValues(src.Source).Add(float64(src.Bytes))
		m.sourceFiles.WithLabelValues(src.Source).Add(float64(src.Files))
		if src.Failed {
			m.sourceFails.WithLabelValues(src.Source).Inc()
		}
	}
	m.events.Observe(float64(len(rep.Trace.Events)))
}

func (m *metrics) handler(reg *prometheus.Registry) http.HandlerFunc {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4})
	return h.ServeHTTP
}
