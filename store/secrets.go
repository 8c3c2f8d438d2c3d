package store

import (
	"github.com/kiln-run/kiln/sdk/docquery"
	"regexp"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// SecretInfo describes a stored secret; listing never returns values.
type SecretInfo struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// MaxSecretCiphertextBytes bounds what SecretPut stores: a 64 KiB value
// sealed by package secrets, with room to spare.
const MaxSecretCiphertextBytes = 65 << 10

var secretNamePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// ValidSecretName returns INVALID_ARGUMENT unless name is a secret name:
// an upper-case letter, then up to 63 upper-case letters, digits or
// underscores, like an environment variable ("STRIPE_KEY"). The strict
// form keeps names safe in URLs (PUT /api/secrets/NAME), logs and
// messages.
func ValidSecretName(name string) error {
	if !secretNamePattern.MatchString(name) {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"secret name %q is not valid: use an upper-case letter followed by up to 63 upper-case letters, digits or underscores, such as \"STRIPE_KEY\"", docquery.Clip(name))
	}
	return nil
}
