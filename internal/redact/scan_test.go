package redact

import (
	"strings"
	"testing"
)

// scanNames are the name endings scans are checked with: none, the
// defaults, and configured names ending in '-' and '_'.
func scanNames(tb testing.TB) []*nameEnds {
	tb.Helper()
	out := []*nameEnds{nil}
	for _, pair := range prefilterRedactors(tb) {
		out = append(out, pair[0].ends)
	}
	return out
}

// scanAgrees fails t when the masks of s, or the features computed from
// them, differ from the byte-at-a-time ones.
func scanAgrees(t *testing.T, s string, names []*nameEnds) {
	t.Helper()
	if len(s) > maskWords*64 {
		s = s[:maskWords*64]
	}
	var got, want masks
	got.classify(s)
	want.classifyScalar(s)
	if got != want {
		for k := range nClasses {
			if got[k] != want[k] {
				t.Fatalf("%q: class %d: masks %x, byte by byte %x", s, k, got[k], want[k])
			}
		}
	}
	for i, n := range names {
		if got, want := scanMasks(s, n), scanScalar(s, n); got != want {
			t.Fatalf("names %d, %q: masks %015b, byte by byte %015b", i, s, got, want)
		}
	}
}

// scanLines are texts of the sizes the masks are for, most of them log
// lines that look like the ones traced, some full of what the rules find.
var scanLines = []string{
	`{"ts":"2025-10-21T10:30:00.018Z","level":"debug","logger":"checkout.api","msg":"order received","ctx":{"transaction_id":"TXN-3331206","customer":"c-58690","order":{"id":"ORD-599377","items":"6","total":"437.28"}},"host":"checkout-7d9f-0"}`,
	`10.2.8.179 - - [21/Oct/2025:10:30:03 +0000] "GET /api/catalog/items/SKU-41383?lang=en&currency=EUR HTTP/1.1" 200 7172 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15" rt=0.138 transaction_id=TXN-HOT`,
	`time=2025-10-21T12:00:03.443+02:00 level=info msg="released 3 items" transaction_id=TXN-HOT sku=SKU-52196 qty=3 warehouse=ams-2 dur_ms=14 caller=reserve.go:86`,
	`2025-10-21 10:48:05,521 INFO  [pool-3-thread-2] c.s.ledger.FxService - fx rate applied transaction_id=TXN-HOT amount=62.43 EUR entry=LE-285433`,
	`{"log":"2025-10-21T10:00:00.171 DEBUG [mailer] queued order confirmation transaction_id=TXN-HOT template=cart-reminder provider=smtp to=c***@example.com latency_ms=405\n","stream":"stdout","time":"2025-10-21T10:00:00.171840242Z"}`,
	`<134>1 2025-10-21T10:30:00.507596Z psp-1 psp 2222 charge - refund processed transaction_id=TXN-HOT amount=273.43 currency=EUR auth_code=A89215`,
	`[2025-10-21 10:00:09.148] INFO  shipping.labels - label created shipment_id=SH-17256752 carrier=ups weight_g=1040 order_id=ORD-027372 transaction_id=TXN-HOT`,
	`card 4111 1111 1111 1111 and phone (415) 555-2671 and 415-555-2671 ssn 123-45-6789 +44 20 7946 0958 020 7946 0958 x`,
	`Authorization: Bearer abc.eyJhbGciOi.xyz AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY password=hunter2 GB82WEST12345698765432 a@b.c`,
	`basic bearer authorization Basic	x BEARER y AUTHORIZATION: z abasic bearers authorizations _basic basic_ 0basic`,
	`4111-1111-1111-1111 4111 1111 1111 111 4111  1111 1111 1111 41111111111111 411111111111 2025-10-21 10:48:05`,
	`AAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA xAAAAAAAAAAAAAAAAAAAA _AAAAAAAAAAAAAAAAAAA`,
	`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+ a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_`,
	`+0 +1 +9 ++1 (0) (123) (2345) 555-2671 (415)555-2671 (415) 555 2671 0 01 012 0123 01234 012345 01 2 012-3 0123 45`,
	`pass=x token: y "secret":"z" \"api_key\":\"w\" cookie = v set-cookie:u x-auth-=1 SESSION_ID:2 pin=3 spin=4`,
}

func TestScanMasks(t *testing.T) {
	names := scanNames(t)
	texts := append(append([]string{}, scanLines...), prefilterTexts...)
	for _, c := range append(positives(), negatives()...) {
		texts = append(texts, c.text)
	}
	// Every text at offsets around the edges of the blocks of 32 and the
	// words of 64, and glued to its neighbours, so that each shape
	// crosses an edge somewhere.
	var shifts []int
	for _, edge := range []int{0, 32, 64} {
		for d := -6; d <= 6; d++ {
			if edge+d >= 0 {
				shifts = append(shifts, edge+d)
			}
		}
	}
	for _, s := range texts {
		for _, pad := range []string{" ", "x", "9", "_", "A"} {
			for _, shift := range shifts {
				scanAgrees(t, strings.Repeat(pad, shift)+s, names)
				scanAgrees(t, strings.Repeat(pad, shift)+s+s, names)
			}
		}
	}
	scanAgrees(t, strings.Repeat("4111 1111 1111 1111 ", 60), names)
	scanAgrees(t, strings.Repeat("a", maskWords*64), names)
}

// FuzzScanMasks checks that the masks say of any text what a scan byte by
// byte does.
func FuzzScanMasks(f *testing.F) {
	for _, s := range append(append([]string{}, scanLines...), prefilterTexts...) {
		f.Add(s, uint8(0))
		f.Add(s, uint8(61))
	}
	names := scanNames(f)
	f.Fuzz(func(t *testing.T, s string, shift uint8) {
		scanAgrees(t, strings.Repeat(" ", int(shift%64))+s, names)
	})
}
