package omnichannel

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
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
	t := transform.Chain(runes.Map(unicode.ToLower), norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC,
		runes.Map(foldLetter))
	out, _, err := transform.String(t, s)
	if err != nil {
		// The transformers above never fail on a string; fold without them rather than lose the row.
		return strings.Map(func(r rune) rune { return foldLetter(unicode.ToLower(r)) }, s)
	}
	return out
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
