package blob

import (
	"path"
	"regexp"
	"strings"
)

// ServiceFromPath names the service a file belongs to from its path
// relative to the source root (slash-separated):
//
//   - a file under a directory belongs to the first directory under the
//     root ("checkout/2025/app.log" → "checkout");
//   - a Kubernetes pod directory ("<namespace>_<pod>_<uid>", as under
//     /var/log/pods) gives the pod's workload (Workload);
//   - a Kubernetes container log ("<pod>_<namespace>_<container>-<64 hex>.log",
//     as under /var/log/containers) gives the container's name;
//   - a file at the root gives its name without the ".log" suffix and what
//     follows it, or without its compression, rotation and extension
//     suffixes, and without a trailing date ("payments.log.2.gz" →
//     "payments", "orders-2025-10-21.log" → "orders", "syslog.1" → "syslog").
//
// The "pods" and "containers" directories of a /var/log root are looked
// through. ServiceFromPath returns "" for an empty path.
func ServiceFromPath(rel string) string {
	rel = strings.TrimLeft(path.Clean("/"+rel), "/")
	if rel == "" {
		return ""
	}
	segs := strings.Split(rel, "/")
	switch {
	case len(segs) == 1:
		return fileService(segs[0])
	case segs[0] == "pods" && len(segs) > 2 && isPodDir(segs[1]):
		segs = segs[1:]
	case segs[0] == "containers" && len(segs) == 2:
		if c, ok := containerLog(segs[1]); ok {
			return c
		}
	}
	if isPodDir(segs[0]) {
		return Workload(strings.Split(segs[0], "_")[1])
	}
	return segs[0]
}

// Workload returns the name of what runs a Kubernetes pod, from the pod's
// name: without the ReplicaSet hash and random suffix of a Deployment's pod
// ("checkout-7d9f8c6b5-x2k4p" → "checkout"), the random suffix of a
// DaemonSet's or Job's pod, the schedule of a CronJob's job, or the
// ordinal of a StatefulSet's pod ("redis-2" → "redis"). Other names are
// returned unchanged.
func Workload(pod string) string {
	parts := strings.Split(pod, "-")
	if len(parts) < 2 {
		return pod
	}
	last := parts[len(parts)-1]
	switch {
	case allDigits(last):
		parts = parts[:len(parts)-1]
	case len(last) == 5 && kubeRandom(last):
		parts = parts[:len(parts)-1]
		if len(parts) >= 2 {
			prev := parts[len(parts)-1]
			if (len(prev) >= 6 && len(prev) <= 10 && kubeRandom(prev)) || (len(prev) >= 7 && allDigits(prev)) {
				parts = parts[:len(parts)-1] // ReplicaSet hash or CronJob schedule
			}
		}
	default:
		return pod
	}
	if name := strings.Join(parts, "-"); name != "" {
		return name
	}
	return pod
}

// kubeRandom reports whether s is made of the characters Kubernetes uses
// for generated names and hashes (no vowels, no 0, 1 or 3).
func kubeRandom(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.Contains("bcdfghjklmnpqrstvwxz2456789", s[i:i+1]) {
			return false
		}
	}
	return s != ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// isPodDir reports whether name is "<namespace>_<pod>_<uid>", the uid a
// UUID or, for static pods, 32 hexadecimal digits.
func isPodDir(name string) bool {
	parts := strings.Split(name, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	uid := parts[2]
	if len(uid) == 36 {
		return uid[8] == '-' && uid[13] == '-' && uid[18] == '-' && uid[23] == '-' &&
			isHex(uid[:8]+uid[9:13]+uid[14:18]+uid[19:23]+uid[24:])
	}
	return len(uid) == 32 && isHex(uid)
}

// containerLog returns the container's name from a file name
// "<pod>_<namespace>_<container>-<64 hex>.log".
func containerLog(name string) (string, bool) {
	base, ok := strings.CutSuffix(name, ".log")
	if !ok {
		return "", false
	}
	parts := strings.Split(base, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", false
	}
	c := parts[2]
	if len(c) < 66 || c[len(c)-65] != '-' || !isHex(c[len(c)-64:]) {
		return "", false
	}
	return c[:len(c)-65], true
}

var (
	// compressedExt matches the suffixes of compressed files.
	compressedExt = regexp.MustCompile(`\.(gz|gzip|zst|zstd|bz2|xz|lz4|z|Z)$`)
	// rotationExt matches a numbered rotation suffix.
	rotationExt = regexp.MustCompile(`[.-]\d{1,4}$`)
	// otherExt matches one alphabetic extension.
	otherExt = regexp.MustCompile(`\.[A-Za-z][A-Za-z0-9]{0,7}$`)
	// logExt matches ".log" where it ends the name or a suffix follows.
	logExt = regexp.MustCompile(`\.log([._-]|$)`)
	// dateSuffix matches a trailing date, with an optional time.
	dateSuffix = regexp.MustCompile(`[._-]\d{4}-?\d{2}(-?\d{2})?([._T-]?\d{2}(-?\d{2}(-?\d{2})?)?)?$`)
)

// fileService names the service of a file at the source root.
func fileService(name string) string {
	if c, ok := containerLog(name); ok {
		return c
	}
	s := strings.TrimLeft(name, ".")
	if loc := logExt.FindStringIndex(s); loc != nil && loc[0] > 0 {
		s = s[:loc[0]]
	} else {
		s = compressedExt.ReplaceAllString(s, "")
		s = rotationExt.ReplaceAllString(s, "")
		s = compressedExt.ReplaceAllString(s, "")
		s = otherExt.ReplaceAllString(s, "")
	}
	if t := dateSuffix.ReplaceAllString(s, ""); t != "" {
		s = t
	}
	if s == "" {
		return name
	}
	return s
}
