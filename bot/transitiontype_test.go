package bot_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTransitionTypesAreNamed: production code records and compares transition types through the
// bot.Transition* constants only. TransitionType is a string type, so Go would accept a string written out
// ("escalatd" compiles); this test refuses one wherever a transition type is recorded or compared: as the
// type argument of a ticket's transition (or the generator's event), as the Type of a Transition literal,
// compared with or switched on x.Type (or an Observer's typ) in a package that knows bot, or passed to an
// Observer.
func TestTransitionTypesAreNamed(t *testing.T) {
	const module = "github.com/firstline-desk/firstline/bot"
	fset := token.NewFileSet()
	var problems []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Adapters compare their platforms' payload types (.Type == "message") and never see a
			// transition.
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "adapters") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		knowsBot := f.Name.Name == "bot"
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == module {
				knowsBot = true
			}
		}
		if !knowsBot {
			return nil
		}
		literal := func(e ast.Expr, what string) {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				problems = append(problems, fset.Position(lit.Pos()).String()+": "+lit.Value+" "+what)
			}
		}
		// A transition's type is read as x.Type, or as typ where an Observer is told of it.
		isType := func(e ast.Expr) bool {
			switch e := e.(type) {
			case *ast.SelectorExpr:
				return e.Sel.Name == "Type"
			case *ast.Ident:
				return e.Name == "typ"
			}
			return false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					switch sel.Sel.Name {
					case "transition", "event":
						if len(n.Args) > 1 {
							literal(n.Args[1], "as a transition type")
						}
					case "Transition":
						if len(n.Args) > 0 {
							literal(n.Args[0], "as a transition type")
						}
					}
				}
			case *ast.CompositeLit:
				name := ""
				switch typ := n.Type.(type) {
				case *ast.Ident:
					name = typ.Name
				case *ast.SelectorExpr:
					name = typ.Sel.Name
				}
				if name != "Transition" {
					break
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Type" {
							literal(kv.Value, "as a Transition's Type")
						}
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					if isType(n.X) {
						literal(n.Y, "compared with a transition type")
					}
					if isType(n.Y) {
						literal(n.X, "compared with a transition type")
					}
				}
			case *ast.SwitchStmt:
				if n.Tag != nil && isType(n.Tag) {
					for _, c := range n.Body.List {
						for _, e := range c.(*ast.CaseClause).List {
							literal(e, "as a case of a transition type")
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: use a bot.Transition* constant", p)
	}
}
