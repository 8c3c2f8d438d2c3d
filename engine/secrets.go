package engine

import (
	"github.com/kiln-run/kiln/kilntype"
)

// A VM keeps every secret value its script has been handed, for as long
// as the VM lives: a script can keep a value in a module-level variable
// from one run and log it in a later one, so what is recorded of every run
// of the VM must be redacted with all of them (Result.Secrets). These caps
// bound that set (docs/limits.md).
const (
	// maxSecretValues and maxSecretBytes bound the distinct secret values
	// one VM holds and their total length. A value past them is refused
	// with QUOTA_EXCEEDED and never reaches the script.
	maxSecretValues = 256
	maxSecretBytes  = 256 << 10
	// A VM holding more than retireSecretValues values or
	// retireSecretBytes bytes is retired after its run, so that a VM
	// whose secrets are rotated again and again over its life starts over
	// with an empty set before it reaches the caps.
	retireSecretValues = maxSecretValues / 2
	retireSecretBytes  = maxSecretBytes / 2
)

// Secret records that the script is about to be handed value, the secret
// called name, before the host function returns it. The VM keeps the
// value for the rest of its life: every Result it returns from then on
// holds it in Result.Secrets, so that the host can cut it out of what it
// records, whichever later run shows it.
//
// Secret returns a QUOTA_EXCEEDED *Error, and the caller must not hand
// the value over, when the VM already holds as many secret values as it
// may (256 distinct values, 256 KiB in all). A HostCall that did not come
// through the gate (one built by hand, as in a test) records nothing.
func (c HostCall) Secret(name, value string) error {
	if c.inv == nil {
		return nil
	}
	if !c.inv.vm.secrets.AddWithin(name, value, maxSecretValues, maxSecretBytes) {
		return Errorf(kilntype.EQuotaExceeded, "%s: this run's VM already holds %d secret values (%s) and may hold no more; read fewer secrets in one run",
			c.Name, c.inv.vm.secrets.Len(), formatBytes(int64(c.inv.vm.secrets.Size())))
	}
	return nil
}

// secretsRetire reports whether the VM holds so many secret values that
// it should not run again.
func (vm *VM) secretsRetire() bool {
	return vm.secrets.Len() > retireSecretValues || vm.secrets.Size() > retireSecretBytes
}
