// Package secrets encrypts tenants' secrets at rest with AES-256-GCM.
//
// The key comes from KILN_SECRET_KEY or, when that is unset, from
// <data dir>/secret.key, generated on first use (LoadKey). Each sealed
// value is bound to its tenant and name as additional authenticated data:
// a ciphertext copied to another tenant's row, or renamed, no longer
// opens. The store keeps only what Seal returns.
//
// Sealed format, version 1: 0x01 || 12-byte random nonce || GCM
// ciphertext and 16-byte tag. The leading version byte leaves room for key
// rotation (a key ID) without guessing at old rows.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// MaxValueBytes is the largest secret value Seal accepts.
const MaxValueBytes = 64 << 10

// KeyFile is the key's file name in the data directory.
const KeyFile = "secret.key"

const version1 = 1

// ErrOpen is returned by Open for a ciphertext that does not open with
// this key, tenant and name: another key, another tenant's or name's
// ciphertext, or altered bytes.
var ErrOpen = errors.New("secrets: the ciphertext does not open with this key for this tenant and name (wrong key, or the value was altered or moved)")

// LoadKey returns the encryption key. env is the value of
// $KILN_SECRET_KEY (the caller reads the environment): 32 bytes written as
// 64 hex digits or as base64 (standard or URL alphabet, padded or not).
// When env is empty the key is read from dataDir/secret.key, which is
// created with 32 random bytes (base64, mode 0600) if it does not exist;
// an existing file that others can read is refused, as ssh refuses a
// private key.
func LoadKey(dataDir, env string) ([]byte, error) {
	if strings.TrimSpace(env) != "" {
		key, err := decodeKey(env)
		if err != nil {
			return nil, fmt.Errorf("KILN_SECRET_KEY: %w", err)
		}
		return key, nil
	}
	if dataDir == "" {
		return nil, errors.New("secrets: no key: set KILN_SECRET_KEY or give a data directory for " + KeyFile)
	}
	path := filepath.Join(dataDir, KeyFile)
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKeyFile(dataDir, path); err != nil {
			return nil, err
		}
		key, err = readKeyFile(path)
	}
	return key, err
}

// decodeKey parses a key written as hex or base64.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("the key must be %d bytes written as %d hex digits or as base64 (%d characters); generate one with: openssl rand -base64 %d",
		KeySize, 2*KeySize, base64.StdEncoding.EncodedLen(KeySize), KeySize)
}

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secrets: %s is readable by others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: read %s: %w", path, err)
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secrets: %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new random key to path without ever replacing an
// existing one: it writes a temporary file and links it into place, so two
// processes starting together agree on the key that won.
func createKeyFile(dir, path string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("secrets: create %s: %w", dir, err)
	}
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	tmp, err := os.CreateTemp(dir, KeyFile+".*")
	if err != nil {
		return fmt.Errorf("secrets: create key file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err := errors.Join(err, tmp.Close()); err != nil {
		return fmt.Errorf("secrets: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("secrets: create %s: %w", path, err)
	}
	return nil
}

// Box seals and opens secrets with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a KeySize-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: the key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts a tenant's secret value under its name.
func (b *Box) Seal(tenantID, name string, value []byte) ([]byte, error) {
	if len(value) > MaxValueBytes {
		return nil, fmt.Errorf("secrets: the value of %s is %d bytes, more than the %d-byte limit", name, len(value), MaxValueBytes)
	}
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(value)+b.aead.Overhead())
	out[0] = version1
	_, _ = rand.Read(out[1:])
	return b.aead.Seal(out, out[1:], value, additionalData(tenantID, name)), nil
}

// Open decrypts what Seal returned for the same tenant and name; ErrOpen
// otherwise.
func (b *Box) Open(tenantID, name string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version1 {
		return nil, ErrOpen
	}
	value, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], additionalData(tenantID, name))
	if err != nil {
		return nil, ErrOpen
	}
	return value, nil
}

// additionalData binds a ciphertext to its tenant and name. Lengths
// prefix both, so no tenant and name pair can encode like another.
func additionalData(tenantID, name string) []byte {
	const label = "kiln secret v1"
	ad := make([]byte, 0, len(label)+8+len(tenantID)+len(name))
	ad = append(ad, label...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(tenantID)))
	ad = append(ad, tenantID...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(name)))
	return append(ad, name...)
}
