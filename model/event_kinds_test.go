package model_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dakenh/dakenh/model"
)

// EventKinds lists every EventKind constant declared in this package: a kind added without it
// could not be chosen by an outgoing webhook endpoint.
func TestEventKindsListsEveryConstant(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "EventKind" {
				return true
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					continue
				}
				declared++
				kind := model.EventKind(lit.Value[1 : len(lit.Value)-1])
				if !slices.Contains(model.EventKinds(), kind) {
					t.Errorf("EventKinds() lacks %q", kind)
				}
			}
			return true
		})
	}
	if declared != len(model.EventKinds()) {
		t.Errorf("%d EventKind constants declared, EventKinds() lists %d", declared, len(model.EventKinds()))
	}
}
