package sdk

import (
	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/secrets"
)

// Store is what the iota SDK needs of Kiln's store: documents for iota.db,
// entries for iota.cache and sealed values for iota.secrets. store.Store
// satisfies it.
type Store interface {
	Documents
	Cache
	SecretReader
}

// ModulesConfig is everything Modules needs to build the iota SDK. Every
// field without a stated default is required.
type ModulesConfig struct {
	// Store backs iota.db, iota.cache and iota.secrets.
	Store Store
	// DB and Cache configure iota.db and iota.cache; their zero values
	// are usable.
	DB    DBOptions
	Cache CacheOptions
	// Secrets opens the sealed values Store holds.
	Secrets *secrets.Box
	// OnSecretRead is SecretsModule's onRead, called with every secret
	// value a script reads. It may be nil: each VM keeps what its script
	// read in every Result's Secrets.
	OnSecretRead func(meta engine.Meta, name, value string)
	// HowToSetSecret, if set, returns what iota.secrets.get's NOT_FOUND
	// message tells a script author to do, such as "pass --secret
	// STRIPE_KEY=…". Default: "set it with PUT /api/secrets/NAME".
	HowToSetSecret func(name string) string
	// Outbound sends iota.http's requests (and, through Fetch, fetch's).
	Outbound *outbound.Client
	// Publish makes iota.events.publish's events durable.
	Publish Publisher
}

// Modules returns the iota SDK as the server wires it — iota.http,
// iota.events, iota.db, iota.cache, iota.secrets and iota.log — so that
// every host that runs scripts (kiln serve, kiln run) gives them the same
// behaviour. Pair it with Fetch(c.Outbound) as engine.Config.Fetch. It
// panics if c.DB.Validate fails, as DBModule does.
func Modules(c ModulesConfig) []engine.Module {
	return []engine.Module{
		HTTPModule(c.Outbound),
		EventsModule(c.Publish),
		DBModule(c.Store, c.DB),
		CacheModule(c.Store, c.Cache),
		secretsModule(c.Store, c.Secrets, c.OnSecretRead, c.HowToSetSecret),
		LogModule(),
	}
}
