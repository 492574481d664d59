package storetest

import (
	"context"
	"io"

	"github.com/pipetracker/pipetracker/internal/source"
)

// Remap turns a record a store's source sent into the record the contract
// suite's fixture expects (the file and line it was stored from), or fails
// when the store sent something the fixture did not store.
type Remap func(r *source.Record) (*source.Record, error)

// MapRecords wraps d so that the records of each source it opens pass
// through the Remap that remapFor returns for the source's spec; an error
// of remapFor is the open's error. It lets the contract suite, which
// stores files, run against stores whose records have provenance of
// their own (a topic's offset, an event's id).
func MapRecords(d source.Driver, remapFor func(spec source.Spec) (Remap, error)) source.Driver {
	return source.Driver{
		Scheme:      d.Scheme,
		Description: d.Description,
		Open: func(spec source.Spec) (source.Source, error) {
			remap, err := remapFor(spec)
			if err != nil {
				return nil, err
			}
			src, err := d.Open(spec)
			if err != nil {
				return nil, err
			}
			return &mappedSource{src: src, remap: remap}, nil
		},
	}
}

type mappedSource struct {
	src   source.Source
	remap Remap
}

func (m *mappedSource) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	return m.src.Scan(ctx, q, &mappedOutput{Output: out, remap: m.remap})
}

func (m *mappedSource) Close() error {
	if c, ok := m.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

type mappedOutput struct {
	source.Output
	remap Remap
}

func (m *mappedOutput) Record(r *source.Record) error {
	c, err := m.remap(r)
	if err != nil {
		return err
	}
	return m.Output.Record(c)
}
