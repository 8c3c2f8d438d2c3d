package kiln

import (
	"context"
	"slices"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

var validExecStatuses = []kilntype.ExecutionStatus{kilntype.ExecPending, kilntype.ExecRunning, kilntype.ExecCompleted, kilntype.ExecFailed, kilntype.ExecTimeout, kilntype.ExecCancelled, kilntype.ExecSkipped}

// ExecutionListParams filters a tenant's executions; empty fields do not
// filter.
type ExecutionListParams = store.ExecutionListParams

// ExecutionList returns a page of a tenant's execution records, newest
// first, and the next page's cursor ("" after the last).
func (c *Client) ExecutionList(ctx context.Context, p ExecutionListParams) ([]kilntype.Execution, string, error) {
	if p.Status != "" && !slices.Contains(validExecStatuses, p.Status) {
		return nil, "", invalid("status %q must be one of pending, running, completed, failed, timeout, cancelled, skipped", p.Status)
	}
	if p.Trigger != "" && !p.Trigger.Valid() {
		return nil, "", invalid("trigger %q must be one of http, event, cron, manual, embedded, task", p.Trigger)
	}
	if err := checkLimit(p.Limit); err != nil {
		return nil, "", err
	}
	execs, next, err := c.store.ExecutionList(ctx, p)
	if execs == nil && err == nil {
		execs = []kilntype.Execution{}
	}
	return execs, next, err
}

// ExecutionGet returns one execution record with its input, output, error
// and logs; NOT_FOUND if the tenant has none with that ID.
func (c *Client) ExecutionGet(ctx context.Context, tenantID, id string) (*kilntype.Execution, error) {
	return c.store.ExecutionGet(ctx, tenantID, id)
}
