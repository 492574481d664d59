package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// cutBody gives up to n bytes of its text, then fails with err.
type cutBody struct {
	r   io.Reader
	err error
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.err
	}
	return n, err
}

func (b *cutBody) Close() error { return nil }

func TestResume(t *testing.T) {
	const text = "0123456789abcdefghijklmnopqrstuvwxyz"
	errCut := io.ErrUnexpectedEOF
	retryable := func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }
	// store serves text from off, cut after every step bytes while cuts
	// last; exact says what the opener answers.
	type store struct {
		step, cuts int
		exact      bool
		opens      []int64
		refuse     bool // a read from an offset fails
		whole      bool // a read from an offset answers the whole object
	}
	opener := func(s *store) Opener {
		return func(_ context.Context, off int64) (Opened, error) {
			s.opens = append(s.opens, off)
			if off > 0 && s.refuse {
				return Opened{}, errors.New("no range")
			}
			if s.whole {
				off = 0
			}
			rest := text[off:]
			o := Opened{Exact: s.exact, ContentRange: fmt.Sprintf("bytes %d-%d/%d", off, len(text)-1, len(text))}
			if s.cuts > 0 && len(rest) > s.step {
				s.cuts--
				o.Body = &cutBody{strings.NewReader(rest[:s.step]), errCut}
			} else {
				o.Body = &cutBody{strings.NewReader(rest), io.EOF}
			}
			return o, nil
		}
	}
	read := func(s *store, resumes int) (string, error) {
		r, err := Resume(t.Context(), opener(s), retryable, resumes)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		return string(b), err
	}

	s := &store{step: 10, cuts: 3, exact: true}
	if got, err := read(s, 4); err != nil || got != text {
		t.Errorf("three cuts, four resumes: %q, %v; want the whole text", got, err)
	}
	if want := []int64{0, 10, 20, 30}; !slices.Equal(s.opens, want) {
		t.Errorf("opened at %v, want %v", s.opens, want)
	}
	for _, c := range []struct {
		name string
		s    *store
		left int
		want string
	}{
		{"resumes spent", &store{step: 10, cuts: 3, exact: true}, 2, text[:30]},
		{"not exact", &store{step: 10, cuts: 1}, 4, text[:10]},
		{"resume refused", &store{step: 10, cuts: 1, exact: true, refuse: true}, 4, text[:10]},
		{"whole object again", &store{step: 10, cuts: 1, exact: true, whole: true}, 4, text[:10]},
	} {
		got, err := read(c.s, c.left)
		if got != c.want || !errors.Is(err, errCut) {
			t.Errorf("%s: %q, %v; want %q and the cut", c.name, got, err, c.want)
		}
	}
}

func TestResumedAt(t *testing.T) {
	for _, c := range []struct {
		header string
		off    int64
		ok     bool
	}{
		{"bytes 100-199/200", 100, true},
		{"bytes 0-199/200", 100, false},
		{"", 100, false},
		{"bytes */200", 100, false},
	} {
		if err := resumedAt(c.header, c.off); (err == nil) != c.ok {
			t.Errorf("resumedAt(%q, %d) = %v", c.header, c.off, err)
		}
	}
}
