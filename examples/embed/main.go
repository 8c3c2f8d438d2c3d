// Command embed is a Go application that embeds Kiln: it lends its own
// customers table to scripts as the iota.db collection "customers" and its
// tax table as iota.host.taxRate, and prices an order with the tenant's
// `price-order` script.
//
//	go run ./examples/embed            # prints the priced order as JSON
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// customers is the host's own table, per tenant. Kiln passes every call
// the calling script's tenant, so one tenant's script never sees another's
// customers.
type customers map[string]map[string]map[string]any // tenant → id → row

func (c customers) Get(_ context.Context, tenantID, id string) (map[string]any, error) {
	if row, ok := c[tenantID][id]; ok {
		return row, nil
	}
	return nil, kilntype.Errorf(kilntype.ENotFound, "no customer %q", id)
}

func (c customers) Query(_ context.Context, tenantID string, q kiln.DocQuery) ([]map[string]any, error) {
	var out []map[string]any
	for _, row := range c[tenantID] {
		if q.Where.Match(row) {
			out = append(out, row)
		}
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return kiln.CompareDocs(a, b, q.OrderBy) })
	out = out[min(q.Offset, len(out)):]
	return out[:min(q.Limit, len(out))], nil
}

func (c customers) Count(ctx context.Context, tenantID string, where kiln.DocFilter) (int64, error) {
	rows, err := c.Query(ctx, tenantID, kiln.DocQuery{Where: where, Limit: 1 << 30})
	return int64(len(rows)), err
}

func (customers) Insert(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, readOnly()
}

func (customers) Update(context.Context, string, string, map[string]any) (map[string]any, error) {
	return nil, readOnly()
}

func (customers) Delete(context.Context, string, string) (bool, error) { return false, readOnly() }

func readOnly() error {
	return kilntype.Errorf(kilntype.EInvalidArgument, "customers are read-only for scripts; change them in the host application")
}

// taxRate is a host function: iota.host.taxRate(country).
func taxRate(_ context.Context, _ string, args []any) (any, error) {
	country, _ := args[0].(string)
	rates := map[string]float64{"US": 0.07, "DE": 0.19, "FR": 0.2}
	rate, ok := rates[country]
	if !ok {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "no tax rate for country %q", country)
	}
	return rate, nil
}

// priceOrder is the tenant's script. In a real product the tenant's
// developers write it in the admin UI; here the host saves it.
const priceOrder = `
interface Item { sku: string; cents: number; qty: number }

export default async function (order: { customerId: string; items: Item[] }) {
  const customer = await iota.db.get('customers', order.customerId);
  const subtotal = order.items.reduce((sum, i) => sum + i.cents * i.qty, 0);
  const discount = customer?.tier === 'gold' ? Math.round(subtotal * 0.1) : 0;
  const rate: number = await iota.host.taxRate(customer?.country ?? 'US');
  const tax = Math.round((subtotal - discount) * rate);
  iota.log.info('priced', { customer: order.customerId, subtotal, discount, tax });
  return { subtotal, discount, tax, total: subtotal - discount + tax };
}
`

// run embeds Kiln with its data in dataDir, prices one order for tenant
// acme and returns the execution record.
func run(ctx context.Context, dataDir string) (*kilntype.Execution, error) {
	table := customers{}
	k, err := kiln.New(kiln.Config{
		DataDir:     dataDir,
		Collections: map[string]kiln.Collection{"customers": table},
		HostFuncs:   []kiln.HostFunc{{Name: "taxRate", Fn: taxRate}},
	})
	if err != nil {
		return nil, err
	}
	if err := k.Start(ctx); err != nil {
		return nil, err
	}
	defer func() { _ = k.Stop(context.Background()) }()

	tenant, err := k.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme Corp"})
	if kilntype.ErrorCode(err) == kilntype.EConflict {
		tenant, err = k.TenantGetBySlug(ctx, "acme") // a second run on the same data
	}
	if err != nil {
		return nil, err
	}
	table[tenant.ID] = map[string]map[string]any{
		"c1": {"id": "c1", "name": "Ada", "tier": "gold", "country": "DE"},
		"c2": {"id": "c2", "name": "Bob", "tier": "basic", "country": "US"},
	}
	if _, err := k.ScriptSave(ctx, kiln.ScriptSaveParams{TenantSlug: "acme", Name: "price-order", Source: priceOrder}); err != nil {
		return nil, err
	}
	order, _ := json.Marshal(map[string]any{
		"customerId": "c1",
		"items":      []map[string]any{{"sku": "A", "cents": 1250, "qty": 2}, {"sku": "B", "cents": 500, "qty": 1}},
	})
	res, err := k.Run(ctx, kiln.RunParams{TenantSlug: "acme", ScriptName: "price-order", Trigger: kilntype.TriggerEmbedded, Input: order})
	if err != nil {
		return nil, err
	}
	return res.Execution, nil
}

func main() {
	dir, err := os.MkdirTemp("", "kiln-embed-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	ex, err := run(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
	if ex.Error != nil {
		fmt.Fprintf(os.Stderr, "the script failed: %s %s\n", ex.Error.Code, ex.Error.Message)
		os.Exit(1)
	}
	out, _ := json.Marshal(ex.Output)
	fmt.Println(string(out))
}
