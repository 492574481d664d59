package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestServerSection(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    Server
		problem string // a substring of the problems; "" for none
	}{
		{name: "absent", yaml: "match_keys: [a]\n", want: Server{}},
		{name: "keys and filter", yaml: "server:\n  api_keys: [api_key_a, api_key_b]\n  allow_source_filter: true\n",
			want: Server{APIKeys: []string{"api_key_a", "api_key_b"}, AllowSourceFilter: true}},
		{name: "empty list", yaml: "server:\n  api_keys: []\n", want: Server{}},
		{name: "bad name", yaml: "server:\n  api_keys: [\"a b\"]\n", problem: "server.api_keys[0]: not a secret name"},
		{name: "twice", yaml: "server:\n  api_keys: [k, k]\n", problem: `server.api_keys[1]: secret "k" listed twice`},
		{name: "not a list", yaml: "server:\n  api_keys: k\n", problem: "server.api_keys: must be a list of secret names"},
		{name: "unknown key", yaml: "server:\n  listen: x\n", problem: `unknown field "listen"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("p.yaml", []byte(tt.yaml), Options{})
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("error %v, want one containing %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Server, tt.want) {
				t.Errorf("server = %+v, want %+v", c.Server, tt.want)
			}
		})
	}
}
