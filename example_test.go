package kiln_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// A Go application embeds Kiln, lends its scripts a function of its own,
// deploys a tenant's script and runs it.
func Example() {
	dir, _ := os.MkdirTemp("", "kiln-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	taxRate := func(ctx context.Context, tenantID string, args []any) (any, error) {
		if country, _ := args[0].(string); country == "DE" {
			return 0.19, nil
		}
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "no tax rate for %v", args[0])
	}
	k, err := kiln.New(kiln.Config{DataDir: dir, HostFuncs: []kiln.HostFunc{{Name: "taxRate", Fn: taxRate}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := k.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer k.Stop(ctx)

	if _, err := k.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme Corp"}); err != nil {
		fmt.Println(err)
		return
	}
	_, err = k.ScriptSave(ctx, kiln.ScriptSaveParams{TenantSlug: "acme", Name: "gross", Source: `
		export default async function (order: { net: number; country: string }) {
			const rate: number = await iota.host.taxRate(order.country);
			return { gross: Math.round(order.net * (1 + rate)) };
		}`})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, order := range []string{`{"net": 100, "country": "DE"}`, `{"net": 100, "country": "XX"}`} {
		res, err := k.Run(ctx, kiln.RunParams{TenantSlug: "acme", ScriptName: "gross",
			Trigger: kilntype.TriggerEmbedded, Input: json.RawMessage(order)})
		if err != nil {
			fmt.Println(err)
			return
		}
		if e := res.Execution.Error; e != nil {
			fmt.Println(res.Execution.Status, e.Code)
			continue
		}
		fmt.Println(res.Execution.Status, string(res.Execution.Output))
	}
	// Output:
	// completed {"gross":119}
	// failed INVALID_ARGUMENT
}
