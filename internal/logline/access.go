package logline

import (
	"strings"
)

// parseAccess reads an nginx/Apache access log line in the common or
// combined layout:
//
//	1.2.3.4 - user [02/Jan/2006:15:04:05 -0700] "GET /x HTTP/1.1" 200 123 "referer" "agent" …
//
// (a virtual host before the address is allowed). The level comes from
// the status: ≥500 error, ≥400 warn, else info. The message is the
// request line and the status. Key=value pairs after the known fields are
// read too.
func (p *parser) parseAccess(s string) (result, bool) {
	lb := strings.IndexByte(s[:min(len(s), 512)], '[')
	if lb < 5 || s[lb-1] != ' ' {
		return result{}, false
	}
	head := s[:lb-1]
	if strings.Count(head, " ") < 2 {
		return result{}, false
	}
	rb := strings.IndexByte(s[lb:min(len(s), lb+40)], ']')
	if rb < 0 {
		return result{}, false
	}
	rb += lb
	var c clock
	stamp := s[lb+1 : rb]
	if n, ok := scanDayMonthYear(stamp, 0, &c); !ok || n != len(stamp) || stamp[2] != '/' {
		return result{}, false
	}
	rest := s[rb+1:]
	if !strings.HasPrefix(rest, ` "`) {
		return result{}, false
	}
	request, end, ok := accessQuoted(rest, 1)
	if !ok || end+4 > len(rest) || rest[end] != ' ' {
		return result{}, false
	}
	status, ok := num(rest, end+1, 3)
	if !ok || status < 100 || (end+4 < len(rest) && rest[end+4] != ' ') {
		return result{}, false
	}
	statusText := rest[end+1 : end+4]
	rest = rest[end+4:]

	r := result{rec: Record{Format: FormatAccess, Level: statusLevel(status)}}
	if t, ok := c.resolve(p.loc, p.ref); ok {
		r.rec.Time, r.full = t, true
	}
	r.rec.Message = request + " " + statusText
	f := make(map[string]any, 12)
	sp := strings.LastIndexByte(head, ' ')
	user := head[sp+1:]
	head = head[:sp]
	sp = strings.LastIndexByte(head, ' ') // before the ident field
	addr := head[:sp]
	if i := strings.IndexByte(addr, ' '); i >= 0 {
		f["vhost"] = addr[:i]
		addr = addr[i+1:]
	}
	f["remote_addr"] = addr
	if user != "-" {
		f["remote_user"] = user
	}
	f["request"] = request
	if method, more, ok := strings.Cut(request, " "); ok {
		f["request_method"] = method
		uri, proto, _ := strings.Cut(more, " ")
		f["request_uri"] = uri
		if proto != "" {
			f["server_protocol"] = proto
		}
	}
	f["status"] = statusText
	// Body bytes, then the referer and user agent of the combined layout.
	if len(rest) > 1 && rest[0] == ' ' {
		j := 1
		for j < len(rest) && rest[j] != ' ' {
			j++
		}
		if b := rest[1:j]; b != "" && b != "-" {
			f["body_bytes_sent"] = b
		}
		rest = rest[j:]
		for _, name := range [...]string{"http_referer", "http_user_agent"} {
			if !strings.HasPrefix(rest, ` "`) {
				break
			}
			v, end, ok := accessQuoted(rest, 1)
			if !ok {
				break
			}
			if v != "-" && v != "" {
				f[name] = v
			}
			rest = rest[end:]
		}
	}
	for k, v := range textPairs(rest) {
		if _, dup := f[k]; !dup {
			f[k] = v
		}
	}
	r.rec.Fields = f
	return r, true
}

// accessQuoted reads a double-quoted field at s[i:] as nginx and Apache
// write it (a '"' inside is escaped with a backslash or as \x22), and
// returns its raw content and its end.
func accessQuoted(s string, i int) (string, int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return s[i+1 : j], j + 1, true
		}
	}
	return "", 0, false
}
