package config

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MaxConfigSize bounds the config file, checked before it is parsed.
//
// Parsing needs far more memory than the file holds: at the peak about 110
// bytes per byte of a real config, and up to 470 for dense one-character
// tokens (4 MiB of them peaked near 2 GB; a 12 MB file took 15 s). The
// largest config measured, examples/bench's 10,000 polled phones, is 1.4 MB
// (140 bytes a device block); 2 MiB holds some 14,000 such devices, bounds
// the worst file near 1 GB and a second of parsing, and refuses at once a
// file that is no config at all (a log, an image, a mistyped -config).
const MaxConfigSize = 2 << 20

// maxNesting bounds how deeply a config may nest. HCL's parser recurses once
// per level, and a Go stack overflow is fatal, not a panic that Parse could
// recover from: 70,000 nested brackets (140 KB) crash the process. A config
// value needs a few levels; 64 is far beyond any real one.
const maxNesting = 64

// sizeText writes a limit for people: "4 MiB", or bytes.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// nestFrame is one open bracket, brace, parenthesis, interpolation or
// template in tooDeep's scan.
type nestFrame struct {
	open hclsyntax.TokenType // the opening token; 0 for the file itself
	// ops counts the operators of the expression being read in this frame,
	// and the open %{if} and %{for} directives of a template.
	ops int
}

// weight is what f adds to the depth.
func (f nestFrame) weight() int {
	if f.open == hclsyntax.TokenOQuote || f.open == hclsyntax.TokenOHeredoc {
		return f.ops
	}
	return f.ops + 1
}

// opener returns the index of the innermost frame in stack that the closing
// token closes, or 0 (the file itself) when none does.
func opener(stack []nestFrame, closer hclsyntax.TokenType) int {
	for j := len(stack) - 1; j > 0; j-- {
		if slices.Contains(closes[closer], stack[j].open) {
			return j
		}
	}
	return 0
}

// closes maps each closing token to the opening tokens it closes.
var closes = map[hclsyntax.TokenType][]hclsyntax.TokenType{
	hclsyntax.TokenCBrace:         {hclsyntax.TokenOBrace},
	hclsyntax.TokenCBrack:         {hclsyntax.TokenOBrack},
	hclsyntax.TokenCParen:         {hclsyntax.TokenOParen},
	hclsyntax.TokenTemplateSeqEnd: {hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl},
	hclsyntax.TokenCQuote:         {hclsyntax.TokenOQuote},
	hclsyntax.TokenCHeredoc:       {hclsyntax.TokenOHeredoc},
}

// tooDeep returns where src first nests deeper than maxNesting, or nil.
//
// It must not recurse itself, so it reads HCL's token stream (the lexer is a
// state machine; it keeps its own small stacks) and counts what makes the
// parser recurse: every { [ ( ${ and %{, and within one expression every
// operator, since chains such as - - - … 1, a ? b : a ? b : …, and a[*][*]…
// recurse once per operator, and every open %{if} or %{for}. An expression
// ends at "=" or "," (neither can occur inside one); newlines are not used,
// since inside brackets they do not end an expression. Quotes and heredocs
// are not counted: a string can only nest inside ${, which is.
func tooDeep(src []byte, filename string) *hcl.Range {
	// The lexer's problems are the parser's to report, when it runs.
	tokens, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	stack := []nestFrame{{}}
	depth := 0                   // counted frames plus the ops of every frame
	var prev hclsyntax.TokenType // the token before, comments and newlines aside
	for _, tok := range tokens {
		top := &stack[len(stack)-1]
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			stack = append(stack, nestFrame{open: tok.Type})
			depth++
		case hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc:
			stack = append(stack, nestFrame{open: tok.Type})
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen,
			hclsyntax.TokenTemplateSeqEnd, hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
			// Close the innermost matching frame and whatever is left open
			// inside it, as the parser's recovery does; a closer without a
			// match is a syntax error the parser reports.
			if j := opener(stack, tok.Type); j > 0 {
				for _, f := range stack[j:] {
					depth -= f.weight()
				}
				stack = stack[:j]
			}
		case hclsyntax.TokenEqual, hclsyntax.TokenComma:
			depth -= top.ops
			top.ops = 0
		case hclsyntax.TokenStar:
			if prev == hclsyntax.TokenOBrack && len(stack) > 1 {
				// a[*]: the splat nests what follows the "]", so it counts
				// in the frame around the brackets.
				stack[len(stack)-2].ops++
			} else {
				top.ops++
			}
			depth++
		case hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenSlash, hclsyntax.TokenPercent,
			hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
			hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenAnd, hclsyntax.TokenOr,
			hclsyntax.TokenBang, hclsyntax.TokenQuestion:
			top.ops++
			depth++
		case hclsyntax.TokenIdent:
			// %{if …} and %{for …} stay open until %{endif} and %{endfor}:
			// they count in the template around the %{.
			if prev != hclsyntax.TokenTemplateControl || len(stack) < 2 {
				break
			}
			tmpl := &stack[len(stack)-2]
			switch string(tok.Bytes) {
			case "if", "for":
				tmpl.ops++
				depth++
			case "endif", "endfor":
				if tmpl.ops > 0 {
					tmpl.ops--
					depth--
				}
			}
		}
		if depth > maxNesting {
			return &tok.Range
		}
		if tok.Type != hclsyntax.TokenComment && tok.Type != hclsyntax.TokenNewline {
			prev = tok.Type
		}
	}
	return nil
}
