package live

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipetracker/pipetracker/internal/secret"
	"github.com/pipetracker/pipetracker/internal/source"
)

// TestFollowEncrypted checks that records written as Fernet tokens, to a
// file and to a Kafka topic, are decrypted and matched in their text; that
// a token of another key is warned about once and not matched; and that
// without Decrypt they are not matched.
func TestFollowEncrypted(t *testing.T) {
	keyText, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := secret.ParseKey(keyText)
	if err != nil {
		t.Fatal(err)
	}
	otherText, _ := secret.GenerateKey()
	other, _ := secret.ParseKey(otherText)
	seal := func(k *secret.Key, text string) string {
		tok, err := k.Encrypt([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return string(tok)
	}
	for _, decrypt := range []bool{true, false} {
		t.Run(map[bool]string{true: "decrypting", false: "not decrypting"}[decrypt], func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "api", "app.log"), "", false)
			tp := newTopic(t, 1)
			opt := Options{Sources: []source.Spec{{Location: dir}, {Location: tp.location("")}}}
			if decrypt {
				opt.Decrypt, opt.TokenPrefix = key.RecordText, secret.TokenPrefix
			}
			h := startIn(t, dir, opt)
			write(t, filepath.Join(dir, "api", "app.log"), seal(key, line(1, "file-secret", "transaction_id=TXN-1"))+"\n", true)
			write(t, filepath.Join(dir, "api", "app.log"), seal(other, line(2, "other-key", "transaction_id=TXN-1"))+"\n", true)
			tp.produce(t, 0, seal(key, line(3, "kafka-secret", "transaction_id=TXN-1")))
			// Plain records after the tokens: once they are seen, the
			// tokens before them were read.
			write(t, filepath.Join(dir, "api", "app.log"), line(4, "file-plain", "transaction_id=TXN-1"), true)
			tp.produce(t, 0, line(5, "kafka-plain", "transaction_id=TXN-1"))
			want := []string{"file-plain", "kafka-plain"}
			if decrypt {
				want = append(want, "file-secret", "kafka-secret")
			}
			got := map[string]bool{}
			for range want {
				ev := h.next()
				got[strings.Fields(ev.Message)[0]] = true
				if strings.HasPrefix(ev.Raw, secret.TokenPrefix) {
					t.Errorf("raw text still encrypted: %q", ev.Raw)
				}
			}
			for _, w := range want {
				if !got[w] {
					t.Errorf("events %v, want %v", got, want)
				}
			}
			if decrypt {
				h.warning("could not be decrypted")
			}
			h.want()
		})
	}
}
