package corpus

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// eventMeta is what the manifest says about one record of a known trace.
// The planner fills the match fields; the stream that writes the record
// fills its provenance.
type eventMeta struct {
	trace int
	key   string // the match key that holds value in the record
	value string
	via   string // "key=value" through which value was found; "" for the id itself
	depth int    // 0 for the id itself, n for an id found n links away
	lv    level

	stream  int
	path    string
	line    int64
	written int64 // the record's time as written, ns since the Unix epoch
}

// Trap is a record that contains a known id, or one of its linked ids, in
// a form that must not match: a near miss of the value or another key.
type Trap struct {
	ID      string `json:"id"`    // the known trace it is a trap for
	Kind    string `json:"kind"`  // near_miss_{appended,removed,suffix,linked}, other_key, other_key_linked, no_key
	Key     string `json:"key"`   // the key that holds Value; "" for a bare mention
	Value   string `json:"value"` // the misleading value
	Service string `json:"service"`
	Path    string `json:"path"`
	Line    int64  `json:"line"`
}

// planned is a record placed by the planner in one stream.
type planned struct {
	t    int64
	rec  record
	meta *eventMeta
	trap *Trap
}

// knownIDs are the ids of one known trace.
type knownIDs struct {
	txn                          string // transaction_id, the id asked for
	req                          string // request_id of the client's request: gateway, notifier
	pay                          string // payment_id: ledger, psp
	hook                         string // request_id of the psp's webhook call: shipping
	order, sku, shipment, amount string
}

// planner places the known traces and the traps.
type planner struct {
	rng       *rand.Rand
	w         window
	perStream [][]*planned
	events    [][]*eventMeta
	traps     []*Trap
	known     []knownIDs
}

func newPlanner(seed uint64, w window, traces int) *planner {
	p := &planner{
		rng:       rand.New(rand.NewPCG(seed, 0x7ace5)),
		w:         w,
		perStream: make([][]*planned, numStreams),
		events:    make([][]*eventMeta, traces),
	}
	seen := map[string]bool{}
	unique := func(f func() string) string {
		for {
			s := f()
			if !seen[s] {
				seen[s] = true
				return s
			}
		}
	}
	for i := 0; i < traces; i++ {
		p.known = append(p.known, knownIDs{
			txn:      unique(func() string { return numID("TXN-9", p.rng.Uint64N(1000000), 6) }),
			req:      unique(func() string { return hexID("r-", p.rng.Uint64(), true) }),
			pay:      unique(func() string { return hexID("pm_", p.rng.Uint64(), true) }),
			hook:     unique(func() string { return hexID("r-", p.rng.Uint64(), true) }),
			order:    numID("ORD-", p.rng.Uint64N(1000000), 6),
			sku:      numID("SKU-", p.rng.Uint64N(100000), 5),
			shipment: numID("SH-", p.rng.Uint64N(100000000), 8),
			amount:   money(p.rng),
		})
	}
	for i, ids := range p.known {
		t0 := p.traceStart(i)
		p.planTrace(i, ids, t0)
		p.planTraps(ids, t0)
	}
	for _, list := range p.perStream {
		sort.SliceStable(list, func(a, b int) bool { return list[a].t < list[b].t })
	}
	return p
}

// traceStart places the known traces so that, between them, they start
// files, end files, sit in the middle of one, and straddle rotations of
// plain and of compressed files. Traces beyond the fifth go anywhere.
func (p *planner) traceStart(i int) int64 {
	w, L := p.w, p.w.length()
	ms := int64(time.Millisecond)
	switch i {
	case 0: // the first records of every stream's oldest (compressed) file
		return w.start + ms
	case 1: // near the end of every stream's newest file
		return w.end - 8000*ms
	case 2: // the middle of a file in every stream
		return w.start + L*45/100
	case 3: // across the .2.gz → .1 rotation of the four-file streams
		return w.start + L/2 - 500*ms
	case 4: // across the .4.gz → .3.gz rotation of the ledger
		return w.start + L/5 - 600*ms
	}
	return w.start + L/50 + p.rng.Int64N(L*96/100)
}

func (p *planner) add(stream int, t int64, rec record, meta *eventMeta, trap *Trap) {
	rec.t = t
	p.perStream[stream] = append(p.perStream[stream], &planned{t: t, rec: rec, meta: meta, trap: trap})
	if meta != nil {
		meta.lv = rec.lv
		p.events[meta.trace] = append(p.events[meta.trace], meta)
	}
	if trap != nil {
		p.traps = append(p.traps, trap)
	}
}

// planTrace places trace i, starting at t0: gateway → checkout → inventory
// → ledger → psp → shipping → notifier. Gateway and notifier are reached
// only through request_id ids.req, psp only through payment_id ids.pay, and
// shipping only through request_id ids.hook, which a psp record carries
// beside ids.pay (two links away). Even traces fail a charge in the ledger
// (stack trace, retry after two seconds, psp logs in RFC 3164); odd ones
// fail a label call in shipping (stack trace, retry).
func (p *planner) planTrace(i int, ids knownIDs, t0 int64) {
	t := t0
	step := func(lo, hi int) { t += int64(lo+p.rng.IntN(hi-lo+1)) * int64(time.Millisecond) }
	direct := func() *eventMeta { return &eventMeta{trace: i, key: "transaction_id", value: ids.txn} }
	viaTxn := "transaction_id=" + ids.txn
	byReq := func() *eventMeta {
		return &eventMeta{trace: i, key: "request_id", value: ids.req, via: viaTxn, depth: 1}
	}
	byPay := func() *eventMeta {
		return &eventMeta{trace: i, key: "payment_id", value: ids.pay, via: viaTxn, depth: 1}
	}
	byHook := func() *eventMeta {
		return &eventMeta{trace: i, key: "request_id", value: ids.hook, via: "payment_id=" + ids.pay, depth: 2}
	}
	checkout := func() int { return sCheckout0 + p.rng.IntN(2) }
	notifier := func() int { return sNotifierDocker + p.rng.IntN(2) }
	psp := sPSP5424
	if i%2 == 0 {
		psp = sPSP3164
	}
	txn := kv{k: "transaction_id", v: ids.txn}

	p.add(sGateway, t, record{http: httpLine{
		ip: "10.9.0." + strconv.Itoa(10+i), method: "POST", path: "/api/orders", status: 202, bytes: 512,
		referer: "https://shop.example.com/cart", ua: userAgents[0], rtMillis: 180 + p.rng.IntN(60),
	}, kvs: []kv{{k: "request_id", v: ids.req}}}, byReq(), nil)

	step(8, 15)
	p.add(checkout(), t, record{lv: lvInfo, logger: "checkout.api", msg: "order received", kvs: []kv{
		txn, {k: "request_id", v: ids.req},
		{group: "order", k: "id", v: ids.order}, {group: "order", k: "items", v: "3"}, {group: "order", k: "total", v: ids.amount},
	}}, direct(), nil)
	step(3, 9)
	p.add(checkout(), t, record{lv: lvInfo, logger: "checkout.api", msg: "reserving stock", kvs: []kv{
		txn, {group: "order", k: "id", v: ids.order},
	}}, direct(), nil)

	step(12, 30)
	p.add(sInventory, t, record{lv: lvInfo, msg: "reserve request", kvs: []kv{
		txn, {k: "sku", v: ids.sku}, {k: "qty", v: "3"}, {k: "warehouse", v: "ams-2"},
	}}, direct(), nil)
	step(8, 25)
	p.add(sInventory, t, record{lv: lvInfo, msg: "reserved 3 items", kvs: []kv{
		txn, {k: "sku", v: ids.sku}, {k: "warehouse", v: "ams-2"}, {k: "dur_ms", v: "9"},
	}}, direct(), nil)

	step(5, 12)
	p.add(checkout(), t, record{lv: lvInfo, logger: "checkout.payments", msg: "stock reserved, charging", kvs: []kv{
		txn, {group: "payment", k: "payment_id", v: ids.pay}, {group: "payment", k: "amount", v: ids.amount}, {group: "payment", k: "currency", v: "EUR"},
	}}, direct(), nil)

	step(8, 25)
	ledgerKVs := []kv{txn, {k: "payment_id", v: ids.pay}, {k: "amount", v: ids.amount + " EUR"}}
	p.add(sLedger, t, record{lv: lvInfo, thread: "pool-3-thread-2", logger: "c.s.ledger.ChargeService", msg: "charge start", kvs: ledgerKVs}, direct(), nil)
	attempt := "1"
	if i%2 == 0 {
		step(40, 90)
		p.add(sLedger, t, record{lv: lvError, thread: "pool-3-thread-2", logger: "c.s.ledger.ChargeService", msg: "charge failed",
			kvs:   []kv{txn, {k: "payment_id", v: ids.pay}, {k: "attempt", v: "1"}},
			stack: javaStack(nil, p.rng, "com.shop.ledger", "ChargeException", "psp call failed", 5, true),
		}, direct(), nil)
		step(2, 6)
		p.add(sLedger, t, record{lv: lvWarn, thread: "pool-3-thread-2", logger: "c.s.ledger.ChargeService", msg: "retrying charge in 2000 ms (attempt 2),",
			kvs: []kv{{k: "transaction_id", v: ids.txn, colon: true}},
		}, direct(), nil)
		step(2000, 2100)
		attempt = "2"
	} else {
		step(10, 25)
	}

	pspRec := func(lv level, msg string, extra ...kv) record {
		r := record{lv: lv, logger: "charge", msg: msg}
		if psp == sPSP5424 {
			r.sd = []kv{{k: "payment_id", v: ids.pay}, {k: "amount", v: ids.amount}}
		} else {
			r.kvs = []kv{{k: "payment_id", v: ids.pay}}
		}
		r.kvs = append(r.kvs, extra...)
		return r
	}
	p.add(psp, t, pspRec(lvInfo, "charge request received"), byPay(), nil)
	step(30, 80)
	p.add(psp, t, pspRec(lvInfo, "charge authorised", kv{k: "auth_code", v: "A" + ids.order[4:9]}), byPay(), nil)

	step(8, 20)
	p.add(sLedger, t, record{lv: lvInfo, thread: "pool-3-thread-2", logger: "c.s.ledger.ChargeService", msg: "charge succeeded",
		kvs: []kv{txn, {k: "payment_id", v: ids.pay}, {k: "attempt", v: attempt}}}, direct(), nil)
	step(8, 20)
	p.add(checkout(), t, record{lv: lvInfo, logger: "checkout.payments", msg: "payment captured", kvs: []kv{
		txn, {k: "payment_id", v: ids.pay},
	}}, direct(), nil)

	step(60, 250)
	p.add(psp, t, pspRec(lvInfo, "webhook sent", kv{k: "event", v: "charge.captured"}, kv{k: "request_id", v: ids.hook}), byPay(), nil)

	step(5, 20)
	ship := []kv{{k: "shipment_id", v: ids.shipment}, {k: "order_id", v: ids.order}, {k: "request_id", v: ids.hook}}
	p.add(sShipping, t, record{lv: lvInfo, logger: "shipping.api", msg: "webhook received", kvs: ship}, byHook(), nil)
	if i%2 == 1 {
		step(100, 300)
		p.add(sShipping, t, record{lv: lvError, logger: "shipping.labels", msg: "label service call failed",
			kvs:   ship,
			stack: javaStack(nil, p.rng, "com.shop.shipping", "CarrierException", "carrier API timeout", 3, true),
		}, byHook(), nil)
		step(400, 600)
	}
	step(50, 200)
	p.add(sShipping, t, record{lv: lvInfo, logger: "shipping.labels", msg: "label created", kvs: append([]kv{{k: "carrier", v: "dhl"}}, ship...)}, byHook(), nil)

	step(10, 40)
	p.add(checkout(), t, record{lv: lvInfo, logger: "checkout.api", msg: "order confirmed, notifying customer", kvs: []kv{
		txn, {k: "request_id", v: ids.req}, {group: "order", k: "id", v: ids.order},
	}}, direct(), nil)

	step(80, 300)
	p.add(notifier(), t, record{lv: lvInfo, logger: "mailer", msg: "queued order confirmation", jitter: 431207, kvs: []kv{
		{k: "request_id", v: ids.req}, {k: "template", v: "order-confirmed"},
	}}, byReq(), nil)
	step(200, 900)
	p.add(notifier(), t, record{lv: lvInfo, logger: "mailer", msg: "email sent", jitter: 388140, kvs: []kv{
		{k: "request_id", v: ids.req}, {k: "provider", v: "smtp"}, {k: "status", v: "250"},
	}}, byReq(), nil)
}

// planTraps places, for one known trace, records that a naive search for
// its ids finds but a key-aware one must not: near misses of the id (a
// digit appended, one removed, a -x suffix), the id under other keys
// (parent_transaction_id, order_ref), the id with no key at all, and near
// misses of its linked ids. Half of them fall within seconds of the trace,
// the rest anywhere in the window.
func (p *planner) planTraps(ids knownIDs, t0 int64) {
	when := func() int64 {
		if p.rng.IntN(2) == 0 {
			return t0 - 5*int64(time.Second) + p.rng.Int64N(15*int64(time.Second))
		}
		return p.w.start + p.rng.Int64N(p.w.length())
	}
	bgTxn := func() kv { return kv{k: "transaction_id", v: backgroundTxn(p.rng)} }
	bgReq := func() kv { return kv{k: "request_id", v: hexID("r-", p.rng.Uint64(), false)} }
	trap := func(kind, key, value string) *Trap { return &Trap{ID: ids.txn, Kind: kind, Key: key, Value: value} }

	appended := ids.txn + strconv.Itoa(p.rng.IntN(10))
	removed := ids.txn[:len(ids.txn)-1]
	suffixed := ids.txn + "-x"

	p.add(checkout0or1(p.rng), when(), record{lv: lvInfo, logger: "checkout.api", msg: "order received", kvs: []kv{
		{k: "transaction_id", v: appended}, bgReq(), {group: "order", k: "id", v: numID("ORD-", p.rng.Uint64N(1000000), 6)},
	}}, nil, trap("near_miss_appended", "transaction_id", appended))
	p.add(sInventory, when(), record{lv: lvInfo, msg: "reserve request", kvs: []kv{
		{k: "transaction_id", v: removed}, {k: "sku", v: ids.sku}, {k: "qty", v: "1"},
	}}, nil, trap("near_miss_removed", "transaction_id", removed))
	p.add(sLedger, when(), record{lv: lvInfo, thread: "recon-1", logger: "c.s.ledger.Recon", msg: "replaying from dead-letter queue", kvs: []kv{
		{k: "transaction_id", v: suffixed},
	}}, nil, trap("near_miss_suffix", "transaction_id", suffixed))
	p.add(sPSP3164, when(), record{lv: lvInfo, logger: "charge", msg: "charge authorised", kvs: []kv{
		{k: "transaction_id", v: appended}, {k: "payment_id", v: hexID("pm_", p.rng.Uint64(), false)},
	}}, nil, trap("near_miss_appended", "transaction_id", appended))

	p.add(checkout0or1(p.rng), when(), record{lv: lvInfo, logger: "checkout.api", msg: "refund requested", kvs: []kv{
		bgTxn(), {k: "parent_transaction_id", v: ids.txn}, bgReq(),
	}}, nil, trap("other_key", "parent_transaction_id", ids.txn))
	p.add(sLedger, when(), record{lv: lvInfo, thread: "pool-3-thread-5", logger: "c.s.ledger.Refunds", msg: "refund requested", kvs: []kv{
		bgTxn(), {k: "parent_transaction_id", v: ids.txn}, {k: "amount", v: ids.amount + " EUR"},
	}}, nil, trap("other_key", "parent_transaction_id", ids.txn))
	p.add(sShipping, when(), record{lv: lvInfo, logger: "shipping.rates", msg: "rate quoted", kvs: []kv{
		{k: "order_ref", v: ids.txn}, {k: "carrier", v: "ups"}, bgReq(),
	}}, nil, trap("other_key", "order_ref", ids.txn))
	p.add(sInventory, when(), record{lv: lvInfo, msg: "manual review queued for " + ids.txn, kvs: []kv{
		bgTxn(), {k: "sku", v: ids.sku},
	}}, nil, trap("no_key", "", ids.txn))

	reqLonger := ids.req + "0"
	payShorter := ids.pay[:len(ids.pay)-1]
	hookSuffixed := ids.hook + "-x"
	p.add(sGateway, when(), record{http: httpLine{
		ip: "10.9.1.7", method: "GET", path: "/api/orders/" + ids.order, status: 200, bytes: 301,
		referer: "-", ua: "okhttp/4.12.0", rtMillis: 9,
	}, kvs: []kv{{k: "request_id", v: reqLonger}}}, nil, trap("near_miss_linked", "request_id", reqLonger))
	p.add(sNotifierDocker, when(), record{lv: lvInfo, logger: "mailer", msg: "resend scheduled", jitter: 251003, kvs: []kv{
		{k: "origin_request_id", v: ids.req}, bgReq(),
	}}, nil, trap("other_key_linked", "origin_request_id", ids.req))
	p.add(sPSP5424, when(), record{lv: lvInfo, logger: "charge", msg: "charge authorised", sd: []kv{
		{k: "payment_id", v: payShorter},
	}}, nil, trap("near_miss_linked", "payment_id", payShorter))
	p.add(sShipping, when(), record{lv: lvInfo, logger: "shipping.api", msg: "webhook received", kvs: []kv{
		{k: "request_id", v: hookSuffixed},
	}}, nil, trap("near_miss_linked", "request_id", hookSuffixed))
}

func checkout0or1(rng *rand.Rand) int { return sCheckout0 + rng.IntN(2) }
