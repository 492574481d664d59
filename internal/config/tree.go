package config

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on what one document may make the decoder do.
const (
	// maxAliases is the most aliases (*name) a document may use.
	maxAliases = 1000
	// maxExpanded is the most values a document may hold once every alias
	// is expanded; it stops "billion laughs" documents, which are small as
	// text and huge as data.
	maxExpanded = 1_000_000
	// maxFlowDepth is the deepest nesting of [ and { accepted.
	maxFlowDepth = 32
	// maxCompact is the longest run of "-", "?", anchors and tags accepted
	// before a value.
	maxCompact = 32
	// maxBlockKeys is the most keys accepted in one block mapping.
	maxBlockKeys = 1000
)

// kind is the type of a YAML value after tags and aliases are resolved.
type kind int

const (
	kindNull kind = iota
	kindString
	kindInt
	kindFloat
	kindBool
	kindMap
	kindSeq
)

// node is a YAML value with its position. Aliases share the node of their
// anchor, so the tree is a directed acyclic graph and expanding it is never
// done eagerly.
type node struct {
	kind      kind
	line, col int
	text      string  // scalars: the text as written, without quotes
	num       any     // kindInt: int64 or uint64, nil when out of range
	flag      bool    // kindBool
	items     []*node // kindSeq
	entries   []entry // kindMap, merge keys already applied
	size      int64   // values in the fully expanded subtree, this one included
}

// entry is one key of a mapping.
type entry struct {
	key       string
	line, col int // of the key
	value     *node
}

// describe returns how a value is named in a message.
func (n *node) describe() string {
	switch n.kind {
	case kindNull:
		return "null"
	case kindString:
		s := n.text
		if len([]rune(s)) > 40 {
			s = string([]rune(s)[:40]) + "…"
		}
		return strconv.Quote(s)
	case kindMap:
		return "a mapping"
	case kindSeq:
		return "a list"
	default:
		return n.text
	}
}

// builder converts the parser's syntax tree into nodes, resolving anchors,
// aliases, merge keys and tags, and reporting what it cannot convert.
type builder struct {
	l        *loader
	anchors  map[string]ast.Node // latest definition of each anchor name
	built    map[ast.Node]*node  // so an alias shares its anchor's node
	building map[ast.Node]bool   // nodes being converted, to refuse cycles
	aliases  int
	stopped  bool // a limit was hit; the document is refused
}

// parseTree parses data into the node of its single document; nil when the
// document is empty or could not be parsed (the problems say why).
func (l *loader) parseTree(data []byte) (root *node) {
	defer func() {
		// The parser is third-party code fed with untrusted text; a panic
		// there must become a problem, not a crash of the program. Its
		// value is left out: it may quote the document.
		if r := recover(); r != nil {
			l.problems = append(l.problems, Problem{File: l.name, Message: "syntax error: the YAML parser failed on this document"})
			root = nil
		}
	}()
	tokens := lexer.Tokenize(string(data))
	if !l.checkShape(tokens) {
		return nil
	}
	file, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		l.syntaxProblem(err)
		return nil
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			line, col := position(doc.Body)
			if doc.Start != nil && doc.Start.Position != nil {
				line, col = doc.Start.Position.Line, doc.Start.Position.Column
			}
			l.problems = append(l.problems, Problem{File: l.name, Line: line, Column: col,
				Message: "multiple YAML documents are not supported; put every setting in one document"})
			return nil
		}
		body = doc.Body
	}
	if body == nil {
		return nil
	}
	b := &builder{
		l:        l,
		anchors:  make(map[string]ast.Node),
		built:    make(map[ast.Node]*node),
		building: make(map[ast.Node]bool),
	}
	root = b.build(body, "")
	if b.stopped {
		return nil
	}
	return root
}

// checkShape refuses documents shaped unlike any configuration before they
// reach the parser, whose time grows with the square of their nesting depth
// and of the number of keys in one block mapping: flow collections ([ and {)
// more than maxFlowDepth deep, more than maxCompact entries, keys, anchors or
// tags opened one after the other (as in "- - - x"), and block mappings with
// more than maxBlockKeys keys.
func (l *loader) checkShape(tokens token.Tokens) bool {
	depth, run := 0, 0
	// blocks holds the key column and key count of the block mappings
	// open at the current token, innermost last.
	type block struct{ col, keys int }
	var blocks []block
	for i, tk := range tokens {
		col := 0
		if tk.Position != nil {
			col = tk.Position.Column
		}
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			depth++
			if depth > maxFlowDepth {
				l.shapeProblem(tk, fmt.Sprintf("collections nested more than %d deep", maxFlowDepth))
				return false
			}
		case token.SequenceEndType, token.MappingEndType:
			depth = max(0, depth-1)
		case token.SequenceEntryType:
			// An entry ends the mappings of the entry before it.
			for len(blocks) > 0 && blocks[len(blocks)-1].col > col {
				blocks = blocks[:len(blocks)-1]
			}
		case token.MappingValueType:
			if depth > 0 || i == 0 || tokens[i-1].Position == nil {
				break
			}
			key := tokens[i-1].Position.Column
			for len(blocks) > 0 && blocks[len(blocks)-1].col > key {
				blocks = blocks[:len(blocks)-1]
			}
			if len(blocks) == 0 || blocks[len(blocks)-1].col < key {
				blocks = append(blocks, block{col: key})
			}
			b := &blocks[len(blocks)-1]
			b.keys++
			if b.keys > maxBlockKeys {
				l.shapeProblem(tokens[i-1], fmt.Sprintf("a mapping with more than %d keys", maxBlockKeys))
				return false
			}
		}
		switch tk.Type {
		case token.SequenceEntryType, token.MappingKeyType, token.AnchorType, token.TagType:
			run++
			if run > maxCompact {
				l.shapeProblem(tk, fmt.Sprintf("more than %d nested entries, keys, anchors or tags in a row", maxCompact))
				return false
			}
		default:
			// The name after & is part of the anchor.
			if i == 0 || tokens[i-1].Type != token.AnchorType {
				run = 0
			}
		}
	}
	return true
}

// shapeProblem records a problem that refuses the document at tk.
func (l *loader) shapeProblem(tk *token.Token, msg string) {
	p := Problem{File: l.name, Message: "document refused: " + msg}
	if tk.Position != nil {
		p.Line, p.Column = tk.Position.Line, tk.Position.Column
	}
	l.problems = append(l.problems, p)
}

// syntaxProblem records a parse error at its position.
func (l *loader) syntaxProblem(err error) {
	// The message is taken without the parser's source excerpt, whose
	// formatting takes time in proportion to the whole document.
	p := Problem{File: l.name}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Message = "syntax error: " + ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
	} else {
		p.Message = "syntax error: " + err.Error()
	}
	l.problems = append(l.problems, p)
}

// position returns where a syntax node starts, 0, 0 when unknown.
func position(n ast.Node) (line, col int) {
	if n == nil {
		return 0, 0
	}
	tk := n.GetToken()
	switch n := n.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 && n.Values[0] != nil && n.Values[0].Key != nil {
			return position(n.Values[0].Key)
		}
		tk = n.Start
	case *ast.MappingValueNode:
		if n.Key != nil {
			return position(n.Key)
		}
	case *ast.SequenceNode:
		tk = n.Start
	case *ast.LiteralNode:
		tk = n.Start
	case *ast.TagNode:
		tk = n.Start
	case *ast.AnchorNode:
		tk = n.Start
	case *ast.AliasNode:
		tk = n.Start
	case *ast.SequenceEntryNode:
		tk = n.Start
	}
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// problem records a problem found while building, at a syntax node.
func (b *builder) problem(n ast.Node, field, msg string) {
	line, col := position(n)
	b.l.problems = append(b.l.problems, Problem{File: b.l.name, Line: line, Column: col, Field: field, Message: msg})
}

// stop records a problem that refuses the whole document.
func (b *builder) stop(line, col int, msg string) {
	if !b.stopped {
		b.l.problems = append(b.l.problems, Problem{File: b.l.name, Line: line, Column: col, Message: msg})
	}
	b.stopped = true
}

// build converts n; path is the dotted path of n, used in problems.
func (b *builder) build(n ast.Node, path string) *node {
	if b.stopped {
		return &node{kind: kindNull, size: 1}
	}
	if n == nil {
		return &node{kind: kindNull, size: 1}
	}
	if done, ok := b.built[n]; ok {
		return done
	}
	if b.building[n] {
		// Only an alias can lead back into a value being converted, and
		// alias reports that itself.
		return &node{kind: kindNull, size: 1}
	}
	b.building[n] = true
	out := b.convert(n, path)
	delete(b.building, n)
	b.built[n] = out
	if out.size > maxExpanded {
		b.stop(out.line, out.col, fmt.Sprintf("aliases expand the document to more than %d values", maxExpanded))
	}
	return out
}

// convert does the work of build for one syntax node.
func (b *builder) convert(n ast.Node, path string) *node {
	line, col := position(n)
	out := &node{line: line, col: col, size: 1}
	switch n := n.(type) {
	case *ast.NullNode:
		out.kind = kindNull
		if tk := n.GetToken(); tk != nil && tk.Type != token.ImplicitNullType {
			out.text = tk.Value
		}
	case *ast.BoolNode:
		out.kind, out.text, out.flag = kindBool, n.GetToken().Value, n.Value
	case *ast.IntegerNode:
		out.kind, out.text, out.num = kindInt, n.GetToken().Value, n.Value
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		out.kind, out.text = kindFloat, n.GetToken().Value
	case *ast.StringNode:
		out.kind, out.text = kindString, n.Value
	case *ast.LiteralNode:
		out.kind = kindString
		if n.Value != nil {
			out.text = n.Value.Value
		}
	case *ast.MergeKeyNode:
		out.kind, out.text = kindString, n.GetToken().Value
	case *ast.SequenceNode:
		out.kind = kindSeq
		out.items = make([]*node, 0, len(n.Values))
		for i, v := range n.Values {
			item := b.build(v, fmt.Sprintf("%s[%d]", path, i))
			if v == nil || isImplicitNull(v) {
				// An empty entry is placed at its dash.
				item = &node{kind: kindNull, line: line, col: col, size: 1}
				if i < len(n.Entries) && n.Entries[i] != nil {
					item.line, item.col = position(n.Entries[i])
				}
			}
			out.items = append(out.items, item)
			out.size = addSize(out.size, item.size)
		}
	case *ast.MappingNode:
		b.mapping(out, n.Values, path)
	case *ast.MappingValueNode:
		b.mapping(out, []*ast.MappingValueNode{n}, path)
	case *ast.AnchorNode:
		name := anchorName(n.Name)
		b.anchors[name] = n.Value
		return b.build(n.Value, path)
	case *ast.AliasNode:
		return b.alias(n, path)
	case *ast.TagNode:
		return b.tagged(n, path)
	default:
		b.problem(n, path, fmt.Sprintf("unsupported YAML construct (%s)", n.Type()))
	}
	return out
}

// alias resolves *name to the node of the latest anchor &name before it.
func (b *builder) alias(n *ast.AliasNode, path string) *node {
	line, col := position(n)
	b.aliases++
	if b.aliases > maxAliases {
		b.stop(line, col, fmt.Sprintf("too many aliases: more than %d", maxAliases))
		return &node{kind: kindNull, size: 1}
	}
	name := anchorName(n.Value)
	target, ok := b.anchors[name]
	if !ok {
		b.problem(n, path, fmt.Sprintf("unknown anchor %q", name))
		return &node{kind: kindNull, line: line, col: col, size: 1}
	}
	if b.building[target] {
		b.problem(n, path, fmt.Sprintf("alias *%s refers to a value that contains it", name))
		return &node{kind: kindNull, line: line, col: col, size: 1}
	}
	shared := b.build(target, path)
	// The copy places the value where the alias is, so that a problem
	// with the value as a whole points at its use; its contents stay shared.
	use := *shared
	use.line, use.col = line, col
	return &use
}

// tagged applies a standard tag; other tags are refused.
func (b *builder) tagged(n *ast.TagNode, path string) *node {
	tag := ""
	if n.Start != nil {
		tag = n.Start.Value
	}
	v := b.build(n.Value, path)
	switch tag {
	case "!!str", "tag:yaml.org,2002:str":
		switch v.kind {
		case kindMap, kindSeq:
			b.problem(n, path, fmt.Sprintf("%s needs a scalar, got %s", tag, v.describe()))
			return v
		}
		s := *v
		s.kind = kindString
		return &s
	case "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
		return v
	default:
		b.problem(n, path, fmt.Sprintf("unsupported tag %q", tag))
		return v
	}
}

// mapping fills out with the entries of a mapping: explicit keys first, in
// order, then keys brought in by merge keys (<<) that are not written
// explicitly; among merged mappings the first one listed wins.
func (b *builder) mapping(out *node, values []*ast.MappingValueNode, path string) {
	out.kind = kindMap
	first := make(map[string]int)
	var merged []entry
	for _, mv := range values {
		if mv == nil {
			continue
		}
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			merged = append(merged, b.mergeEntries(mv, path)...)
			continue
		}
		kn := b.build(mv.Key, path)
		if kn.kind == kindMap || kn.kind == kindSeq {
			b.problem(mv.Key, path, "a mapping key must be a scalar")
			continue
		}
		key := kn.text
		if kn.kind == kindNull {
			key = ""
		}
		kline, kcol := position(mv.Key)
		if at, dup := first[key]; dup {
			b.problem(mv.Key, path, fmt.Sprintf("duplicate key %q (first at line %d)", key, out.entries[at].line))
			continue
		}
		v := b.build(mv.Value, joinPath(path, key))
		if mv.Value == nil || isImplicitNull(mv.Value) {
			// An empty value is placed at its key.
			v = &node{kind: kindNull, line: kline, col: kcol, size: 1}
		}
		first[key] = len(out.entries)
		out.entries = append(out.entries, entry{key: key, line: kline, col: kcol, value: v})
		out.size = addSize(out.size, v.size)
	}
	for _, e := range merged {
		if _, dup := first[e.key]; dup {
			continue
		}
		first[e.key] = len(out.entries)
		out.entries = append(out.entries, e)
		out.size = addSize(out.size, e.value.size)
	}
}

// mergeEntries returns the entries a merge key brings in: its value is a
// mapping or a list of mappings.
func (b *builder) mergeEntries(mv *ast.MappingValueNode, path string) []entry {
	v := b.build(mv.Value, path)
	switch v.kind {
	case kindMap:
		return v.entries
	case kindSeq:
		var out []entry
		for _, item := range v.items {
			if item.kind != kindMap {
				b.problem(mv.Key, path, "<< needs a mapping or a list of mappings")
				return nil
			}
			out = append(out, item.entries...)
		}
		return out
	default:
		b.problem(mv.Key, path, "<< needs a mapping or a list of mappings")
		return nil
	}
}

// isImplicitNull reports whether n is a value left empty in the text.
func isImplicitNull(n ast.Node) bool {
	null, ok := n.(*ast.NullNode)
	return ok && null.Token != nil && null.Token.Type == token.ImplicitNullType
}

// anchorName returns the name held by an anchor's or alias's name node.
func anchorName(n ast.Node) string {
	if n == nil {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// joinPath appends a key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// addSize adds without overflowing.
func addSize(a, b int64) int64 {
	if a > maxExpanded || b > maxExpanded {
		return maxExpanded + 1
	}
	return a + b
}
