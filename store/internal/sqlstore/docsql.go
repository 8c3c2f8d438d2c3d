package sqlstore

import (
	"strings"

	"github.com/pressly/goose/v3"
)

// docSQL writes the parts of document queries that differ between the
// databases: how a JSON path is passed, and how the value found there is
// typed, compared and sorted. Each method gets the placeholder of a path
// argument (from pathArg) and of the compared value, never a field name or
// a value: nothing a script writes is ever spliced into SQL text.
//
// Both implementations answer the same as docquery.Filter.Match, which is
// the reference the conformance suite holds them to. The JSON types differ —
// SQLite's json_type says integer/real/text/true/false, PostgreSQL's
// jsonb_typeof number/string/boolean — so every comparison is guarded by a
// type test and numbers are compared as numbers, strings byte by byte
// (SQLite's BINARY collation, PostgreSQL's "C").
type docSQL interface {
	// pathArg returns the argument that names a dotted field's JSON path.
	pathArg(field string) any
	// missingOrNull is true when the path finds nothing or a JSON null.
	missingOrNull(p string) string
	// isBool is true when the path finds the JSON boolean b.
	isBool(p string, b bool) string
	// compareNumber is true when the path finds a number that compares to
	// the float64 argument v as op ("=", "<", "<=", ">", ">=") says.
	compareNumber(p, op, v string) string
	// compareString is as compareNumber for a string and a text argument.
	compareString(p, op, v string) string
	// containsString is true when the path finds a string that contains
	// the text argument v.
	containsString(p, v string) string
	// arrayHas is true when the path finds an array with an element of
	// kind ("null", "true", "false", "number", "string") equal to the
	// argument v (unused for null and booleans).
	arrayHas(p, kind, v string) string
	// sortKeys returns expressions to ORDER BY, in turn, for a field: its
	// type's rank (0 missing or null, 1 boolean, 2 number, 3 string,
	// 4 array or object), a number (0/1 for booleans), and a string
	// compared byte by byte. Within one rank the second and third are
	// either always NULL or never, so NULL placement never matters.
	sortKeys(p string) [3]string
	// forUpdate is appended to the SELECT of a read-modify-write.
	forUpdate() string
}

// docs returns the dialect's document SQL. The Dialect's migration
// dialect already names the database, so it picks the implementation.
func (s *Store) docs() docSQL {
	if s.dialect.Goose == goose.DialectPostgres {
		return postgresDocs{}
	}
	return sqliteDocs{}
}

// sqliteDocs reads the TEXT data column with json_type and json_extract,
// whose path is "$.a.b". json_extract turns JSON true and false into 1
// and 0, so json_type tells booleans from numbers.
type sqliteDocs struct{}

func (sqliteDocs) pathArg(field string) any { return "$." + field }

func (sqliteDocs) missingOrNull(p string) string {
	return "COALESCE(json_type(data, " + p + "), 'null') = 'null'"
}

func (sqliteDocs) isBool(p string, b bool) string {
	if b {
		return "json_type(data, " + p + ") = 'true'"
	}
	return "json_type(data, " + p + ") = 'false'"
}

func (sqliteDocs) compareNumber(p, op, v string) string {
	return "(json_type(data, " + p + ") IN ('integer', 'real') AND json_extract(data, " + p + ") " + op + " " + v + ")"
}

func (sqliteDocs) compareString(p, op, v string) string {
	return "(json_type(data, " + p + ") = 'text' AND json_extract(data, " + p + ") " + op + " " + v + ")"
}

func (sqliteDocs) containsString(p, v string) string {
	return "(json_type(data, " + p + ") = 'text' AND instr(json_extract(data, " + p + "), " + v + ") > 0)"
}

func (sqliteDocs) arrayHas(p, kind, v string) string {
	var elem string
	switch kind {
	case "number":
		elem = "e.type IN ('integer', 'real') AND e.value = " + v
	case "string":
		elem = "e.type = 'text' AND e.value = " + v
	default: // null, true, false: json_each's type names them
		elem = "e.type = '" + kind + "'"
	}
	// json_each on an object walks its members and on a scalar yields the
	// scalar itself: only an array may match.
	return "(json_type(data, " + p + ") = 'array' AND EXISTS (SELECT 1 FROM json_each(data, " + p + ") AS e WHERE " + elem + "))"
}

func (sqliteDocs) sortKeys(p string) [3]string {
	t := "json_type(data, " + p + ")"
	x := "json_extract(data, " + p + ")"
	return [3]string{
		"CASE " + t + " WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 4 ELSE 0 END",
		"CASE " + t + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'integer' THEN " + x + " WHEN 'real' THEN " + x + " END",
		"CASE " + t + " WHEN 'text' THEN " + x + " END",
	}
}

// The single write connection and BEGIN IMMEDIATE already serialize
// read-modify-writes.
func (sqliteDocs) forUpdate() string { return "" }

// postgresDocs reads the JSONB data column with #> and #>>, whose path is a
// text[] ("{a,b}"; field names never need quoting in it). Numbers compare
// as jsonb, which PostgreSQL compares numerically and which never raises a
// cast error whatever the type; strings compare as text COLLATE "C".
type postgresDocs struct{}

func (postgresDocs) pathArg(field string) any { return "{" + strings.ReplaceAll(field, ".", ",") + "}" }

func pgValue(p string) string { return "(data #> " + p + "::text[])" }
func pgText(p string) string  { return "(data #>> " + p + "::text[])" }

func (postgresDocs) missingOrNull(p string) string {
	return "COALESCE(jsonb_typeof(" + pgValue(p) + "), 'null') = 'null'"
}

func (postgresDocs) isBool(p string, b bool) string {
	if b {
		return pgValue(p) + " = 'true'::jsonb"
	}
	return pgValue(p) + " = 'false'::jsonb"
}

func (postgresDocs) compareNumber(p, op, v string) string {
	return "(jsonb_typeof(" + pgValue(p) + ") = 'number' AND " + pgValue(p) + " " + op + " to_jsonb(" + v + "::float8))"
}

func (postgresDocs) compareString(p, op, v string) string {
	return "(jsonb_typeof(" + pgValue(p) + ") = 'string' AND " + pgText(p) + ` COLLATE "C" ` + op + " " + v + "::text)"
}

func (postgresDocs) containsString(p, v string) string {
	return "(jsonb_typeof(" + pgValue(p) + ") = 'string' AND strpos(" + pgText(p) + ", " + v + "::text) > 0)"
}

func (postgresDocs) arrayHas(p, kind, v string) string {
	var elem string
	switch kind {
	case "number":
		elem = "jsonb_build_array(to_jsonb(" + v + "::float8))"
	case "string":
		elem = "jsonb_build_array(to_jsonb(" + v + "::text))"
	default:
		elem = "'[" + kind + "]'::jsonb"
	}
	// Containment looks at top-level elements only: [[1]] does not
	// contain 1.
	return "(jsonb_typeof(" + pgValue(p) + ") = 'array' AND " + pgValue(p) + " @> " + elem + ")"
}

func (postgresDocs) sortKeys(p string) [3]string {
	t := "jsonb_typeof(" + pgValue(p) + ")"
	return [3]string{
		"CASE " + t + " WHEN 'boolean' THEN 1 WHEN 'number' THEN 2 WHEN 'string' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 4 ELSE 0 END",
		"CASE " + t + " WHEN 'boolean' THEN (CASE WHEN " + pgValue(p) + " = 'true'::jsonb THEN 1 ELSE 0 END) WHEN 'number' THEN " + pgValue(p) + "::float8 END",
		"(CASE WHEN " + t + " = 'string' THEN " + pgText(p) + ` END) COLLATE "C"`,
	}
}

func (postgresDocs) forUpdate() string { return " FOR UPDATE" }
