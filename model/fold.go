package model

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FoldSearch returns the search form of s: the form in which ConversationQuery.Search compares a
// contact name with the term typed, on every store. It lower-cases s (Unicode simple case mapping,
// as strings.ToLower), removes the accents (the nonspacing combining marks, Unicode category Mn,
// after canonical decomposition: "ễ" → "e", whether s is written precomposed or decomposed),
// recomposes what is left (NFC) and writes "đ" (and so "Đ") as "d". So "Nguyễn Văn Đức",
// "NGUYỄN VĂN ĐỨC" and "nguyen van duc" all fold to "nguyen van duc", and a term matches a name
// when the term's fold is a substring of the name's fold.
//
// FoldSearch is idempotent (FoldSearch(FoldSearch(s)) == FoldSearch(s)) and deterministic: stores
// keep the fold of each contact name (computed once, when the row is written) and must recompute it
// with this function when its definition changes. Invalid UTF-8 bytes become U+FFFD.
func FoldSearch(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	if f, ok := foldLatin(s); ok {
		return f
	}
	d := norm.NFD.String(strings.ToLower(s))
	b := make([]byte, 0, len(d))
	ascii := true
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = foldLetter(r)
		ascii = ascii && r < utf8.RuneSelf
		b = utf8.AppendRune(b, r)
	}
	if ascii {
		return string(b) // composed already (the usual Vietnamese name)
	}
	return norm.NFC.String(string(b))
}

// foldLetter maps the letters that keep an accent through decomposition (a stroke is not a
// combining mark) to their base letter.
func foldLetter(r rune) rune {
	if r == 'đ' {
		return 'd'
	}
	return r
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Latin letters with accents fold to one ASCII letter each: latinFolds maps the letters of the
// Latin-1 Supplement and Latin Extended-A and B blocks (below U+0250) and of Latin Extended
// Additional (U+1E00–U+1EFF, where most Vietnamese letters are) whose lower case decomposes to an
// ASCII letter and nonspacing marks, and đ and Đ, to that letter; 0 for the others.
var latinFolds = func() map[rune]byte {
	m := map[rune]byte{'đ': 'd', 'Đ': 'd'}
	add := func(from, to rune) {
		for r := from; r <= to; r++ {
			d := []rune(norm.NFD.String(string(unicode.ToLower(r))))
			if len(d) == 0 || d[0] >= utf8.RuneSelf || !unicode.IsLetter(d[0]) {
				continue
			}
			if !slices.ContainsFunc(d[1:], func(c rune) bool { return !unicode.Is(unicode.Mn, c) }) {
				m[r] = byte(d[0])
			}
		}
	}
	add(0x80, 0x24F)
	add(0x1E00, 0x1EFF)
	return m
}()

// foldLatin is FoldSearch of a string of ASCII, latinFolds letters and combining diacritical
// marks (U+0300–U+036F), the common case, without the general decomposition; false for any other
// string.
func foldLatin(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b = append(b, byte(r))
		case 0x300 <= r && r <= 0x36F:
		default:
			c, ok := latinFolds[r]
			if !ok {
				return "", false
			}
			b = append(b, c)
		}
	}
	return string(b), true
}
