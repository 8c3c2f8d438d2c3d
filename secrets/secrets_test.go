package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadKeyFromEnv(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xab}, KeySize)
	for _, env := range []string{
		hex.EncodeToString(key),
		strings.ToUpper(hex.EncodeToString(key)),
		base64.StdEncoding.EncodeToString(key),
		base64.RawStdEncoding.EncodeToString(key),
		base64.URLEncoding.EncodeToString(key),
		" " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := LoadKey("", env)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("LoadKey(%q) = %x, %v", env, got, err)
		}
	}
	for _, env := range []string{"short", hex.EncodeToString(key[:16]), base64.StdEncoding.EncodeToString(append(key, 1)), strings.Repeat("z", 64)} {
		_, err := LoadKey(t.TempDir(), env)
		if err == nil || !strings.Contains(err.Error(), "KILN_SECRET_KEY: the key must be 32 bytes written as 64 hex digits or as base64") {
			t.Errorf("LoadKey(%q) error = %v", env, err)
		}
	}
	if _, err := LoadKey("", ""); err == nil || !strings.Contains(err.Error(), "set KILN_SECRET_KEY") {
		t.Errorf("LoadKey without env or dir: %v", err)
	}
}

func TestLoadKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "kiln-data")
	first, err := LoadKey(dir, "")
	if err != nil || len(first) != KeySize {
		t.Fatalf("LoadKey creating the file = %x, %v", first, err)
	}
	path := filepath.Join(dir, KeyFile)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", info.Mode(), err)
	}
	again, err := LoadKey(dir, "")
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("second LoadKey = %x, %v; want the same key", again, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the data dir holds %d files, want only %s", len(entries), KeyFile)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadKey of a world-readable key file: %v", err)
	}
}

// TestLoadKeyRace starts several processes' worth of LoadKey on one empty
// directory: they must all end up with the one key that was written.
func TestLoadKeyRace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadKey(dir, "")
			if err != nil {
				t.Errorf("LoadKey: %v", err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatalf("concurrent LoadKey calls disagree: %x vs %x", k, keys[0])
		}
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	box, err := NewBox(bytes.Repeat([]byte{1}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("tenant-a", "STRIPE_KEY", []byte("sk_live_123"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("sk_live_123")) {
		t.Fatal("the sealed value holds the plaintext")
	}
	got, err := box.Open("tenant-a", "STRIPE_KEY", sealed)
	if err != nil || string(got) != "sk_live_123" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if again, _ := box.Seal("tenant-a", "STRIPE_KEY", []byte("sk_live_123")); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	other, _ := NewBox(bytes.Repeat([]byte{2}, KeySize))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another tenant":   func() ([]byte, error) { return box.Open("tenant-b", "STRIPE_KEY", sealed) },
		"another name":     func() ([]byte, error) { return box.Open("tenant-a", "OTHER_KEY", sealed) },
		"shifted boundary": func() ([]byte, error) { return box.Open("tenant-aS", "TRIPE_KEY", sealed) },
		"another key":      func() ([]byte, error) { return other.Open("tenant-a", "STRIPE_KEY", sealed) },
		"tampered":         func() ([]byte, error) { return box.Open("tenant-a", "STRIPE_KEY", tampered) },
		"truncated":        func() ([]byte, error) { return box.Open("tenant-a", "STRIPE_KEY", sealed[:10]) },
		"empty":            func() ([]byte, error) { return box.Open("tenant-a", "STRIPE_KEY", nil) },
	} {
		if v, err := open(); !errors.Is(err, ErrOpen) || v != nil {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", name, v, err)
		}
	}
	if _, err := box.Seal("t", "N", make([]byte, MaxValueBytes+1)); err == nil {
		t.Error("Seal of a value past MaxValueBytes succeeded")
	}
	if _, err := NewBox(make([]byte, 16)); err == nil {
		t.Error("NewBox with a 16-byte key succeeded")
	}
}
