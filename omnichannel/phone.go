package omnichannel

import (
	"strings"
	"unicode"
)

// NormalizePhone returns the E.164 form of a Vietnamese phone number written in any common way
// ("0912 345 678", "0912.345.678", "+84 912345678", "84912345678", "(+84) 912-345-678") and reports
// whether s is one. Mobile numbers have nine national digits starting with 3, 5, 7, 8 or 9;
// landlines have ten starting with 2. Anything else (order numbers, short codes) is refused.
func NormalizePhone(s string) (string, bool) {
	var digits []byte
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '+' && len(digits) == 0 && !plus:
			plus = true
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			_ = i
			return "", false
		}
	}
	return phoneFromDigits(string(digits), plus)
}

func phoneFromDigits(d string, plus bool) (string, bool) {
	var national string
	switch {
	case strings.HasPrefix(d, "84") && (plus || len(d) == 11 || len(d) == 12):
		national = d[2:]
	case plus:
		return "", false
	case strings.HasPrefix(d, "0"):
		national = d[1:]
	default:
		return "", false
	}
	if !validNational(national) {
		return "", false
	}
	return "+84" + national, true
}

func validNational(n string) bool {
	if len(n) == 9 {
		return strings.ContainsRune("35789", rune(n[0]))
	}
	return len(n) == 10 && n[0] == '2'
}

// ExtractPhones finds the Vietnamese phone numbers in free text (a customer's message) and returns
// them in E.164 form, in order of appearance, without repeats. Digits glued to letters or to longer
// digit runs are not taken for phone numbers.
func ExtractPhones(text string) []string {
	var out []string
	seen := map[string]bool{}
	runes := []rune(text)
	for i := 0; i < len(runes); {
		start := i
		if !(runes[i] == '+' || isDigit(runes[i])) || (i > 0 && (unicode.IsLetter(runes[i-1]) || isDigit(runes[i-1]))) {
			i++
			continue
		}
		groups, plus, end := scanDigitGroups(runes, i)
		i = end
		if end > start && end < len(runes) && unicode.IsLetter(runes[end]) {
			continue
		}
		for _, p := range phonesInGroups(groups, plus) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// scanDigitGroups reads digit groups separated by single spaces, dots, dashes or parentheses,
// starting at i. It returns the groups, whether a leading '+' was seen, and the end index.
func scanDigitGroups(r []rune, i int) (groups []string, plus bool, end int) {
	if r[i] == '+' {
		plus = true
		i++
	}
	if i < len(r) && r[i] == '(' {
		i++
	}
	var cur []rune
	for i < len(r) {
		switch {
		case isDigit(r[i]):
			cur = append(cur, r[i])
			i++
		case (r[i] == ' ' || r[i] == '.' || r[i] == '-' || r[i] == ')' || r[i] == '(') && len(cur) > 0 &&
			i+1 < len(r) && (isDigit(r[i+1]) || (r[i] == ')' && r[i+1] == ' ' && i+2 < len(r) && isDigit(r[i+2]))):
			groups = append(groups, string(cur))
			cur = nil
			if r[i] == ')' && r[i+1] == ' ' {
				i++
			}
			i++
		default:
			if len(cur) > 0 {
				groups = append(groups, string(cur))
			}
			return groups, plus, i
		}
	}
	if len(cur) > 0 {
		groups = append(groups, string(cur))
	}
	return groups, plus, i
}

// phonesInGroups finds valid numbers made of consecutive groups, preferring the longest run from the
// earliest group.
func phonesInGroups(groups []string, plus bool) []string {
	var out []string
	for i := 0; i < len(groups); {
		found := false
		for j := len(groups); j > i; j-- {
			d := strings.Join(groups[i:j], "")
			if len(d) > 12 {
				continue
			}
			if p, ok := phoneFromDigits(d, plus && i == 0); ok {
				out = append(out, p)
				i = j
				found = true
				break
			}
		}
		if !found {
			i++
		}
	}
	return out
}
