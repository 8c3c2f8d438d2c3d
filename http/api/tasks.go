package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// taskStart starts a durable task running a task script's current version.
func (a *API) taskStart(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b struct {
		Script   string          `json:"script"`
		ScriptID string          `json:"scriptId"`
		Params   json.RawMessage `json:"params"`
	}
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.Script == "" && b.ScriptID == "":
		return 0, nil, invalid("name the task script: script (its name) or scriptId")
	case b.Script != "" && b.ScriptID != "":
		return 0, nil, invalid("send script (the name) or scriptId, not both")
	}
	t, err := a.client.Spawn(r.Context(), kiln.SpawnParams{TenantID: p.TenantID, ScriptID: b.ScriptID, ScriptName: b.Script, Params: b.Params})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, t, nil
}

// taskList lists the tenant's tasks, newest first. The script filter takes
// a script's ID or its name.
func (a *API) taskList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	state := kilntype.TaskState(q.Get("state"))
	if state != "" && !state.Valid() {
		return 0, nil, invalid("state %q must be one of running, waiting, hibernated, completed, failed, cancelled", state)
	}
	scriptID := ""
	if name := q.Get("script"); name != "" {
		if scriptID, err = a.scriptIDOrName(r, p, name); err != nil {
			return 0, nil, err
		}
	}
	tasks, next, err := a.client.Tasks(r.Context(), store.TaskListParams{TenantID: p.TenantID, State: state, ScriptID: scriptID,
		ParentID: q.Get("parent"), Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return 0, nil, err
	}
	if tasks == nil {
		tasks = []kilntype.Task{}
	}
	return http.StatusOK, map[string]any{"tasks": tasks, "nextCursor": next}, nil
}

// scriptIDOrName resolves a script filter: an ID of the tenant's, else a
// name. NOT_FOUND if it is neither.
func (a *API) scriptIDOrName(r *http.Request, p principal, s string) (string, error) {
	d, err := a.client.ScriptGet(r.Context(), p.TenantID, s)
	if err == nil {
		return d.ID, nil
	}
	if kilntype.ErrorCode(err) != kilntype.ENotFound {
		return "", err
	}
	d, err = a.client.ScriptGetByName(r.Context(), p.TenantID, s)
	if err != nil {
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			return "", kilntype.Errorf(kilntype.ENotFound, "no script with the ID or name %q", s)
		}
		return "", err
	}
	return d.ID, nil
}

// taskDetail is a task with the IDs of the tasks it spawned.
type taskDetail struct {
	*kilntype.Task
	// Children are the IDs of the first page (up to 200) of the task's
	// children, newest first; ChildrenNextCursor, if not empty, pages on
	// through GET /api/tasks?parent=ID.
	Children           []string `json:"children"`
	ChildrenNextCursor string   `json:"childrenNextCursor,omitempty"`
}

func (a *API) taskGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	t, err := a.client.Task(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	children, next, err := a.client.Tasks(r.Context(), store.TaskListParams{TenantID: p.TenantID, ParentID: t.ID, Limit: 200})
	if err != nil {
		return 0, nil, err
	}
	d := taskDetail{Task: t, Children: make([]string, 0, len(children)), ChildrenNextCursor: next}
	for _, c := range children {
		d.Children = append(d.Children, c.ID)
	}
	return http.StatusOK, d, nil
}

// taskJournal pages through a task's current journal. next is the index
// to ask for next, or null once the page reaches the journal's end as it
// is now (a task that is still running may add more).
func (a *API) taskJournal(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	q := r.URL.Query()
	from, err := queryInt(q.Get("from"), "from", 0, 1<<62)
	if err != nil {
		return 0, nil, err
	}
	limit, err := queryInt(q.Get("limit"), "limit", 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	entries, err := a.client.TaskJournal(r.Context(), p.TenantID, id, from, int(limit))
	if err != nil {
		return 0, nil, err
	}
	if entries == nil {
		entries = []kilntype.JournalEntry{}
	}
	var next *int64
	if n := len(entries); n > 0 {
		// Read after the page, so the length is at least what it held.
		t, err := a.client.Task(r.Context(), p.TenantID, id)
		if err != nil {
			return 0, nil, err
		}
		if after := entries[n-1].Index + 1; after < t.JournalLen {
			next = &after
		}
	}
	return http.StatusOK, map[string]any{"entries": entries, "next": next}, nil
}

// queryInt reads an optional integer query parameter from min to max; 0
// when it is absent.
func queryInt(s, name string, min, max int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min || n > max {
		return 0, invalid("query parameter %s %q must be a number from %d to %d", name, s, min, max)
	}
	return n, nil
}

// taskSend puts an event in a task's inbox; it is durable when this
// answers.
func (a *API) taskSend(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	if b.Type == "" {
		return 0, nil, invalid("type is required: the event's type, as the task's receive filters it")
	}
	seq, err := a.client.Send(r.Context(), p.TenantID, r.PathValue("id"), b.Type, b.Payload)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]int64{"seq": seq}, nil
}

// taskCancel asks a task to stop: it gets a "cancelled" event and a grace
// period to handle it.
func (a *API) taskCancel(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	t, err := a.client.CancelTask(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, t, nil
}
