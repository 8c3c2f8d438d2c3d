package server

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
)

// What TestTaskCrashLosesNothing checks of each call after the restart,
// and the snapshot of task states it takes while the server is dead.

// journalShape is a journal's kinds and names, without values.
type journalShape struct{ ingress, egress []string }

// checkCrashCall checks a completed call: both tasks completed, the
// egress got what the ingress received, which is every acknowledged digit
// once, in order, and at most the unanswered ones besides; both journals
// run from 0 without a gap and, when want is not nil, have the shape of
// the control call's for the same number of digits. It returns the
// call's shape per digit received. It adds the unanswered sends that
// were received to stored.
func checkCrashCall(t *testing.T, api *crashAPI, key string, c *crashCall, want *journalShape, stored *atomic.Int64) *journalShape {
	t.Helper()
	var in struct {
		kilntype.Task
		Children []string
	}
	if err := api.get(key, "/api/tasks/"+c.ingress, &in); err != nil {
		t.Error(err)
		return nil
	}
	var res struct {
		Peer   string
		Digits []crashAttempt
	}
	_ = json.Unmarshal(in.Result, &res)
	if in.State != kilntype.TaskCompleted || res.Peer == "" || !slices.Equal(in.Children, []string{res.Peer}) {
		t.Errorf("ingress %s: %s, result %s, error %+v, children %v", c.ingress, in.State, in.Result, in.Error, in.Children)
		return nil
	}
	var kids struct{ Tasks []kilntype.Task }
	if err := api.get(key, "/api/tasks?parent="+c.ingress, &kids); err != nil || len(kids.Tasks) != 1 || kids.Tasks[0].ID != res.Peer {
		t.Errorf("ingress %s: children %+v (%v), want only %s", c.ingress, kids.Tasks, err, res.Peer)
		return nil
	}
	var out kilntype.Task
	if err := api.get(key, "/api/tasks/"+res.Peer, &out); err != nil {
		t.Error(err)
		return nil
	}
	var got struct {
		From string
		Got  []crashAttempt
	}
	_ = json.Unmarshal(out.Result, &got)
	if out.State != kilntype.TaskCompleted || got.From != c.ingress || out.ParentID != c.ingress {
		t.Errorf("egress %s of %s: %s, result %s, error %+v", res.Peer, c.ingress, out.State, out.Result, out.Error)
		return nil
	}
	if in.InboxDepth != 0 || out.InboxDepth != 0 {
		t.Errorf("call %s: events left in the inboxes: %d and %d", c.ingress, in.InboxDepth, out.InboxDepth)
	}

	// Every acknowledged attempt once, in the order sent; an unanswered
	// one at most once; nothing else.
	received := map[int]bool{}
	last := -1
	for _, a := range res.Digits {
		if a.K <= last || a.K >= len(c.attempts) || c.attempts[a.K].D != a.D {
			t.Errorf("call %s: received %+v out of order, twice or never sent (attempts %+v, received %+v)", c.ingress, a, c.attempts, res.Digits)
			return nil
		}
		last = a.K
		received[a.K] = true
		if !c.attempts[a.K].acked {
			stored.Add(1)
		}
	}
	for k, a := range c.attempts {
		if a.acked && !received[k] {
			t.Errorf("call %s: acknowledged digit %+v lost (received %+v)", c.ingress, a, res.Digits)
		}
	}
	if !slices.Equal(got.Got, res.Digits) {
		t.Errorf("call %s: the egress got %+v, the ingress forwarded %+v", c.ingress, got.Got, res.Digits)
	}

	// Contiguous journals, with the control call's shape.
	inJournal, err := api.journal(key, c.ingress, in.JournalLen)
	if err != nil {
		t.Errorf("ingress %s: %v", c.ingress, err)
		return nil
	}
	outJournal, err := api.journal(key, res.Peer, out.JournalLen)
	if err != nil {
		t.Errorf("egress %s: %v", res.Peer, err)
		return nil
	}
	shape := &journalShape{ingress: shapeOf(inJournal), egress: shapeOf(outJournal)}
	// The digits as the journals hold them: received and sent by the
	// ingress, received by the egress, each the same list.
	var inGot, inSent, outGot []crashAttempt
	for _, e := range inJournal {
		switch {
		case e.Kind == kilntype.JournalReceive && e.Name == "digit":
			var ev struct{ Payload crashAttempt }
			_ = json.Unmarshal(e.Value, &ev)
			inGot = append(inGot, ev.Payload)
		case e.Kind == kilntype.JournalSend && e.Name == "digit":
			var req struct{ Payload crashAttempt }
			_ = json.Unmarshal(e.Request, &req)
			inSent = append(inSent, req.Payload)
		}
	}
	for _, e := range outJournal {
		if e.Kind == kilntype.JournalReceive && e.Name == "digit" {
			var ev struct {
				Payload crashAttempt
				From    string
			}
			_ = json.Unmarshal(e.Value, &ev)
			if ev.From != c.ingress {
				t.Errorf("egress %s: a digit from %q", res.Peer, ev.From)
			}
			outGot = append(outGot, ev.Payload)
		}
	}
	if !slices.Equal(inGot, res.Digits) || !slices.Equal(inSent, res.Digits) || !slices.Equal(outGot, res.Digits) {
		t.Errorf("call %s: the journals hold received %+v, forwarded %+v, got %+v; the results %+v", c.ingress, inGot, inSent, outGot, res.Digits)
	}
	if want != nil {
		wantShape := want.forDigits(len(res.Digits))
		if !slices.Equal(shape.ingress, wantShape.ingress) || !slices.Equal(shape.egress, wantShape.egress) {
			t.Errorf("call %s (%d digits): journals\n  %v\n  %v\nwant, as the uninterrupted call's,\n  %v\n  %v",
				c.ingress, len(res.Digits), shape.ingress, shape.egress, wantShape.ingress, wantShape.egress)
		}
		return nil
	}
	// The control call: the shape must be what its scripts make, so
	// that forDigits can scale it to any number of digits.
	if len(res.Digits) != crashDigits {
		t.Fatalf("the control call received %+v", res.Digits)
	}
	if e := (&journalShape{ingress: shape.ingress, egress: shape.egress}).forDigits(crashDigits); !slices.Equal(e.ingress, shape.ingress) || !slices.Equal(e.egress, shape.egress) {
		t.Fatalf("the control call's journals are not made of a prefix, one block per digit and a suffix:\n  %v\n  %v", shape.ingress, shape.egress)
	}
	return shape
}

// The control call's journals: a prefix (spawn, bridge), a block per
// digit, a suffix (hangup). These are the block lengths, in entries.
const (
	ingressPrefix, ingressBlock = 2, 3 // spawn, send bridge | clock wait, receive digit, send digit
	egressPrefix, egressBlock   = 2, 2 // clock wait, receive bridge | clock wait, receive digit
)

// forDigits scales the control call's shape to n digits.
func (s *journalShape) forDigits(n int) *journalShape {
	scale := func(j []string, prefix, block int) []string {
		if len(j) < prefix+block {
			return nil
		}
		out := slices.Clone(j[:prefix])
		for range n {
			out = append(out, j[prefix:prefix+block]...)
		}
		return append(out, j[prefix+crashDigits*block:]...)
	}
	return &journalShape{ingress: scale(s.ingress, ingressPrefix, ingressBlock), egress: scale(s.egress, egressPrefix, egressBlock)}
}

func shapeOf(j []kilntype.JournalEntry) []string {
	out := make([]string, len(j))
	for i, e := range j {
		out[i] = string(e.Kind) + ":" + e.Name
	}
	return out
}

// crashSnapshot reads the killed server's data: how many calls were in
// which state when it died.
func crashSnapshot(t *testing.T, data string, groups map[string]string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tenants, err := st.TenantList(ctx)
	if err != nil || len(tenants) != 1 {
		t.Fatalf("tenants %+v: %v", tenants, err)
	}
	var tasks []kilntype.Task
	for cursor := ""; ; {
		page, next, err := st.TaskList(ctx, store.TaskListParams{TenantID: tenants[0].ID, Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	states := map[kilntype.TaskState]int{}
	egress := map[string]kilntype.Task{}
	for _, task := range tasks {
		states[task.State]++
		if task.ParentID != "" {
			egress[task.ParentID] = task
		}
	}
	pairs := map[string]map[string]int{}
	for _, in := range tasks {
		if in.ParentID != "" {
			continue
		}
		var state string
		out, ok := egress[in.ID]
		switch {
		case !ok:
			state = "egress not spawned"
		case in.State.Terminal() && out.State.Terminal():
			state = "ended"
		case in.InboxDepth > 0 || out.InboxDepth > 0:
			state = "mid-conversation (events queued)"
		case in.State == kilntype.TaskHibernated && out.State == kilntype.TaskHibernated:
			state = "hibernated"
		case in.State != kilntype.TaskHibernated && out.State != kilntype.TaskHibernated:
			state = "resident, nothing queued"
		default:
			state = "one resident, one hibernated"
		}
		g := groups[in.ID]
		if g == "" {
			g = "control"
		}
		if pairs[g] == nil {
			pairs[g] = map[string]int{}
		}
		pairs[g][state]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d tasks %v; calls by group:", len(tasks), states)
	for _, g := range slices.Sorted(maps.Keys(pairs)) {
		fmt.Fprintf(&b, "\n    %s: %v", g, pairs[g])
	}
	return b.String()
}
