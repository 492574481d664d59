package victorialogs

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/pipetracker/pipetracker/internal/logline"
	"github.com/pipetracker/pipetracker/internal/source"
	"github.com/pipetracker/pipetracker/internal/trace"
)

// serviceFields and levelFields are the fields that name a record's
// service and level when the options name none, in order of preference.
var (
	serviceFields = []string{"service", "service.name", "service_name", "app", "application",
		"kubernetes.container_name", "kubernetes.pod_labels.app", "k8s.container.name", "container_name", "container", "job"}
	levelFields = []string{"level", "log.level", "severity", "severity_text", "lvl", "loglevel"}
)

// rowRecord is a source.Record with the buffer its Data lives in, reused
// from row to row.
type rowRecord struct {
	source.Record
	data []byte
}

// toRecord fills rec from one row of a response. Data is the message
// (_msg) as stored; Fields are the row's other fields but the internal
// _time, _stream and _stream_id. Time is _time. The level is the level
// field's; a row without one has its message parsed for level, message
// and key=value fields (a plain log line stored as it was written), the
// row's own fields winning. The service is the entry's, else the service
// field's, else the parsed line's. Path is path_field's value, else the stream
// (its labels); Line is line_field's value, else a key of the row (a hash
// of its time, stream and message) that is the same in every scan, so the
// engine keeps a record found again in a later pass once.
func (s *Source) toRecord(row map[string]any, rec *rowRecord) {
	msg := str(row["_msg"])
	stream := str(row["_stream"])
	tstr := str(row["_time"])
	t, _ := time.Parse(time.RFC3339Nano, tstr)

	fields := make(map[string]any, len(row))
	for k, v := range row {
		switch k {
		case "_msg", "_time", "_stream", "_stream_id":
			continue
		}
		fields[k] = v
	}
	level := pick(fields, s.cfg.levelField, levelFields)
	message, parsedService := msg, ""
	if level == "" && msg != "" {
		var lv trace.Level
		lv, parsedService, message = logline.FromBody(msg, fields, logline.Options{Location: s.spec.Timezone})
		level = string(lv)
	}
	service := s.spec.Service
	if service == "" {
		service = pick(fields, s.cfg.serviceField, serviceFields)
	}
	if service == "" {
		service = parsedService
	}

	rec.data = append(rec.data[:0], msg...)
	rec.Record = source.Record{
		Data:    rec.data,
		Path:    stream,
		Service: service,
		Time:    t,
		Level:   level,
		Message: message,
		Fields:  fields,
	}
	if p := str(fields[s.cfg.pathField]); s.cfg.pathField != "" && p != "" {
		rec.Path = p
	}
	if rec.Path == "" {
		rec.Path = "{}"
	}
	if n, err := strconv.ParseInt(str(fields[s.cfg.lineField]), 10, 64); s.cfg.lineField != "" && err == nil && n > 0 {
		rec.Line = n
	} else {
		rec.Line = rowKey(t, stream, msg)
	}
}

// pick returns the value of the field named by option, else of the first
// of names the fields hold.
func pick(fields map[string]any, option string, names []string) string {
	if option != "" {
		return str(fields[option])
	}
	for _, n := range names {
		if v := str(fields[n]); v != "" {
			return v
		}
	}
	return ""
}

// str returns v as a string: strings and numbers as written, "" else.
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	}
	return ""
}

// rowKey returns a positive number that identifies a row by its time,
// stream and message (FNV-1a, 63 bits).
func rowKey(t time.Time, stream, msg string) int64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(t.UnixNano()))
	h.Write(b[:])
	h.Write([]byte(stream))
	h.Write([]byte{0})
	h.Write([]byte(msg))
	k := int64(h.Sum64() >> 1)
	if k == 0 {
		k = 1
	}
	return k
}
