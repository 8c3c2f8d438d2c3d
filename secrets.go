package kiln

import (
	"context"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// maxSecretBytes bounds one secret's value.
const maxSecretBytes = 64 << 10

// SecretInfo is a secret's name and times, never its value.
type SecretInfo = store.SecretInfo

// SecretPut creates or replaces a tenant's secret, encrypted at rest.
// Scripts read it with iota.secrets.get(name); it never appears in their
// records.
func (c *Client) SecretPut(ctx context.Context, tenantID, name, value string) (*SecretInfo, error) {
	if err := store.ValidSecretName(name); err != nil {
		return nil, err
	}
	switch {
	case value == "":
		return nil, invalid("value is required: send {\"value\": \"…\"}")
	case len(value) > maxSecretBytes:
		return nil, kilntype.Errorf(kilntype.ETooLarge, "a secret's value is at most %d bytes", maxSecretBytes)
	case !utf8.ValidString(value):
		return nil, invalid("value must be UTF-8 text (encode binary values, e.g. in base64)")
	}
	sealed, err := c.secrets.Seal(tenantID, name, []byte(value))
	if err != nil {
		return nil, err
	}
	return c.store.SecretPut(ctx, tenantID, name, sealed)
}

// SecretList lists a tenant's secrets' names and times, never values.
func (c *Client) SecretList(ctx context.Context, tenantID string) ([]SecretInfo, error) {
	list, err := c.store.SecretList(ctx, tenantID)
	if list == nil && err == nil {
		list = []SecretInfo{}
	}
	return list, err
}

// SecretDelete deletes a tenant's secret; NOT_FOUND if there is none.
func (c *Client) SecretDelete(ctx context.Context, tenantID, name string) error {
	return c.store.SecretDelete(ctx, tenantID, name)
}
