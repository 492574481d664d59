//go:build ignore

// Command gen writes the bundled example logs under examples/logs. The
// contents below are the source of truth; run it from the repository root
// with `go run examples/gen.go` after changing them, and update EXPECTED.md
// and expected.json by hand to match.
//
// Files ending in .gz are written gzip-compressed with a fixed header, so
// the output is the same on every run. Each file's modification time is set
// to the time of its last record.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// exampleFile is one log file: its path under examples/logs, its text and
// the time of its last record.
type exampleFile struct {
	path    string
	modTime string
	text    string
}

var files = []exampleFile{
	{
		path:    "gateway/access.log.1",
		modTime: "2025-10-21T09:09:41Z",
		text: `10.0.3.17 - - [21/Oct/2025:08:59:41 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31" rt=0.001 request_id=r-00f1a2b3
10.0.3.21 - - [21/Oct/2025:09:02:15 +0000] "POST /api/orders HTTP/1.1" 202 498 "-" "Mozilla/5.0 (X11; Linux x86_64)" rt=0.212 request_id=r-3a9d0c11
10.0.3.21 - - [21/Oct/2025:09:02:16 +0000] "GET /api/orders/ORD-7719 HTTP/1.1" 200 311 "-" "Mozilla/5.0 (X11; Linux x86_64)" rt=0.009 request_id=r-3a9d0c12
10.0.3.17 - - [21/Oct/2025:09:09:41 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31" rt=0.001 request_id=r-00f1a2c9
`,
	},
	{
		path:    "gateway/access.log",
		modTime: "2025-10-21T09:15:02Z",
		text: `10.0.3.17 - - [21/Oct/2025:09:13:58 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31" rt=0.001 request_id=r-00f1a2d4
10.0.3.44 - - [21/Oct/2025:09:14:02 +0000] "POST /api/orders HTTP/1.1" 202 507 "-" "okhttp/4.12.0" rt=0.173 request_id=r-61aa0f12
10.0.3.52 - - [21/Oct/2025:09:14:07 +0000] "POST /api/orders HTTP/1.1" 202 512 "-" "curl/8.5.0" rt=0.184 request_id=r-5c1e9a40
10.0.3.61 - - [21/Oct/2025:09:14:07 +0000] "POST /api/orders HTTP/1.1" 202 509 "-" "okhttp/4.12.0" rt=0.158 request_id=r-77f1c2b8
10.0.3.44 - - [21/Oct/2025:09:14:08 +0000] "GET /api/orders/ORD-7730 HTTP/1.1" 200 298 "-" "okhttp/4.12.0" rt=0.007 request_id=r-5c1e9a400
10.0.3.70 - - [21/Oct/2025:09:14:09 +0000] "POST /api/orders HTTP/1.1" 202 515 "-" "python-requests/2.32.3" rt=0.201 request_id=r-0c44d9e7
10.0.3.52 - - [21/Oct/2025:09:14:10 +0000] "GET /api/orders/ORD-7731 HTTP/1.1" 200 301 "-" "curl/8.5.0" rt=0.011 request_id=r-9b07e2d3
10.0.3.61 - - [21/Oct/2025:09:14:12 +0000] "GET /api/orders/ORD-7733 HTTP/1.1" 404 64 "-" "okhttp/4.12.0" rt=0.004 request_id=r-2e81b5c0
10.0.3.17 - - [21/Oct/2025:09:14:28 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31" rt=0.001 request_id=r-00f1a2d5
10.0.3.70 - - [21/Oct/2025:09:15:02 +0000] "POST /api/refunds HTTP/1.1" 202 240 "-" "python-requests/2.32.3" rt=0.097 request_id=r-4b5c6d7e
`,
	},
	{
		path:    "checkout/checkout.log",
		modTime: "2025-10-21T09:15:02.09Z",
		text: `{"ts":"2025-10-21T09:14:02.031Z","level":"info","msg":"order received","ctx":{"transaction_id":"TXN-48214","request_id":"r-61aa0f12","order_id":"ORD-7730"}}
{"ts":"2025-10-21T09:14:02.040Z","level":"info","msg":"reserving stock","ctx":{"transaction_id":"TXN-48214","order_id":"ORD-7730"}}
{"ts":"2025-10-21T09:14:02.118Z","level":"info","msg":"stock reserved, charging","ctx":{"transaction_id":"TXN-48214","payment":{"payment_id":"pm_90b3e415","amount":"42.00","currency":"EUR"}}}
{"ts":"2025-10-21T09:14:02.164Z","level":"info","msg":"payment captured","ctx":{"transaction_id":"TXN-48214","payment_id":"pm_90b3e415"}}
{"ts":"2025-10-21T09:14:07.012Z","level":"info","msg":"order received","ctx":{"transaction_id":"TXN-48213","request_id":"r-5c1e9a40","order_id":"ORD-7731"}}
{"level":"debug","msg":"cart snapshot","ctx":{"transaction_id":"TXN-48213","items":3,"total":"129.90"}}
{"ts":"2025-10-21T09:14:07.019Z","level":"info","msg":"reserving stock","ctx":{"transaction_id":"TXN-48213","order_id":"ORD-7731"}}
{"ts":"2025-10-21T09:14:07.027Z","level":"info","msg":"order received","ctx":{"transaction_id":"TXN-482130","request_id":"r-77f1c2b8","order_id":"ORD-7732"}}
{"ts":"2025-10-21T09:14:07.048Z","level":"info","msg":"reserving stock","ctx":{"transaction_id":"TXN-482130","order_id":"ORD-7732"}}
{"ts":"2025-10-21T09:14:07.071Z","level":"info","msg":"stock reserved, charging","ctx":{"transaction_id":"TXN-48213","payment":{"payment_id":"pm_88f2c7d1","amount":"129.90","currency":"EUR"}}}
{"ts":"2025-10-21T09:14:07.102Z","level":"warn","msg":"stock short, order held","ctx":{"transaction_id":"TXN-482130","sku":"SKU-2210"}}
{"ts":"2025-10-21T09:14:07.180Z","level":"warn","msg":"payment pending, ledger is retrying","ctx":{"transaction_id":"TXN-48213","attempt":1}}
{"ts":"2025-10-21T09:14:09.113Z","level":"info","msg":"order received","ctx":{"transaction_id":"TXN-50001","request_id":"r-0c44d9e7","order_id":"ORD-7733"}}
{"ts":"2025-10-21T09:14:09.322Z","level":"info","msg":"payment captured","ctx":{"transaction_id":"TXN-48213","payment_id":"pm_88f2c7d1"}}
{"ts":"2025-10-21T09:14:09.330Z","level":"info","msg":"order confirmed, notifying customer","ctx":{"transaction_id":"TXN-48213","request_id":"r-5c1e9a40","order_id":"ORD-7731"}}
{"ts":"2025-10-21T09:14:09.334Z","level":"info","msg":"publishing order.confirmed transaction_id=TXN-48213","topic":"orders.events"}
{"ts":"2025-10-21T09:14:09.351Z","level":"info","msg":"stock reserved, charging","ctx":{"transaction_id":"TXN-50001","payment":{"payment_id":"pm_12de77a0","amount":"18.50","currency":"EUR"}}}
{"ts":"2025-10-21T09:14:09.702Z","level":"error","msg":"payment declined","ctx":{"transaction_id":"TXN-50001","payment_id":"pm_12de77a0","reason":"insufficient_funds"}}
{"ts":"2025-10-21T09:14:10.006Z","level":"info","msg":"order status served","ctx":{"transaction_id":"TXN-48213","request_id":"r-9b07e2d3","status":"confirmed"}}
{"ts":"2025-10-21T09:15:02.044Z","level":"info","msg":"refund requested","ctx":{"transaction_id":"TXN-50002","parent_transaction_id":"TXN-48213","request_id":"r-4b5c6d7e","amount":"129.90"}}
{"ts":"2025-10-21T09:15:02.090Z","level":"info","msg":"refund forwarded to ledger","ctx":{"transaction_id":"TXN-50002"}}
`,
	},
	{
		path:    "stock/stock.log",
		modTime: "2025-10-21T09:15:40.002Z",
		text: `time=2025-10-21T11:11:40.118+02:00 level=info msg="reserve request" transaction_id=TXN-4821 sku=SKU-0993 qty=1
time=2025-10-21T11:11:40.131+02:00 level=info msg="reserved 1 items" transaction_id=TXN-4821 warehouse=ams-1
time=2025-10-21T11:14:02.066+02:00 level=info msg="reserve request" transaction_id=TXN-48214 sku=SKU-3307 qty=1
time=2025-10-21T11:14:02.097+02:00 level=info msg="reserved 1 items" transaction_id=TXN-48214 warehouse=ams-2
time=2025-10-21T11:14:07.041+02:00 level=info msg="reserve request" transaction_id=TXN-48213 sku=SKU-1042 qty=3
time=2025-10-21T11:14:07.055+02:00 level=info msg="reserve request" transaction_id=TXN-482130 sku=SKU-2210 qty=5
time=2025-10-21T11:14:07.063+02:00 level=info msg="reserved 3 items" transaction_id=TXN-48213 warehouse=ams-2
time=2025-10-21T11:14:07.089+02:00 level=warn msg="insufficient stock, 2 of 5 reserved" transaction_id=TXN-482130 sku=SKU-2210
time=2025-10-21T11:14:09.140+02:00 level=info msg="reserve request" transaction_id=TXN-50001 sku=SKU-0150 qty=2
time=2025-10-21T11:14:09.162+02:00 level=info msg="reserved 2 items" transaction_id=TXN-50001 warehouse=ams-1
time=2025-10-21T11:14:09.781+02:00 level=info msg="released 2 items, payment declined" transaction_id=TXN-50001
time=2025-10-21T11:15:02.130+02:00 level=info msg="return expected for 3 items" transaction_id=TXN-50002 parent_transaction_id=TXN-48213 sku=SKU-1042
time=2025-10-21T11:15:40.002+02:00 level=info msg="nightly drift check, largest order today TXN-48213" sku=SKU-1042 drift=0
`,
	},
	{
		path:    "ledger/ledger.log.1.gz",
		modTime: "2025-10-21T09:14:07.5Z",
		text: `2025-10-21 09:11:40,305 INFO  [pool-1] c.shop.Ledger - charge start transaction_id=TXN-4821 payment_id=pm_41aa0c02 amount=12.00 EUR
2025-10-21 09:11:40,377 INFO  [pool-1] c.shop.Ledger - charge succeeded transaction_id=TXN-4821 payment_id=pm_41aa0c02 attempt=1
2025-10-21 09:14:02,121 INFO  [pool-2] c.shop.Ledger - charge start transaction_id=TXN-48214 payment_id=pm_90b3e415 amount=42.00 EUR
2025-10-21 09:14:02,158 INFO  [pool-2] c.shop.Ledger - charge succeeded transaction_id=TXN-48214 payment_id=pm_90b3e415 attempt=1
2025-10-21 09:14:07,094 INFO  [pool-1] c.shop.Ledger - charge start transaction_id=TXN-48213 payment_id=pm_88f2c7d1 amount=129.90 EUR
2025-10-21 09:14:07,166 ERROR [pool-1] c.shop.Ledger - charge failed transaction_id=TXN-48213 payment_id=pm_88f2c7d1 attempt=1
com.shop.ledger.ChargeException: psp call failed for payment pm_88f2c7d1
	at com.shop.ledger.PspClient.charge(PspClient.java:88)
	at com.shop.ledger.Ledger.charge(Ledger.java:141)
	at com.shop.ledger.Ledger.lambda$submit$0(Ledger.java:97)
	at java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)
	at java.base/java.lang.Thread.run(Thread.java:1583)
Caused by: java.net.ConnectException: Connection refused
	at java.base/sun.nio.ch.Net.pollConnect(Native Method)
	at java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:542)
	at java.base/java.net.Socket.connect(Socket.java:751)
	... 4 more
2025-10-21 09:14:07,171 WARN  [pool-1] c.shop.Ledger - retrying charge in 2000 ms (attempt 2), transaction_id: TXN-48213
2025-10-21 09:14:07,402 INFO  [pool-2] c.shop.Ledger - charge deferred until stock is confirmed transaction_id=TXN-482130
`,
	},
	{
		path:    "ledger/ledger.log",
		modTime: "2025-10-21T09:15:30.012Z",
		text: `2025-10-21 09:14:08,950 INFO  [health-1] c.shop.PspClient - psp endpoint healthy again after 1 failed probe
2025-10-21 09:14:09,291 INFO  [pool-1] c.shop.Ledger - charge succeeded transaction_id=TXN-48213 payment_id=pm_88f2c7d1 attempt=2
2025-10-21 09:14:09,305 INFO  [pool-1] c.shop.Ledger - ledger entry posted transaction_id=TXN-48213 entry=LE-55102 debit=129.90 EUR
2025-10-21 09:14:09,366 INFO  [pool-2] c.shop.Ledger - charge start transaction_id=TXN-50001 payment_id=pm_12de77a0 amount=18.50 EUR
2025-10-21 09:14:09,688 WARN  [pool-2] c.shop.Ledger - charge declined transaction_id=TXN-50001 payment_id=pm_12de77a0 reason=insufficient_funds
2025-10-21 09:15:02,101 INFO  [pool-1] c.shop.Refunds - refund requested transaction_id=TXN-50002 parent_transaction_id=TXN-48213 amount=129.90 EUR
2025-10-21 09:15:30,007 INFO  [recon-1] c.shop.Recon - replaying transaction_id=TXN-48213-retry from dead-letter queue
2025-10-21 09:15:30,012 ERROR [recon-1] c.shop.Recon - replay failed transaction_id=TXN-48213-retry
java.lang.IllegalStateException: no ledger entry to replay
	at com.shop.ledger.Recon.replay(Recon.java:57)
	at java.base/java.lang.Thread.run(Thread.java:1583)
`,
	},
	{
		path:    "psp/psp.log",
		modTime: "2025-10-21T09:14:11.02Z",
		text: `<134>1 2025-10-21T09:14:02.133Z psp-1 psp 2107 charge [req@32473 payment_id="pm_90b3e415" amount="42.00"] charge request received
<134>1 2025-10-21T09:14:02.150Z psp-1 psp 2107 charge - charge authorised payment_id=pm_90b3e415 auth_code=7C21D
<131>1 2025-10-21T09:14:03.517Z psp-1 psp 2107 - - worker pool exhausted, restarting listener
<133>1 2025-10-21T09:14:08.941Z psp-1 psp 2231 - - listener started on :8443
<134>1 2025-10-21T09:14:09.208Z psp-1 psp 2231 charge [req@32473 payment_id="pm_88f2c7d1" amount="129.90"] charge request received
<134>1 2025-10-21T09:14:09.274Z psp-1 psp 2231 charge - charge authorised payment_id=pm_88f2c7d1 auth_code=A93F1
<134>1 2025-10-21T09:14:09.377Z psp-1 psp 2231 charge [req@32473 payment_id="pm_12de77a0" amount="18.50"] charge request received
<133>1 2025-10-21T09:14:09.640Z psp-1 psp 2231 settle - settlement scheduled payment_id=pm_88f2c7d1 batch=B-20251021-09
<132>1 2025-10-21T09:14:09.681Z psp-1 psp 2231 charge - charge declined payment_id=pm_12de77a0 reason=insufficient_funds
<134>1 2025-10-21T09:14:11.020Z psp-1 psp 2231 charge - charge authorised payment_id=pm_88f2c7d10 auth_code=0D4E2
`,
	},
	{
		path:    "notifier/notifier-json.log",
		modTime: "2025-10-21T09:15:30.118802761Z",
		text: `{"log":"2025-10-21 09:14:02.402 INFO  [mailer] queued order confirmation request_id=r-61aa0f12 template=order-confirmed\n","stream":"stdout","time":"2025-10-21T09:14:02.402518273Z"}
{"log":"2025-10-21 09:14:02.911 INFO  [mailer] email sent request_id=r-61aa0f12 provider=smtp status=250\n","stream":"stdout","time":"2025-10-21T09:14:02.911904112Z"}
{"log":"2025-10-21 09:14:09.512 INFO  [mailer] queued order confirmation request_id=r-5c1e9a40 template=order-confirmed\n","stream":"stdout","time":"2025-10-21T09:14:09.512731044Z"}
{"log":"2025-10-21 09:14:09.790 WARN  [mailer] smtp slow, 1 message waiting\n","stream":"stderr","time":"2025-10-21T09:14:09.790220871Z"}
{"log":"2025-10-21 09:14:09.947 INFO  [mailer] email sent request_id=r-5c1e9a40 provider=smtp status=250\n","stream":"stdout","time":"2025-10-21T09:14:09.947390556Z"}
{"log":"2025-10-21 09:15:30.118 INFO  [mailer] resend scheduled origin_request_id=r-5c1e9a40 request_id=r-8d31aa02\n","stream":"stdout","time":"2025-10-21T09:15:30.118802761Z"}
`,
	},
}

func main() {
	root := filepath.Join("examples", "logs")
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	for _, f := range files {
		if err := write(root, f); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// write creates root/f.path with f.text, gzip-compressed when the name ends
// in .gz, and sets its modification time.
func write(root string, f exampleFile) error {
	mod, err := time.Parse(time.RFC3339Nano, f.modTime)
	if err != nil {
		return fmt.Errorf("%s: mod time: %w", f.path, err)
	}
	data := []byte(f.text)
	if strings.HasSuffix(f.path, ".gz") {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		zw.Name = strings.TrimSuffix(filepath.Base(f.path), ".gz")
		zw.ModTime = mod.Truncate(time.Second)
		if _, err := zw.Write(data); err != nil {
			return fmt.Errorf("%s: compress: %w", f.path, err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("%s: compress: %w", f.path, err)
		}
		data = buf.Bytes()
	}
	path := filepath.Join(root, filepath.FromSlash(f.path))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	return nil
}
