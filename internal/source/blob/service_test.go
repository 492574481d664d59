package blob

import "testing"

func TestServiceFromPath(t *testing.T) {
	const uid = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	const hash = "3f2a9c1e4b7d4e2a9f1c2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
	tests := []struct {
		name, rel, want string
	}{
		{"first directory", "checkout/app.log", "checkout"},
		{"deep path", "checkout/2025/10/app.log.1.gz", "checkout"},
		{"leading dot slash", "./orders/x.log", "orders"},
		{"plain log at root", "payments.log", "payments"},
		{"rotated compressed", "payments.log.2.gz", "payments"},
		{"rotated", "payments.log.1", "payments"},
		{"zstd", "payments.log.zst", "payments"},
		{"dated", "orders-2025-10-21.log", "orders"},
		{"dated compact", "orders_20251021.log", "orders"},
		{"dated with hour", "orders-2025-10-21-14.log", "orders"},
		{"logrotate dateext", "app.log-20251021", "app"},
		{"logrotate dateext compressed", "app.log-20251021.gz", "app"},
		{"date after the log suffix", "api.log.2025-10-21", "api"},
		{"date before an extension", "api.2025-10-21.json", "api"},
		{"extension only", "events.jsonl", "events"},
		{"no extension", "syslog", "syslog"},
		{"no extension rotated", "syslog.1", "syslog"},
		{"no extension dated", "messages-20251019", "messages"},
		{"underscore name", "access_log", "access_log"},
		{"underscore name rotated", "access_log.3.gz", "access_log"},
		{"dots before log", "nginx.access.log", "nginx.access"},
		{"only a date", "2025-10-21.log", "2025-10-21"},
		{"hidden file", ".app.log", "app"},
		{"empty", "", ""},
		{"pod directory", "shop_checkout-7d9f8c6b5-x2k4p_" + uid + "/app/0.log", "checkout"},
		{"pod directory under pods", "pods/shop_checkout-7d9f8c6b5-x2k4p_" + uid + "/app/0.log", "checkout"},
		{"statefulset pod directory", "data_redis-2_" + uid + "/redis/0.log", "redis"},
		{"static pod directory", "kube-system_kube-apiserver-node1_" + "0123456789abcdef0123456789abcdef" + "/kube-apiserver/0.log", "kube-apiserver-node1"},
		{"not a pod directory", "a_b_c/x.log", "a_b_c"},
		{"container log at root", "checkout-7d9f8c6b5-x2k4p_shop_app-" + hash + ".log", "app"},
		{"container log under containers", "containers/checkout-7d9f8c6b5-x2k4p_shop_sidecar-proxy-" + hash + ".log", "sidecar-proxy"},
		{"containers without container logs", "containers/readme.txt", "containers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ServiceFromPath(tt.rel); got != tt.want {
				t.Fatalf("ServiceFromPath(%q) = %q, want %q", tt.rel, got, tt.want)
			}
		})
	}
}

func TestWorkload(t *testing.T) {
	tests := []struct {
		name, pod, want string
	}{
		{"deployment", "checkout-7d9f8c6b5-x2k4p", "checkout"},
		{"deployment with dashes", "payment-api-v2-5c8d7b9f4d-zz8qk", "payment-api-v2"},
		{"daemonset", "fluent-bit-x2k4p", "fluent-bit"},
		{"statefulset", "redis-master-0", "redis-master"},
		{"statefulset two digits", "kafka-12", "kafka"},
		{"cronjob", "backup-28312345-x2k4p", "backup"},
		{"word suffix kept", "nginx-proxy", "nginx-proxy"},
		{"short random-looking word kept", "api-http", "api-http"},
		{"single word", "checkout", "checkout"},
		{"only a suffix", "-x2k4p", "-x2k4p"},
		{"vowel in suffix", "my-app-abcde", "my-app-abcde"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Workload(tt.pod); got != tt.want {
				t.Fatalf("Workload(%q) = %q, want %q", tt.pod, got, tt.want)
			}
		})
	}
}
