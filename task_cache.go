package kiln

import (
	"container/list"
	"sync"

	"github.com/kiln-run/kiln/kilntype"
)

// journalCache keeps the journals of recently hibernated tasks, so that a
// task woken soon after it went to sleep replays from memory instead of
// reading its whole journal back from the store. A journal only grows (a
// written entry never changes, and continueAsNew starts another
// generation), so a cached prefix stays right whoever wrote after it: a
// resume reads only the entries past it. The cache is bounded by bytes,
// least recently hibernated out first, so a million hibernated tasks cost
// it no more than its budget.
type journalCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // of *cachedJournal, most recent at the front
	byID  map[string]*list.Element
}

type cachedJournal struct {
	taskID     string
	generation int
	entries    []kilntype.JournalEntry
	bytes      int64
}

func newJournalCache(maxBytes int64) *journalCache {
	return &journalCache{max: maxBytes, order: list.New(), byID: map[string]*list.Element{}}
}

// get returns the cached prefix of a task's journal of generation, or nil.
// The entries are shared: callers must not change them.
func (c *journalCache) get(taskID string, generation int) []kilntype.JournalEntry {
	if c.max <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byID[taskID]
	if el == nil {
		return nil
	}
	j := el.Value.(*cachedJournal)
	if j.generation != generation {
		c.remove(el)
		return nil
	}
	c.order.MoveToFront(el)
	return j.entries[:len(j.entries):len(j.entries)] // an append copies
}

// put caches a task's journal (replacing what was cached of it).
func (c *journalCache) put(taskID string, generation int, entries []kilntype.JournalEntry) {
	if c.max <= 0 || len(entries) == 0 {
		return
	}
	var size int64
	for i := range entries {
		size += journalEntrySize(&entries[i])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byID[taskID]; el != nil {
		c.remove(el)
	}
	if size > c.max/4 {
		return // one task may not take the cache
	}
	entries = entries[:len(entries):len(entries)] // an append by its owner copies
	c.byID[taskID] = c.order.PushFront(&cachedJournal{taskID: taskID, generation: generation, entries: entries, bytes: size})
	c.used += size
	for c.used > c.max {
		c.remove(c.order.Back())
	}
}

// drop forgets a task (it ended).
func (c *journalCache) drop(taskID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byID[taskID]; el != nil {
		c.remove(el)
	}
}

func (c *journalCache) remove(el *list.Element) {
	j := c.order.Remove(el).(*cachedJournal)
	delete(c.byID, j.taskID)
	c.used -= j.bytes
}

// journalEntrySize is about what an entry holds in memory.
func journalEntrySize(e *kilntype.JournalEntry) int64 {
	return int64(160 + len(e.Kind) + len(e.Name) + len(e.Request) + len(e.Value))
}
