package logline

import (
	"encoding/json"
	"testing"
)

// dockerLine wraps an application's line as Docker's json-file driver
// writes it.
func dockerLine(t testing.TB, inner string) string {
	t.Helper()
	b, err := json.Marshal(inner + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return `{"log":` + string(b) + `,"stream":"stdout","time":"2024-01-02T15:04:05.123456789Z"}`
}

// criLine wraps an application's line as the CRI log format writes it.
func criLine(inner string) string {
	return "2016-10-06T00:17:09.669794202Z stdout F " + inner
}

func TestStartsRecord(t *testing.T) {
	tests := []struct {
		name string
		line string
		want bool
	}{
		{"timestamped", "2024-01-02 15:04:05 INFO x", true},
		{"json", `{"level":"info"}`, true},
		{"plain text", "just some words", true},
		{"empty", "", true},
		{"carriage return only", "\r", true},
		{"level word", "ERROR: failed", true},
		{"bare Error header", "Error: boom", true},
		{"bare Exception", "Exception in thread \"main\" java.lang.Error", true},
		{"go panic", "panic: runtime error: index out of range", true},
		{"logfmt", "level=error msg=x", true},
		{"space", " indented", false},
		{"tab", "\tat com.foo.Bar.run(Bar.java:12)", false},
		{"caused by", "Caused by: java.io.IOException: closed", false},
		{"suppressed", "Suppressed: java.lang.Exception: x", false},
		{"more", "... 12 more", false},
		{"logback omitted", "... 3 common frames omitted", false},
		{"traceback", "Traceback (most recent call last):", false},
		{"python chained", "During handling of the above exception, another exception occurred:", false},
		{"python cause", "The above exception was the direct cause of the following exception:", false},
		{"java exception header", "java.lang.IllegalStateException: declined (code 51)", false},
		{"java exception alone", "com.foo.BarException", false},
		{"java error dotted", "java.lang.Error: bad", false},
		{"python exception", "ValueError: bad", false},
		{"python exception no message", "KeyError", false},
		{"dotnet exception", "System.InvalidOperationException: nope", false},
		{"inner class exception", "com.foo.Outer$InnerException: x", false},
		{"exception name then words", "ValueError happened", true},
		{"error word glued", "ValueError:bad", true},
		{"frame without indentation", "at com.foo.Bar.run(Bar.java:12)", false},
		{"native frame without indentation", "at java.base/jdk.internal.Foo.invoke0(Native Method)", false},
		{"go goroutine", "goroutine 1 [running]:", false},
		{"go frame", "main.main()", false},
		{"go method frame", "net/http.(*conn).serve(0xc000123456, {0x7d0f08, 0xc0001})", false},
		{"go created by", "created by net/http.(*Server).Serve in goroutine 1", false},
		{"sentence with parentheses", "Started server (port 8080)", true},
		{"CRLF continuation", "\tat x.Y(Y.java:1)\r", false},
		{"docker start", dockerLine(t, "2024-01-02 15:04:05 INFO x"), true},
		{"docker tab", dockerLine(t, "\tat com.foo.Bar.run(Bar.java:12)"), false},
		{"docker caused by", dockerLine(t, "Caused by: x"), false},
		{"docker exception", dockerLine(t, "java.lang.IllegalStateException: declined"), false},
		{"docker escaped quote", dockerLine(t, `"quoted" start`), true},
		{"docker unicode escape", `{"log":"\u003cb\u003e","stream":"stdout"}`, true},
		{"docker escaped tab as unicode", `{"log":"\u0009at x.Y(Y.java:1)\n","stream":"stdout"}`, false},
		{"docker empty", dockerLine(t, ""), true},
		{"docker CRLF frame", dockerLine(t, "main.main()\r"), false},
		{"cri start", criLine("2024-01-02 15:04:05 INFO x"), true},
		{"cri tab", criLine("\tat com.foo.Bar.run(Bar.java:12)"), false},
		{"cri caused by", criLine("Caused by: x"), false},
		{"cri empty", "2016-10-06T00:17:09Z stdout F", true},
		{"cri partial", "2016-10-06T00:17:09Z stderr P ... 3 more", false},
		{"not cri", "2016-10-06T00:17:09Z stdin F \tx", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StartsRecord([]byte(tt.line)); got != tt.want {
				t.Fatalf("StartsRecord(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

// TestTimestamplessFile checks that plain lines without a header are one
// record each, while a stack trace joins the record before it.
func TestTimestamplessFile(t *testing.T) {
	lines := []string{
		"starting up",
		"config loaded",
		"handling request TXN-1",
		"java.lang.IllegalStateException: declined",
		"\tat a.B.c(B.java:1)",
		"done",
	}
	var starts []int
	for i, l := range lines {
		if StartsRecord([]byte(l)) {
			starts = append(starts, i)
		}
	}
	want := []int{0, 1, 2, 5}
	if len(starts) != len(want) {
		t.Fatalf("records start at %v, want %v", starts, want)
	}
	for i := range want {
		if starts[i] != want[i] {
			t.Fatalf("records start at %v, want %v", starts, want)
		}
	}
}

func TestStartsRecordAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("2024-01-02 15:04:05 INFO x"),
		[]byte("java.lang.IllegalStateException: declined"),
		[]byte(`{"log":"\u0009at x.Y(Y.java:1)\n","stream":"stdout"}`),
		[]byte(criLine("Caused by: x")),
		[]byte("net/http.(*conn).serve(0xc000123456)"),
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, l := range lines {
			StartsRecord(l)
		}
	})
	if allocs != 0 {
		t.Fatalf("StartsRecord allocates %v times", allocs)
	}
}
