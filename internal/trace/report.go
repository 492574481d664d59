package trace

import "time"

// Query is what the user asked.
type Query struct {
	ID      string   `json:"id"`
	Keys    []string `json:"keys"`
	Any     bool     `json:"any"`
	Follow  bool     `json:"follow"`
	Since   time.Time
	Until   time.Time
	Sources []string `json:"sources"` // locations, redacted for display
}

// LinkedID is an id discovered in the trace's records and searched for.
type LinkedID struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Depth is 1 for an id found beside the asked id, 2 for one found
	// beside a depth-1 id, and so on.
	Depth int `json:"depth"`
	// Via is the id ("key=value") whose record carried this one.
	Via string `json:"via"`
	// From is where it was first seen.
	From Origin `json:"from"`
	// Events counts the events matched through this id.
	Events int `json:"events"`
}

// Warning is a problem that did not stop the trace.
type Warning struct {
	// Source is the location concerned, redacted; empty for the trace as a whole.
	Source  string `json:"source,omitempty"`
	Message string `json:"message"`
}

// SourceStats says what one source did.
type SourceStats struct {
	Source  string `json:"source"`
	Files   int    `json:"files"`
	Bytes   int64  `json:"bytes"`
	Skipped int    `json:"skipped"`
	// SkippedBy counts the skipped files or objects by reason.
	SkippedBy map[string]int `json:"skipped_by"`
	// Since and Until are the window the source searched when it chose
	// one itself (a default window); zero otherwise.
	Since     time.Time     `json:"since"`
	Until     time.Time     `json:"until"`
	Truncated bool          `json:"truncated"`
	Failed    bool          `json:"failed"`
	Error     string        `json:"error,omitempty"`
	Records   int           `json:"records"` // candidate records returned
	Elapsed   time.Duration `json:"elapsed"`
}

// Stage is the time spent in one stage of the pipeline.
type Stage struct {
	Name    string        `json:"name"`
	Elapsed time.Duration `json:"elapsed"`
}

// Stats is what the trace cost.
type Stats struct {
	Elapsed time.Duration `json:"elapsed"`
	Stages  []Stage       `json:"stages"`
	Sources []SourceStats `json:"sources"`
	// Passes is the number of scans: 1 plus one per linked-id round.
	Passes int `json:"passes"`
}

// BytesScanned is the total of the sources' bytes.
func (s *Stats) BytesScanned() int64 {
	var n int64
	for _, src := range s.Sources {
		n += src.Bytes
	}
	return n
}

// Report is everything a trace produced: what the renderers show.
type Report struct {
	Query     Query
	Trace     Trace
	LinkedIDs []LinkedID
	Warnings  []Warning
	Stats     Stats
	// Verifications are the answers of the verifier endpoints, in the
	// order of the trace's path; empty when none was configured.
	Verifications []Verification
	// Redactions counts the values replaced by redaction, by rule; nil
	// when the report was not redacted.
	Redactions map[string]int
}

// Verification is the outcome of asking one service's verifier endpoint
// about the request.
type Verification struct {
	Service string `json:"service"`
	// Endpoint is the URL asked, redacted for display.
	Endpoint string `json:"endpoint"`
	// OK is true when the endpoint answered 2xx with a JSON object.
	OK bool `json:"ok"`
	// Status is the HTTP status, 0 when no answer came.
	Status int `json:"status"`
	// Error says what went wrong when OK is false.
	Error string `json:"error,omitempty"`
	// Response is the JSON object answered.
	Response map[string]any `json:"response,omitempty"`
	Elapsed  time.Duration  `json:"elapsed"`
}
