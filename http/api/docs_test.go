package api

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestAPIDocsCoverEveryRoute keeps docs/api.md and the route table in step:
// every route has a section with a curl example, and every section names a
// real route.
func TestAPIDocsCoverEveryRoute(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	parts := regexp.MustCompile(`(?m)^### ([A-Z]+ /\S+)$`).Split(string(doc), -1)
	heads := regexp.MustCompile(`(?m)^### ([A-Z]+ /\S+)$`).FindAllStringSubmatch(string(doc), -1)
	for i, h := range heads {
		sections[h[1]] = parts[i+1]
	}
	a := &API{}
	routes := map[string]bool{}
	for _, rt := range a.apiRoutes() {
		key := rt.Method + " " + rt.Path
		routes[key] = true
		body, ok := sections[key]
		if !ok {
			t.Errorf("docs/api.md has no section for %s", key)
			continue
		}
		if !strings.Contains(body, "curl") {
			t.Errorf("docs/api.md section %s has no curl example", key)
		}
	}
	for key := range a.publicRoutes() {
		routes[key] = true
	}
	for key := range sections {
		if !routes[key] {
			t.Errorf("docs/api.md documents %s, which is not a route", key)
		}
	}
}

// TestOpenAPIDocument: every route is in the OpenAPI document.
func TestOpenAPIDocument(t *testing.T) {
	a := &API{}
	doc := a.openAPIDocument()
	paths := doc["paths"].(map[string]map[string]any)
	for _, rt := range a.apiRoutes() {
		if _, ok := paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("OpenAPI lacks %s %s", rt.Method, rt.Path)
		}
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("not OpenAPI 3.1: %v", doc["openapi"])
	}
}
