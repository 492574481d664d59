package exec

import (
	"errors"
	"strings"
)

// splitArgs splits a command line into its arguments as a POSIX shell
// would, without expanding anything: blanks separate arguments; single
// quotes keep everything up to the next single quote; double quotes keep
// everything up to the next unescaped double quote, a backslash escaping
// only $, `, ", \ and a newline there; elsewhere a backslash keeps the
// next character.
func splitArgs(line string) ([]string, error) {
	var (
		args []string
		cur  strings.Builder
		in   bool // an argument has started (possibly empty: "")
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			in = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("$`\"\\\n", line[i+1]) >= 0 {
					i++
					if line[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New("unterminated double quote")
			}
			in = true
		case c == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("backslash at the end")
			}
			i++
			if line[i] != '\n' {
				cur.WriteByte(line[i])
				in = true
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("no command")
	}
	return args, nil
}
