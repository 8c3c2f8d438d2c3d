package sqlstore

import (
	"context"
	"database/sql"
)

// A task's journal append runs a handful of statements whose text depends
// only on the append's shape (a receive or not, a state change, the caps,
// how many entries). Parsing them was most of an append's CPU on SQLite,
// so each shape is prepared once on the write pool and reused. A
// statement is prepared before the transaction that runs it — never
// inside: SQLite's write pool has one connection, which the transaction
// holds — and run in it with tx.StmtContext.

// maxStmts bounds the cache: shapes past it are parsed each time.
const maxStmts = 128

// prepare returns text prepared on the write pool, from the cache or
// prepared now; nil (parse it each time) if the cache is full or the
// prepare failed.
func (s *Store) prepare(ctx context.Context, text string) *sql.Stmt {
	s.stmtMu.Lock()
	st, full := s.stmts[text], len(s.stmts) >= maxStmts
	s.stmtMu.Unlock()
	if st != nil || full {
		return st
	}
	// Prepared without the lock: preparing waits for the write pool's
	// connection, which a transaction may hold while it reads the cache.
	st, err := s.write.PrepareContext(ctx, text)
	if err != nil {
		return nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if prev := s.stmts[text]; prev != nil || len(s.stmts) >= maxStmts || s.stmtsClosed {
		_ = st.Close()
		return prev
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[text] = st
	return st
}

// prepared returns text's statement if it was prepared before, else nil.
func (s *Store) prepared(text string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.stmts[text]
}

// txExec runs q in tx, prepared if it was prepared before.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q *query) (sql.Result, error) {
	if st := s.prepared(q.String()); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, q.args...)
	}
	return tx.ExecContext(ctx, q.String(), q.args...)
}

// txQueryRow is txExec for a query that returns one row.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, q *query) *sql.Row {
	if st := s.prepared(q.String()); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, q.args...)
	}
	return tx.QueryRowContext(ctx, q.String(), q.args...)
}
