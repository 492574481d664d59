package datadog

import "strings"

// idsPerQuery bounds how many ids one search holds; more ids are searched
// in several queries.
const idsPerQuery = 25

// Query returns the Datadog search for the events of the user's query that
// hold one of ids. Each id is a quoted sequence, with backslashes and
// double quotes escaped, so that no character of an id acts as syntax;
// with fullText it is searched in every attribute ("*:" prefix), else in
// the message only. The user's query is kept whole in parentheses.
func Query(user string, ids []string, fullText bool) string {
	terms := make([]string, len(ids))
	for i, id := range ids {
		terms[i] = Term(id, fullText)
	}
	group := strings.Join(terms, " OR ")
	if len(terms) > 1 {
		group = "(" + group + ")"
	}
	if user = strings.TrimSpace(user); user == "" || user == "*" {
		return group
	}
	return "(" + user + ") " + group
}

// Term returns id as a quoted search sequence.
func Term(id string, fullText bool) string {
	var b strings.Builder
	if fullText {
		b.WriteString("*:")
	}
	b.WriteByte('"')
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(id[i])
	}
	b.WriteByte('"')
	return b.String()
}
