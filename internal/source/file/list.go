package file

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pipetracker/pipetracker/internal/source"
)

// maxDepth bounds directory recursion where links cannot be told apart.
const maxDepth = 100

// entry is a file to scan.
type entry struct {
	path string // to open
	name string // in warnings: the path as found from the location
	rel  string // Record.Path: relative to the source root, slash-separated
	size int64
	mod  time.Time
}

// list resolves loc to the files to scan, sorted by rel: a directory's
// regular files at any depth, a single file, or the files a glob matches
// and all files under the directories it matches ("**" matches any number
// of directories). Symbolic links are followed; a directory reached twice
// (a link loop) is read once and reported, a file reached twice is read
// once. Problems met on the way are warnings; a location that does not
// exist, or a glob that matches nothing, is an error.
func list(ctx context.Context, loc string, out source.Output) ([]entry, error) {
	fi, err := os.Stat(loc)
	switch {
	case err == nil && fi.IsDir():
		w := newWalker(ctx, out, nil)
		w.dir(loc, "", fi, 0)
		return w.result()
	case err == nil:
		base := filepath.Base(loc)
		return []entry{{path: loc, name: loc, rel: base, size: fi.Size(), mod: fi.ModTime()}}, nil
	case os.IsNotExist(err) && hasMeta(loc):
		root, pat := splitGlob(loc)
		rfi, err := os.Stat(root)
		if err != nil || !rfi.IsDir() {
			return nil, fmt.Errorf("file: no files match %s", loc)
		}
		w := newWalker(ctx, out, pat)
		w.dir(root, "", rfi, 0)
		files, err := w.result()
		if err == nil && len(files) == 0 {
			err = fmt.Errorf("file: no files match %s", loc)
		}
		return files, err
	}
	return nil, fmt.Errorf("file: %w", err)
}

// walker collects the files under a directory.
type walker struct {
	ctx     context.Context
	out     source.Output
	pattern []string // glob segments below the root; nil takes everything
	visited map[fileID]string
	files   []entry
	seen    map[fileID]bool
}

func newWalker(ctx context.Context, out source.Output, pattern []string) *walker {
	return &walker{ctx: ctx, out: out, pattern: pattern, visited: make(map[fileID]string), seen: make(map[fileID]bool)}
}

func (w *walker) result() ([]entry, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(w.files, func(a, b entry) int { return strings.Compare(a.rel, b.rel) })
	return w.files, nil
}

// dir adds the files under the directory p (rel below the root, fi its
// information). Once a directory matches the whole pattern, everything
// under it is taken.
func (w *walker) dir(p, rel string, fi fs.FileInfo, depth int) {
	if w.ctx.Err() != nil {
		return
	}
	if id, ok := idOf(fi); ok {
		if first, dup := w.visited[id]; dup {
			reason := "already read as " + first
			if isAncestor(first, p) {
				reason = "a symbolic link loop back to " + first
			}
			w.out.Warn(fmt.Sprintf("skipped directory %s: %s", p, reason))
			return
		}
		w.visited[id] = p
	}
	if depth > maxDepth {
		w.out.Warn(fmt.Sprintf("skipped directory %s: deeper than %d levels", p, maxDepth))
		return
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		w.out.Warn(fmt.Sprintf("cannot list directory %s: %v", p, unwrapPath(err)))
		// ReadDir returns what it read before the error.
	}
	for _, e := range ents {
		cp, crel := filepath.Join(p, e.Name()), path.Join(rel, e.Name())
		segs := strings.Split(crel, "/")
		full, prefix := true, true
		if w.pattern != nil {
			full, prefix = matchSegs(w.pattern, segs), prefixSegs(w.pattern, segs)
		}
		if !full && !prefix {
			continue
		}
		var cfi fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			cfi, err = os.Stat(cp)
			if err != nil {
				if full {
					w.out.Warn(fmt.Sprintf("skipped %s: broken symbolic link", cp))
				}
				continue
			}
		} else if cfi, err = e.Info(); err != nil {
			if full {
				w.out.Warn(fmt.Sprintf("skipped %s: %v", cp, unwrapPath(err)))
			}
			continue
		}
		switch {
		case cfi.IsDir():
			sub := w
			if full && w.pattern != nil {
				// A matching directory is read whole.
				sub = &walker{ctx: w.ctx, out: w.out, visited: w.visited, seen: w.seen}
			}
			sub.dir(cp, crel, cfi, depth+1)
			if sub != w {
				w.files = append(w.files, sub.files...)
			}
		case full && cfi.Mode().IsRegular():
			if id, ok := idOf(cfi); ok {
				if w.seen[id] {
					continue // the same file through another link
				}
				w.seen[id] = true
			}
			w.files = append(w.files, entry{path: cp, name: cp, rel: crel, size: cfi.Size(), mod: cfi.ModTime()})
		}
	}
}

// isAncestor reports whether directory a contains p.
func isAncestor(a, p string) bool {
	rel, err := filepath.Rel(a, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// hasMeta reports whether p holds glob syntax.
func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[`) }

// splitGlob splits a glob into the directory before its first segment with
// glob syntax (the root) and the segments from there on.
func splitGlob(glob string) (root string, pattern []string) {
	slash := filepath.ToSlash(glob)
	segs := strings.Split(slash, "/")
	i := 0
	for i < len(segs) && !hasMeta(segs[i]) {
		i++
	}
	root = strings.Join(segs[:i], "/")
	switch {
	case root == "" && strings.HasPrefix(slash, "/"):
		root = "/"
	case root == "":
		root = "."
	}
	for _, s := range segs[i:] {
		if s != "" {
			pattern = append(pattern, s)
		}
	}
	return filepath.FromSlash(root), pattern
}

// matchSegs reports whether the path segments match the pattern's, where
// "**" matches any number of segments.
func matchSegs(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegs(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], segs[0])
	return ok && matchSegs(pat[1:], segs[1:])
}

// prefixSegs reports whether some longer path starting with segs (a
// directory) could match the pattern.
func prefixSegs(pat, segs []string) bool {
	if len(segs) == 0 {
		return true
	}
	if len(pat) == 0 {
		return false
	}
	if pat[0] == "**" {
		return true
	}
	ok, _ := path.Match(pat[0], segs[0])
	return ok && prefixSegs(pat[1:], segs[1:])
}
