package model_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/dakenh/dakenh/model"
)

func ExampleFoldSearch() {
	fmt.Println(model.FoldSearch("Trần Thị Bích"))
	fmt.Println(model.FoldSearch("NGUYỄN VĂN ĐỨC"))
	fmt.Println(model.FoldSearch("nguyen van duc") == model.FoldSearch("Nguyễn Văn Đức"))
	// Output:
	// tran thi bich
	// nguyen van duc
	// true
}

func TestFoldSearch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Nguyen Van An", "nguyen van an"},
		{"Nguyễn Văn An", "nguyen van an"},
		{"NGUYỄN VĂN AN", "nguyen van an"},
		{"Trần Thị Bích", "tran thi bich"},
		{"Đỗ Đức Đạt", "do duc dat"},
		{"đĐ", "dd"},
		{"Hoàng Huỳnh Phượng Ỷ Ỵ Ỹ Ỳ Ý", "hoang huynh phuong y y y y y"},
		{"àáảãạ ăằắẳẵặ âầấẩẫậ", "aaaaa aaaaaa aaaaaa"},
		{"ÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ", "aaaaa aaaaaa aaaaaa"},
		{"èéẻẽẹ êềếểễệ ìíỉĩị", "eeeee eeeeee iiiii"},
		{"òóỏõọ ôồốổỗộ ơờớởỡợ", "ooooo oooooo oooooo"},
		{"ùúủũụ ưừứửữự ỳýỷỹỵ", "uuuuu uuuuuu yyyyy"},
		{"ÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ ÙÚỦŨỤ ƯỪỨỬỮỰ", "ooooo oooooo oooooo uuuuu uuuuuu"},
		{"Nguye\u0302\u0303n", "nguyen"}, // decomposed input
		{"Zoë José", "zoe jose"},
		{"0912 345 678", "0912 345 678"},
		{"한국어", "한국어"}, // recomposed after decomposition: no mark removed
		{"a\xffb", "a\uFFFDb"},
	} {
		if got := model.FoldSearch(tc.in); got != tc.want {
			t.Errorf("FoldSearch(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzFoldSearch checks the contract: idempotent, lower case, no combining marks, the same for the
// precomposed and the decomposed spelling, and a term's fold found in a name's fold when the term is
// a substring of the name.
func FuzzFoldSearch(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn An", "TRẦN THỊ BÍCH", "Đỗ", "abc", "", "\xff", "İ", "한"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := model.FoldSearch(s)
		if !utf8.ValidString(got) {
			t.Fatalf("FoldSearch(%q) = %q: invalid UTF-8", s, got)
		}
		if again := model.FoldSearch(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		for _, r := range got {
			if unicode.Is(unicode.Mn, r) || r == 'đ' || r == 'Đ' {
				t.Fatalf("FoldSearch(%q) = %q keeps %q", s, got, r)
			}
		}
		if utf8.ValidString(s) {
			if d := model.FoldSearch(norm.NFD.String(s)); d != got {
				t.Fatalf("decomposed %q folds to %q, precomposed to %q", s, d, got)
			}
			//lint:ignore SA6005 the round trip through both cases is the subject, not a comparison
			if u := model.FoldSearch(strings.ToUpper(s)); strings.ToLower(strings.ToUpper(s)) == strings.ToLower(s) && u != got {
				t.Fatalf("upper case %q folds to %q, %q to %q", strings.ToUpper(s), u, s, got)
			}
		}
	})
}

// foldByDefinition is FoldSearch as its documentation defines it, written with the transformers
// of golang.org/x/text: lower case, canonical decomposition, nonspacing marks removed,
// recomposition, đ as d.
func foldByDefinition(s string) string {
	t := transform.Chain(runes.Map(unicode.ToLower), norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC,
		runes.Map(func(r rune) rune {
			if r == 'đ' {
				return 'd'
			}
			return r
		}))
	out, _, err := transform.String(t, s)
	if err != nil {
		panic(err)
	}
	return out
}

// FuzzFoldSearchDefinition checks FoldSearch (with its fast path for Latin letters) against its
// definition.
func FuzzFoldSearchDefinition(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn An", "TRẦN THỊ BÍCH", "Đỗ", "abc", "", "\xff", "İ", "한", "ǅ", "Nguye\u0302\u0303n",
		"a\u0345b", "Æsir Øre Þór ß", "\u1d165a", "Ỷ ỹ Ơ ư"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := model.FoldSearch(s), foldByDefinition(s); got != want {
			t.Fatalf("FoldSearch(%q) = %q, by definition %q", s, got, want)
		}
	})
}

func BenchmarkFoldSearch(b *testing.B) {
	for _, name := range []string{"Nguyen Thi Huong", "Nguyễn Thị Hương", "Nguyễn Thị Hương 한"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				model.FoldSearch(name)
			}
		})
	}
}
