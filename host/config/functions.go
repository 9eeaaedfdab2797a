package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// maxFileSize bounds what file() reads: it is meant for passcodes and keys.
const maxFileSize = 1 << 20

// envError is env()'s failure: the variable is not set.
type envError struct{ name string }

func (e *envError) Error() string { return fmt.Sprintf("environment variable %q is not set", e.name) }

// fileError is file()'s failure. reason never holds the file's content.
type fileError struct{ path, reason string }

func (e *fileError) Error() string { return fmt.Sprintf("cannot read file %q: %s", e.path, e.reason) }

// evalContext returns the functions every expression may call: env and file.
// There are no variables.
func (c *Config) evalContext() *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{
		"env":  envFunc,
		"file": fileFunc(c.Dir),
	}}
}

var envFunc = function.New(&function.Spec{
	Description: "Returns the value of an environment variable of the ctihost process.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		name := args[0].AsString()
		v, ok := os.LookupEnv(name)
		if !ok || name == "" {
			return cty.NilVal, &envError{name: name}
		}
		if !utf8.ValidString(v) {
			return cty.NilVal, fmt.Errorf("environment variable %q is not valid UTF-8 text", name)
		}
		return cty.StringVal(v), nil
	},
})

// fileFunc returns file(path): the content of a regular file, path relative
// to dir, trailing newlines trimmed.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the content of a file, relative to the config file's folder, without trailing newlines.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			given := args[0].AsString()
			s, err := readSecretFile(dir, given)
			if err != nil {
				return cty.NilVal, &fileError{path: given, reason: err.Error()}
			}
			return cty.StringVal(s), nil
		},
	})
}

// readSecretFile reads a small regular file (see readRegular). Its errors
// name neither the absolute path nor the content.
func readSecretFile(dir, path string) (string, error) {
	if path == "" {
		return "", errors.New("the path is empty")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	b, err := readRegular(path, maxFileSize)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errors.New("not valid UTF-8 text")
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// pathReason drops the path from an *fs.PathError ("no such file or
// directory"), since the message names the path as written.
func pathReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// usesSecretSource reports whether expr calls env() or file(), i.e. whether
// a secret is kept out of the config file.
func usesSecretSource(expr hclsyntax.Expression) bool {
	found := false
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && (call.Name == "env" || call.Name == "file") {
			found = true
		}
		return nil
	})
	return found
}

// eval evaluates one attribute's expression. Problems are reported on s,
// naming object and attribute; for a secret attribute, HCL's detail text is
// left out so no part of the value can show. ok is false after an error.
func (c *Config) eval(s *sink, object string, attr *hclsyntax.Attribute, secret bool) (v cty.Value, ok bool) {
	if !checkExpr(s, object, attr) {
		return cty.NilVal, false
	}
	v, diags := attr.Expr.Value(c.evalContext())
	ok = true
	for _, d := range diags {
		sev := Warning
		if d.Severity == hcl.DiagError {
			sev, ok = Error, false
		}
		rng := attr.Expr.Range()
		if d.Subject != nil {
			rng = *d.Subject
		}
		if extra, isCall := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d); isCall {
			var ee *envError
			var fe *fileError
			switch err := extra.FunctionCallError(); {
			case errors.As(err, &ee):
				s.add(sev, rng, attr.Name, fmt.Sprintf("%s: attribute %q: %s", object, attr.Name, ee),
					"set it in ctihost's environment before starting ctihost")
				continue
			case errors.As(err, &fe):
				s.add(sev, rng, attr.Name, fmt.Sprintf("%s: attribute %q: %s", object, attr.Name, fe),
					"file() paths are relative to the config file's folder")
				continue
			}
		}
		detail := lowerFirst(strings.TrimSuffix(d.Detail, "."))
		if secret {
			detail = "rewrite the expression; only env(\"NAME\") and file(\"path\") can be called and there are no variables"
		}
		s.add(sev, rng, attr.Name, fmt.Sprintf("%s: attribute %q: %s", object, attr.Name, lowerFirst(d.Summary)), detail)
	}
	return v, ok
}

// checkExpr allows only what a config value needs: literals, strings with
// interpolation, lists, objects, negation of a literal, and calls; anything
// else (variables, operators, conditions, for expressions) is reported once.
// It also bounds number literals, since converting a number with a huge
// exponent to text takes minutes. It returns false when attr must not be
// evaluated, including when the parser already reported a syntax error in it.
func checkExpr(s *sink, object string, attr *hclsyntax.Attribute) bool {
	ok := true
	fail := func(n hclsyntax.Node, detail, problem string) {
		if ok {
			s.errorf(n.Range(), attr.Name, detail, "%s: attribute %q: %s", object, attr.Name, problem)
		}
		ok = false
	}
	const literalHint = `write a literal value, or call env("NAME") or file("path")`
	hclsyntax.VisitAll(attr.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.LiteralValueExpr:
			if v := n.Val; !v.IsNull() && v.IsKnown() && v.Type() == cty.Number && !numberInRange(v.AsBigFloat()) {
				fail(n, "use a number between -1e308 and 1e308", "number is out of range")
			}
		case *hclsyntax.UnaryOpExpr:
			if _, lit := n.Val.(*hclsyntax.LiteralValueExpr); !lit {
				fail(n, literalHint, "operators are not supported")
			}
		case *hclsyntax.FunctionCallExpr:
			// The name or path is quoted in error messages: computed from
			// env() or file(), it would show what they read.
			if hint, ok := argHints[n.Name]; ok {
				for _, arg := range n.Args {
					if !isLiteral(arg) {
						fail(arg, hint, fmt.Sprintf("the argument of %s() must be a quoted string", n.Name))
					}
				}
			}
		case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr,
			*hclsyntax.TupleConsExpr, *hclsyntax.ObjectConsExpr, *hclsyntax.ObjectConsKeyExpr,
			*hclsyntax.ParenthesesExpr:
		case *hclsyntax.ExprSyntaxError:
			ok = false // the parser reported it
		case *hclsyntax.ScopeTraversalExpr:
			fail(n, `put text in quotes ("like this"); there are no variables`, "variables are not supported")
		case *hclsyntax.BinaryOpExpr:
			fail(n, literalHint, "operators are not supported")
		case *hclsyntax.ConditionalExpr:
			fail(n, literalHint, "conditions are not supported")
		case *hclsyntax.ForExpr, *hclsyntax.TemplateJoinExpr:
			fail(n, literalHint, "for expressions are not supported")
		default: // index, splat and attribute access
			fail(n, literalHint, "this kind of expression is not supported")
		}
		return nil
	})
	return ok
}

// argHints says how to write the argument of env() and file().
var argHints = map[string]string{
	"env":  `write the variable name in quotes, such as env("GXP_PASSCODE"); it cannot be computed`,
	"file": `write the path in quotes, such as file("secrets/passcode"); it cannot be computed`,
}

// isLiteral reports whether expr is a constant: a literal or a string
// without interpolation.
func isLiteral(expr hclsyntax.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateExpr:
		return e.IsStringLiteral()
	}
	return false
}

// numberInRange reports whether f is finite and within float64's range.
func numberInRange(f *big.Float) bool {
	if f.IsInf() {
		return false
	}
	if f.Sign() == 0 {
		return true
	}
	exp := f.MantExp(nil)
	return exp >= -1100 && exp <= 1025
}
