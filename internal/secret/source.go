package secret

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"

	"github.com/pipetracker/pipetracker/internal/source"
)

// TokenPrefix starts every Fernet token: the version byte 0x80 and the
// high bytes of a time, in base64. Sources are asked for records holding
// it to find the encrypted ones.
const TokenPrefix = "gAAAAA"

// DecryptingRegistry returns a registry whose sources decrypt the records
// that are Fernet tokens made with k before the engine matches them. It
// asks each source also for the records that contain a token's prefix,
// decrypts those, and passes on the ones whose text contains an id of the
// query; records that are not tokens, or tokens of another key, pass as
// they are (the engine matches them as usual), and each source warns once
// about tokens it could not decrypt.
func DecryptingRegistry(reg *source.Registry, k *Key) *source.Registry {
	drivers := reg.Drivers()
	for i, d := range drivers {
		open := d.Open
		drivers[i].Open = func(spec source.Spec) (source.Source, error) {
			src, err := open(spec)
			if err != nil {
				return nil, err
			}
			return &decrypting{src: src, key: k}, nil
		}
	}
	return source.NewRegistry(drivers...)
}

// decrypting is a Source that decrypts token records.
type decrypting struct {
	src source.Source
	key *Key
}

func (d *decrypting) Scan(ctx context.Context, q *source.Query, out source.Output) (source.Stats, error) {
	q2 := *q
	q2.IDs = append(slices.Clone(q.IDs), TokenPrefix)
	return d.src.Scan(ctx, &q2, &decryptOutput{Output: out, key: d.key, ids: q.IDs})
}

// Close closes the wrapped source when it holds resources.
func (d *decrypting) Close() error {
	if c, ok := d.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

type decryptOutput struct {
	source.Output
	key    *Key
	ids    []string
	warned sync.Once
}

// RecordText returns the text of a record that is a Fernet token made
// with k, without its final line break, and true; nil and false for a
// record that is not a token. A token k cannot decrypt is an error.
func (k *Key) RecordText(data []byte) ([]byte, bool, error) {
	if !LooksLikeToken(data) {
		return nil, false, nil
	}
	plain, err := k.Decrypt(data)
	if err != nil {
		return nil, true, err
	}
	return bytes.TrimRight(plain, "\r\n"), true, nil
}

func (o *decryptOutput) Record(rec *source.Record) error {
	plain, token, err := o.key.RecordText(rec.Data)
	if !token {
		return o.Output.Record(rec)
	}
	if err != nil {
		o.warned.Do(func() {
			o.Output.Warn("records that look encrypted could not be decrypted with " + KeyEnv + " (first at " + rec.Path + ")")
		})
		return o.Output.Record(rec)
	}
	for _, id := range o.ids {
		if bytes.Contains(plain, []byte(id)) {
			r2 := *rec
			r2.Data = plain
			return o.Output.Record(&r2)
		}
	}
	return nil
}
