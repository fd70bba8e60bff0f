package omnichannel

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// e164VN is every number NormalizePhone may return: +84, then a mobile (9 digits from 3, 5, 7, 8,
// 9) or a landline (10 digits from 2).
var e164VN = regexp.MustCompile(`^\+84(?:[35789][0-9]{8}|2[0-9]{9})$`)

// FuzzNormalizePhone: an accepted number is Vietnamese E.164, normalizing it again gives itself, and
// its national forms ("0…", "84…", spaced) normalize to it.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912 345 678", "0912.345.678", "+84 912345678", "84912345678", "(+84) 912-345-678",
		"0243 123 4567", "0387654321", "", "12345", "+1 415 555 0100", "0912345678901", "+", "++84912345678", "(0)912345678",
		"٠٩١٢٣٤٥٦٧٨", "０９１２３４５６７８", "0912\u00a0345\u00a0678", "+84-0912345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := NormalizePhone(s)
		if !ok {
			if p != "" {
				t.Fatalf("refused %q but returned %q", s, p)
			}
			return
		}
		if !e164VN.MatchString(p) {
			t.Fatalf("NormalizePhone(%q) = %q, not Vietnamese E.164", s, p)
		}
		if again, ok := NormalizePhone(p); !ok || again != p {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, p, again, ok)
		}
		for _, form := range writtenForms(p) {
			if got, ok := NormalizePhone(form); !ok || got != p {
				t.Fatalf("%q normalizes to %q (%v), want %q", form, got, ok, p)
			}
		}
	})
}

// FuzzExtractPhones: every number found is Vietnamese E.164, listed once, and its national digits
// occur in the text; a number written on a line of its own is always found.
func FuzzExtractPhones(f *testing.F) {
	for _, s := range []string{"sđt em là 0912 345 678 nhé", "Số: 0912.345.678, hoặc +84 987654321", "gọi 84912345678 giúp",
		"mã đơn 20240912345678 không phải số", "ABC0912345678", "0912345678x", "gọi 0912 345 678 2 lần",
		"0912345678 và lại 0912.345.678", "giá 150.000 đ, 2 cái", "liên hệ (+84) 912-345-678", "",
		"+(84) 912 345 678", "0912-345-678-0987-654-321", "((((0912345678", "0912345678)))", "+84+84912345678"} {
		f.Add(s, "0912345678")
	}
	f.Fuzz(func(t *testing.T, text, phone string) {
		got := ExtractPhones(text)
		digits := onlyDigits(text)
		seen := map[string]bool{}
		for _, p := range got {
			if !e164VN.MatchString(p) {
				t.Fatalf("ExtractPhones(%q) returned %q, not Vietnamese E.164", text, p)
			}
			if seen[p] {
				t.Fatalf("ExtractPhones(%q) returned %q twice", text, p)
			}
			seen[p] = true
			if !strings.Contains(digits, p[3:]) {
				t.Fatalf("ExtractPhones(%q) returned %q, whose digits are not in the text", text, p)
			}
		}
		want, ok := NormalizePhone(phone)
		if !ok {
			return
		}
		line := text + "\n" + writtenForms(want)[len(phone)%5] + "\n" + text
		found := false
		for _, p := range ExtractPhones(line) {
			found = found || p == want
		}
		if !found {
			t.Fatalf("ExtractPhones(%q) missed %q written on its own line", line, want)
		}
	})
}

// writtenForms are common ways of writing the E.164 number p.
func writtenForms(p string) []string {
	national := "0" + p[3:]
	dotted := national[:4] + "." + national[4:7] + "." + national[7:]
	return []string{national, national[:4] + " " + national[4:7] + " " + national[7:], "+84 " + p[3:], p[1:], dotted}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// knownVars are the variables the engine fills in.
var knownVars = []string{VarCustomerName, VarCustomerPhone, VarAgentName, VarChannel, VarConnectionName}

// FuzzRenderTemplate: with every engine variable defined, a rendered template holds no placeholder
// of a known variable; a failure is a validation error naming an unknown variable; a body without
// "{{" renders to itself; values are inserted verbatim, never expanded again.
func FuzzRenderTemplate(f *testing.F) {
	f.Add("Cảm ơn {{ customer_name }}! {{agent_name}} đây.", "<b>Lan</b>")
	f.Add("{{customer_name}}{{customer_name}}", "{{agent_name}}")
	f.Add("no vars {{ unterminated", "x")
	f.Add("{{x}} {{y}} {{x}}", "")
	f.Add("{{{customer_name}}}", "}")
	f.Add("}}{{channel}}{{", "zalo")
	f.Add("{{ connection_name }} – {{customer_phone}}", "+84912345678")
	f.Fuzz(func(t *testing.T, body, value string) {
		vars := map[string]string{}
		for i, name := range knownVars {
			vars[name] = strings.Repeat(value, i%2+1)
		}
		out, err := RenderTemplate(body, vars)
		if err != nil {
			var ve *ValidationError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || !strings.Contains(err.Error(), "unknown variables") {
				t.Fatalf("RenderTemplate(%q) failed with %v", body, err)
			}
		} else if !strings.ContainsAny(value, "{}") {
			for _, name := range knownVars {
				if placeholder(name).MatchString(out) {
					t.Fatalf("RenderTemplate(%q) left {{%s}} in %q", body, name, out)
				}
			}
		}
		if !strings.Contains(body, "{{") {
			if err != nil || out != body {
				t.Fatalf("a body without placeholders changed: %q → %q (%v)", body, out, err)
			}
		}
		// A value holding placeholders is data: it is inserted as is.
		got, err := RenderTemplate("{{customer_name}}", map[string]string{VarCustomerName: body})
		if err != nil || got != body {
			t.Fatalf("value %q rendered as %q (%v)", body, got, err)
		}
	})
}

var placeholders = map[string]*regexp.Regexp{}

func placeholder(name string) *regexp.Regexp {
	if re, ok := placeholders[name]; ok {
		return re
	}
	re := regexp.MustCompile(`\{\{\s*` + regexp.QuoteMeta(name) + `\s*\}\}`)
	placeholders[name] = re
	return re
}

// FuzzCursor: every cursor survives EncodeCursor → ParseCursor; any token ParseCursor accepts
// re-encodes to a token that reads back the same; a refused token is an ErrInvalid.
func FuzzCursor(f *testing.F) {
	f.Add(int64(1700000000123456789), "3f1c2a9e-8b1d-4c55-9a4e-2f6d7c0b1a23", "")
	f.Add(int64(0), "c", "MTcwMDAwMDAwMDAwMDAwMDAwMHxjb252LTE")
	f.Add(int64(-1), "a|b", "fHg")
	f.Add(int64(1<<62), "ü", "LTF8eA")
	f.Add(int64(5), "x", "not base64!")
	f.Add(int64(5), "x", "KzE3fHg") // "+17|x": a sign and no canonical form
	f.Fuzz(func(t *testing.T, nanos int64, id, token string) {
		if id != "" && len(id) <= 150 {
			c := Cursor{LastMessageAt: time.Unix(0, nanos).UTC(), ConversationID: id}
			back, err := ParseCursor(EncodeCursor(c))
			if err != nil || back == nil || !back.LastMessageAt.Equal(c.LastMessageAt) || back.ConversationID != id {
				t.Fatalf("cursor %+v read back as %+v (%v)", c, back, err)
			}
		}
		got, err := ParseCursor(token)
		switch {
		case err != nil:
			if got != nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseCursor(%q) = %+v, %v", token, got, err)
			}
			return
		case token == "":
			if got != nil {
				t.Fatalf("the empty token gave %+v", got)
			}
			return
		case got == nil || got.ConversationID == "":
			t.Fatalf("ParseCursor(%q) accepted without a conversation: %+v", token, got)
		}
		again, err := ParseCursor(EncodeCursor(*got))
		if err != nil || !again.LastMessageAt.Equal(got.LastMessageAt) || again.ConversationID != got.ConversationID {
			t.Fatalf("token %q → %+v re-encodes to %+v (%v)", token, got, again, err)
		}
		if !utf8.ValidString(token) {
			t.Fatalf("ParseCursor accepted a token that is not text: %q", token)
		}
	})
}
