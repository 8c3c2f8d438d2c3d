package storetest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

func testSecrets(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	if list, err := b.s.SecretList(b.ctx, tenant); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("SecretList before any put = %v, %v; want an empty list", list, err)
	}
	first, err := b.s.SecretPut(b.ctx, tenant, "STRIPE_KEY", []byte{1, 2, 3})
	if err != nil {
		t.Fatalf("SecretPut: %v", err)
	}
	if first.Name != "STRIPE_KEY" || !first.CreatedAt.Equal(first.UpdatedAt) {
		t.Errorf("SecretPut returned %+v", first)
	}
	recent(t, "CreatedAt", first.CreatedAt)
	if _, err := b.s.SecretPut(b.ctx, tenant, "A", []byte{9}); err != nil {
		t.Fatal(err)
	}
	second, err := b.s.SecretPut(b.ctx, tenant, "STRIPE_KEY", []byte{4, 5})
	if err != nil {
		t.Fatalf("SecretPut again: %v", err)
	}
	if !second.CreatedAt.Equal(first.CreatedAt) || second.UpdatedAt.Before(first.UpdatedAt) {
		t.Errorf("replacing a secret: created %v → %v, updated %v → %v; want created kept", first.CreatedAt, second.CreatedAt, first.UpdatedAt, second.UpdatedAt)
	}
	got, err := b.s.SecretGet(b.ctx, tenant, "STRIPE_KEY")
	if err != nil || !bytes.Equal(got, []byte{4, 5}) {
		t.Errorf("SecretGet = %v, %v", got, err)
	}
	list, err := b.s.SecretList(b.ctx, tenant)
	if err != nil || len(list) != 2 || list[0].Name != "A" || list[1].Name != "STRIPE_KEY" {
		t.Errorf("SecretList = %+v, %v", list, err)
	}

	errs := []struct {
		name string
		call func() error
		code kilntype.Code
	}{
		{"get missing", func() error { _, err := b.s.SecretGet(b.ctx, tenant, "NOPE"); return err }, kilntype.ENotFound},
		{"delete missing", func() error { return b.s.SecretDelete(b.ctx, tenant, "NOPE") }, kilntype.ENotFound},
		{"lower-case name", func() error { _, err := b.s.SecretPut(b.ctx, tenant, "stripe_key", []byte{1}); return err }, kilntype.EInvalidArgument},
		{"name with a quote", func() error { _, err := b.s.SecretGet(b.ctx, tenant, "A' OR '1'='1"); return err }, kilntype.EInvalidArgument},
		{"name too long", func() error {
			_, err := b.s.SecretPut(b.ctx, tenant, "A"+strings.Repeat("B", 64), []byte{1})
			return err
		}, kilntype.EInvalidArgument},
		{"empty ciphertext", func() error { _, err := b.s.SecretPut(b.ctx, tenant, "EMPTY", nil); return err }, kilntype.EInvalidArgument},
		{"empty tenant", func() error { _, err := b.s.SecretGet(b.ctx, "", "A"); return err }, kilntype.EInvalidArgument},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.call(), e.code)
	}

	if err := b.s.SecretDelete(b.ctx, tenant, "A"); err != nil {
		t.Fatalf("SecretDelete: %v", err)
	}
	_, err = b.s.SecretGet(b.ctx, tenant, "A")
	wantCode(t, "SecretGet after delete", err, kilntype.ENotFound)
}

// testSecretIsolation uses the first tenant's secret names as the other
// tenant.
func testSecretIsolation(t *testing.T, b *bundle) {
	if _, err := b.s.SecretPut(b.ctx, b.tenant.ID, "API_KEY", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	other := b.other.ID
	_, err := b.s.SecretGet(b.ctx, other, "API_KEY")
	wantCode(t, "other tenant's SecretGet", err, kilntype.ENotFound)
	wantCode(t, "other tenant's SecretDelete", b.s.SecretDelete(b.ctx, other, "API_KEY"), kilntype.ENotFound)
	if list, err := b.s.SecretList(b.ctx, other); err != nil || len(list) != 0 {
		t.Errorf("other tenant's SecretList = %+v, %v", list, err)
	}
	if _, err := b.s.SecretPut(b.ctx, other, "API_KEY", []byte("theirs")); err != nil {
		t.Fatal(err)
	}
	if got, err := b.s.SecretGet(b.ctx, b.tenant.ID, "API_KEY"); err != nil || string(got) != "mine" {
		t.Errorf("owner's secret after the other tenant's put = %q, %v", got, err)
	}
}
