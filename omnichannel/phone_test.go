package omnichannel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"0912 345 678":      "+84912345678",
		"0912.345.678":      "+84912345678",
		"+84 912345678":     "+84912345678",
		"84912345678":       "+84912345678",
		"(+84) 912-345-678": "+84912345678",
		"0243 123 4567":     "+842431234567",
		"0387654321":        "+84387654321",
	} {
		got, ok := NormalizePhone(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "12345", "0123456789", "+1 415 555 0100", "0912345678901", "abc", "091234567"} {
		_, ok := NormalizePhone(in)
		assert.False(t, ok, in)
	}
}

func TestExtractPhones(t *testing.T) {
	cases := map[string][]string{
		"sđt em là 0912 345 678 nhé":           {"+84912345678"},
		"Số: 0912.345.678, hoặc +84 987654321": {"+84912345678", "+84987654321"},
		"gọi 84912345678 giúp":                 {"+84912345678"},
		"mã đơn 20240912345678 không phải số":  nil,
		"ABC0912345678":                        nil,
		"0912345678x":                          nil,
		"gọi 0912 345 678 2 lần":               {"+84912345678"},
		"0912345678 và lại 0912.345.678":       {"+84912345678"},
		"giá 150.000 đ, 2 cái":                 nil,
		"liên hệ (+84) 912-345-678":            {"+84912345678"},
		"":                                     nil,
	}
	for in, want := range cases {
		assert.Equal(t, want, ExtractPhones(in), in)
	}
}
