package api

import (
	"encoding/json"
	"github.com/kiln-run/kiln/kilntype"
	"net/http"
	"regexp"
	"strconv"
)

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPIDocument describes the API in OpenAPI 3.1, built from the same
// route table the server registers.
func (a *API) openAPIDocument() map[string]any {
	errorRef := map[string]any{"$ref": "#/components/schemas/Error"}
	paths := map[string]map[string]any{}
	for _, rt := range a.apiRoutes() {
		op := map[string]any{
			"summary":     rt.Summary,
			"description": "Caller: " + rt.Access.String() + ".",
			"security":    []any{map[string]any{"bearer": []string{}}},
			"responses": map[string]any{
				strconv.Itoa(rt.Status): map[string]any{"description": http.StatusText(rt.Status)},
				"400":                   map[string]any{"description": string(kilntype.EInvalidArgument), "content": map[string]any{"application/json": map[string]any{"schema": errorRef}}},
				"401":                   map[string]any{"description": string(kilntype.EUnauthorized)},
				"403":                   map[string]any{"description": string(kilntype.EForbidden)},
				"404":                   map[string]any{"description": string(kilntype.ENotFound)},
			},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]string{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			props := map[string]any{}
			for _, f := range rt.Body {
				props[f] = map[string]any{}
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"type": "object", "properties": props, "additionalProperties": false}}}}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][lower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "Kiln API", "version": "1", "description": "See docs/api.md for examples."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "properties": map[string]any{
				"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
					"code": map[string]string{"type": "string"}, "message": map[string]string{"type": "string"}, "details": map[string]any{}}}}}},
		},
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// openAPI serves the OpenAPI document (no key needed).
func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(a.openAPIDocument())
}
