package corpus

import (
	"math/rand/v2"
	"strconv"
)

// streamSpec is one log stream: one service instance writing one rotated
// set of files in one format.
type streamSpec struct {
	service string
	base    string // name of the newest file; older ones add .1, .2 …
	format  format
	files   int     // files in the rotation
	share   float64 // fraction of the corpus bytes
	host    string
}

// Stream indices into streamSpecs.
const (
	sGateway = iota
	sCheckout0
	sCheckout1
	sInventory
	sLedger
	sShipping
	sPSP5424
	sPSP3164
	sNotifierDocker
	sNotifierCRI
	numStreams
)

// streamSpecs returns the seven services' streams; shares add up to 1.
func streamSpecs() []streamSpec {
	return []streamSpec{
		sGateway:        {service: "gateway", base: "access.log", format: fmtNginx, files: 4, share: 0.18, host: "gw-1"},
		sCheckout0:      {service: "checkout", base: "checkout-0.log", format: fmtJSON, files: 4, share: 0.10, host: "checkout-7d9f-0"},
		sCheckout1:      {service: "checkout", base: "checkout-1.log", format: fmtJSON, files: 4, share: 0.10, host: "checkout-7d9f-1"},
		sInventory:      {service: "inventory", base: "inventory.log", format: fmtLogfmt, files: 3, share: 0.12, host: "inv-1"},
		sLedger:         {service: "ledger", base: "ledger.log", format: fmtLog4j, files: 5, share: 0.15, host: "ledger-1"},
		sShipping:       {service: "shipping", base: "shipping.log", format: fmtBracket, files: 3, share: 0.08, host: "ship-1"},
		sPSP5424:        {service: "psp", base: "psp-1.log", format: fmtSyslog5424, files: 4, share: 0.06, host: "psp-1"},
		sPSP3164:        {service: "psp", base: "psp-2.log", format: fmtSyslog3164, files: 3, share: 0.05, host: "psp-2"},
		sNotifierDocker: {service: "notifier", base: "3f9c2a7be01d-json.log", format: fmtDocker, files: 3, share: 0.08, host: "notifier-0"},
		sNotifierCRI:    {service: "notifier", base: "notifier-0.log", format: fmtCRI, files: 3, share: 0.08, host: "notifier-1"},
	}
}

// Identifiers. Background ids and the ids of known traces come from
// disjoint sets, so no background record can hold a known id by chance:
// background transaction ids are TXN- and seven digits starting 1–8,
// known ones start with 9; background request and payment ids have twelve
// hex digits starting 0–7, known ones 8–f. Near misses differ in length.
const (
	HotID     = "TXN-HOT"
	knownBit  = uint64(1) << 47
	hex48Mask = uint64(1)<<48 - 1
)

func appendDigits(dst []byte, v uint64, n int) []byte {
	var b [20]byte
	for i := n - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:n]...)
}

func appendHex(dst []byte, v uint64, n int) []byte {
	const hex = "0123456789abcdef"
	var b [16]byte
	for i := n - 1; i >= 0; i-- {
		b[i] = hex[v&15]
		v >>= 4
	}
	return append(dst, b[:n]...)
}

// backgroundTxn returns TXN- and seven digits, the first in 1–8.
func backgroundTxn(rng *rand.Rand) string {
	b := make([]byte, 0, 11)
	b = append(b, "TXN-"...)
	b = append(b, byte('1'+rng.IntN(8)))
	return string(appendDigits(b, rng.Uint64N(1000000), 6))
}

// hexID returns prefix and twelve hex digits of v; known sets the top bit.
func hexID(prefix string, v uint64, known bool) string {
	v &= hex48Mask
	if known {
		v |= knownBit
	} else {
		v &^= knownBit
	}
	b := make([]byte, 0, len(prefix)+12)
	b = append(b, prefix...)
	return string(appendHex(b, v, 12))
}

func numID(prefix string, v uint64, n int) string {
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	return string(appendDigits(b, v, n))
}

// money returns an amount such as "129.90".
func money(rng *rand.Rand) string {
	cents := 199 + rng.IntN(60000)
	b := strconv.AppendInt(make([]byte, 0, 10), int64(cents/100), 10)
	return string(append(b, '.', byte('0'+cents/10%10), byte('0'+cents%10)))
}

// session is a background transaction with its ids; records of one stream
// reuse sessions so that ids repeat as in real logs.
type session struct {
	txn, req, pay, order, sku, shipment, amount string
}

func newSession(rng *rand.Rand) session {
	return session{
		txn:      backgroundTxn(rng),
		req:      hexID("r-", rng.Uint64(), false),
		pay:      hexID("pm_", rng.Uint64(), false),
		order:    numID("ORD-", rng.Uint64N(1000000), 6),
		sku:      numID("SKU-", rng.Uint64N(100000), 5),
		shipment: numID("SH-", rng.Uint64N(100000000), 8),
		amount:   money(rng),
	}
}

// Vocabulary of the background records.
var (
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"okhttp/4.12.0",
		"ShopApp/5.14.2 (Android 15; Pixel 8)",
	}
	referers  = []string{"-", "https://shop.example.com/", "https://shop.example.com/cart", "https://shop.example.com/catalog/shoes", "https://www.google.com/"}
	searches  = []string{"boots", "rain+jacket", "socks", "running+shoes", "backpack", "gloves", "wool+hat"}
	warehouse = []string{"ams-1", "ams-2", "fra-1", "waw-1"}
	carriers  = []string{"dhl", "ups", "postnl", "dpd", "gls"}
	templates = []string{"order-confirmed", "shipping-update", "password-reset", "cart-reminder", "invoice"}
	threads   = []string{"pool-3-thread-1", "pool-3-thread-2", "pool-3-thread-5", "pool-3-thread-7", "http-nio-8080-exec-4", "scheduling-1"}
)

var checkoutMsgs = []struct {
	msg, logger string
	payment     bool
}{
	{"order received", "checkout.api", false},
	{"cart priced", "checkout.pricing", false},
	{"coupon evaluated", "checkout.pricing", false},
	{"address validated", "checkout.api", false},
	{"reserving stock", "checkout.api", false},
	{"stock reserved, charging", "checkout.payments", true},
	{"payment captured", "checkout.payments", true},
	{"order confirmed, notifying customer", "checkout.api", false},
}

var ledgerMsgs = []struct{ msg, logger string }{
	{"charge start", "c.s.ledger.ChargeService"},
	{"charge succeeded", "c.s.ledger.ChargeService"},
	{"ledger entry posted", "c.s.ledger.EntryWriter"},
	{"balance snapshot refreshed", "c.s.ledger.BalanceCache"},
	{"fx rate applied", "c.s.ledger.FxService"},
}

var pspMsgs = []string{"charge request received", "charge authorised", "charge declined", "refund processed", "3ds challenge issued", "webhook sent"}

var shippingMsgs = []struct{ msg, logger string }{
	{"rate quoted", "shipping.rates"},
	{"label created", "shipping.labels"},
	{"parcel handed over", "shipping.tracking"},
	{"tracking update received", "shipping.tracking"},
	{"webhook received", "shipping.api"},
}

var notifierMsgs = []struct{ msg, logger string }{
	{"queued order confirmation", "mailer"},
	{"email sent", "mailer"},
	{"template rendered", "mailer"},
	{"sms sent", "sms"},
	{"push delivered", "push"},
}

// javaStack appends to stack a stack trace of exception exc (in package
// pkg) with depth frames, and a cause when cause is set.
func javaStack(stack []string, rng *rand.Rand, pkg, exc, msg string, depth int, cause bool) []string {
	frames := []string{
		"\tat " + pkg + ".RemoteClient.call(RemoteClient.java:88)",
		"\tat " + pkg + ".Service.handle(Service.java:141)",
		"\tat " + pkg + ".Service.lambda$submit$0(Service.java:97)",
		"\tat org.springframework.transaction.support.TransactionTemplate.execute(TransactionTemplate.java:140)",
		"\tat java.base/java.util.concurrent.FutureTask.run(FutureTask.java:317)",
		"\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)",
		"\tat java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642)",
		"\tat java.base/java.lang.Thread.run(Thread.java:1583)",
	}
	stack = append(stack, pkg+"."+exc+": "+msg)
	start := rng.IntN(3)
	for i := 0; i < depth && start+i < len(frames); i++ {
		stack = append(stack, frames[start+i])
	}
	if cause {
		stack = append(stack,
			"Caused by: java.net.SocketTimeoutException: Read timed out",
			"\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)",
			"\tat java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)",
			"\t... "+strconv.Itoa(depth)+" more")
	}
	return stack
}

// background fills r with a random record of the stream. A hot record
// carries the hot id as its transaction_id and no other match key, so that
// following links from it finds nothing more.
func (g *streamGen) background(r *record, hot bool) {
	rng := g.rng
	ses := &g.pool[rng.IntN(len(g.pool))]
	if rng.IntN(5) == 0 {
		*ses = newSession(rng)
	}
	txn := ses.txn
	if hot {
		txn = HotID
	}
	r.lv = lvInfo
	r.host = g.spec.host
	switch g.spec.format {
	case fmtNginx:
		h := &r.http
		h.ip = g.ips[rng.IntN(len(g.ips))]
		h.referer = referers[rng.IntN(len(referers))]
		h.ua = userAgents[rng.IntN(len(userAgents))]
		h.status, h.rtMillis = 200, 1+rng.IntN(240)
		withTxn := false
		switch n := rng.IntN(20); {
		case n < 6:
			h.method, h.path, h.bytes = "GET", "/api/catalog/items/"+ses.sku+"?lang=en&currency=EUR", 1800+rng.IntN(7000)
		case n < 9:
			h.method, h.path, h.bytes = "GET", "/api/catalog/search?q="+searches[rng.IntN(len(searches))]+"&page="+strconv.Itoa(1+rng.IntN(9)), 4000+rng.IntN(20000)
		case n < 11:
			h.method, h.path, h.bytes = "GET", "/api/cart", 300+rng.IntN(2000)
		case n < 13:
			h.method, h.path, h.status, h.bytes = "POST", "/api/cart/items", 201, 200+rng.IntN(400)
		case n < 15:
			h.method, h.path, h.status, h.bytes = "POST", "/api/orders", 202, 400+rng.IntN(200)
			withTxn = true
		case n < 17:
			h.method, h.path, h.bytes = "GET", "/api/orders/"+ses.order, 250+rng.IntN(200)
			withTxn = true
		case n < 19:
			h.method, h.path, h.bytes = "GET", "/static/js/app.3f9c2a.js", 181000
			if rng.IntN(2) == 0 {
				h.status, h.bytes = 304, 0
			}
		default:
			h.method, h.path, h.bytes, h.ua, h.referer = "GET", "/healthz", 2, "kube-probe/1.31", "-"
		}
		switch n := rng.IntN(1000); {
		case n < 25:
			h.status = 404
		case n < 30:
			h.status = 499
		case n < 33:
			h.status, r.lv = 502, lvError
		}
		if hot {
			r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
			return
		}
		r.kvs = append(r.kvs, kv{k: "request_id", v: ses.req})
		if withTxn {
			r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
		}

	case fmtJSON:
		m := checkoutMsgs[rng.IntN(len(checkoutMsgs))]
		r.msg, r.logger = m.msg, m.logger
		r.lv = g.randomLevel()
		r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
		if !hot && rng.IntN(3) == 0 {
			r.kvs = append(r.kvs, kv{k: "request_id", v: ses.req})
		}
		r.kvs = append(r.kvs, kv{k: "customer", v: "c-" + strconv.Itoa(1000+rng.IntN(90000))})
		if m.payment && !hot {
			r.kvs = append(r.kvs,
				kv{group: "payment", k: "payment_id", v: ses.pay},
				kv{group: "payment", k: "amount", v: ses.amount},
				kv{group: "payment", k: "currency", v: "EUR"})
		} else {
			r.kvs = append(r.kvs,
				kv{group: "order", k: "id", v: ses.order},
				kv{group: "order", k: "items", v: strconv.Itoa(1 + rng.IntN(6))},
				kv{group: "order", k: "total", v: ses.amount})
		}
		if r.lv == lvError {
			r.msg = "payment provider error"
			r.stack = javaStack(r.stack[:0], rng, "com.shop.checkout", "PaymentException", "psp returned 503", 3, false)
		}

	case fmtLogfmt:
		qty := 1 + rng.IntN(5)
		switch rng.IntN(5) {
		case 0, 1:
			r.msg = "reserve request"
		case 2:
			r.msg = "reserved " + strconv.Itoa(qty) + " items"
		case 3:
			r.msg = "released " + strconv.Itoa(qty) + " items"
		default:
			r.msg, r.lv = "stock level below threshold", lvWarn
		}
		if r.lv != lvWarn {
			r.lv = g.randomLevel()
		}
		r.kvs = append(r.kvs,
			kv{k: "transaction_id", v: txn},
			kv{k: "sku", v: ses.sku},
			kv{k: "qty", v: strconv.Itoa(qty)},
			kv{k: "warehouse", v: warehouse[rng.IntN(len(warehouse))]},
			kv{k: "dur_ms", v: strconv.Itoa(rng.IntN(40))},
			kv{k: "caller", v: "reserve.go:" + strconv.Itoa(60+rng.IntN(80))})

	case fmtLog4j:
		m := ledgerMsgs[rng.IntN(len(ledgerMsgs))]
		r.msg, r.logger = m.msg, m.logger
		r.thread = threads[rng.IntN(len(threads))]
		r.lv = g.randomLevel()
		r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
		if !hot {
			r.kvs = append(r.kvs, kv{k: "payment_id", v: ses.pay})
		}
		r.kvs = append(r.kvs, kv{k: "amount", v: ses.amount + " EUR"}, kv{k: "entry", v: numID("LE-", rng.Uint64N(1000000), 6)})
		if r.lv == lvError {
			r.msg = "charge failed"
			r.stack = javaStack(r.stack[:0], rng, "com.shop.ledger", "ChargeException", "psp call failed", 4+rng.IntN(5), rng.IntN(2) == 0)
		}

	case fmtBracket:
		m := shippingMsgs[rng.IntN(len(shippingMsgs))]
		r.msg, r.logger = m.msg, m.logger
		r.lv = g.randomLevel()
		r.kvs = append(r.kvs,
			kv{k: "shipment_id", v: ses.shipment},
			kv{k: "carrier", v: carriers[rng.IntN(len(carriers))]},
			kv{k: "weight_g", v: strconv.Itoa(100 + rng.IntN(9000))},
			kv{k: "order_id", v: ses.order})
		if hot {
			r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
		} else {
			r.kvs = append(r.kvs, kv{k: "request_id", v: ses.req})
		}
		if r.lv == lvError {
			r.msg = "label service call failed"
			r.stack = javaStack(r.stack[:0], rng, "com.shop.shipping", "CarrierException", "carrier API timeout", 3, true)
		}

	case fmtSyslog5424, fmtSyslog3164:
		r.msg = pspMsgs[rng.IntN(len(pspMsgs))]
		r.logger = "charge"
		r.pid = g.pid
		r.lv = g.randomLevel()
		if hot {
			r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
		} else if g.spec.format == fmtSyslog5424 && rng.IntN(2) == 0 {
			r.sd = append(r.sd, kv{k: "payment_id", v: ses.pay}, kv{k: "amount", v: ses.amount})
		} else {
			r.kvs = append(r.kvs, kv{k: "payment_id", v: ses.pay})
		}
		if len(r.sd) == 0 {
			r.kvs = append(r.kvs, kv{k: "amount", v: ses.amount})
		}
		r.kvs = append(r.kvs, kv{k: "currency", v: "EUR"}, kv{k: "auth_code", v: numID("A", rng.Uint64N(100000), 5)})
		if !hot && r.msg == "webhook sent" {
			r.kvs = append(r.kvs, kv{k: "request_id", v: hexID("r-", rng.Uint64(), false)})
		}

	case fmtDocker, fmtCRI:
		m := notifierMsgs[rng.IntN(len(notifierMsgs))]
		r.msg, r.logger = m.msg, m.logger
		r.lv = g.randomLevel()
		if r.lv == lvError {
			r.lv = lvWarn
			r.stderr = true
		}
		r.jitter = int64(20000 + rng.IntN(900000))
		if hot {
			r.kvs = append(r.kvs, kv{k: "transaction_id", v: txn})
		} else {
			r.kvs = append(r.kvs, kv{k: "request_id", v: ses.req})
		}
		r.kvs = append(r.kvs,
			kv{k: "template", v: templates[rng.IntN(len(templates))]},
			kv{k: "provider", v: "smtp"},
			kv{k: "to", v: "c***@example.com"},
			kv{k: "latency_ms", v: strconv.Itoa(rng.IntN(900))})
	}
}

// randomLevel returns mostly info, some debug and warn, rarely error.
func (g *streamGen) randomLevel() level {
	switch n := g.rng.IntN(1000); {
	case n < 6:
		return lvError
	case n < 40:
		return lvWarn
	case n < 140:
		return lvDebug
	default:
		return lvInfo
	}
}
