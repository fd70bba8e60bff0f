package omnichannel

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRenderTemplate(t *testing.T) {
	got, err := RenderTemplate("Cảm ơn {{ customer_name }}! {{agent_name}} đây.", map[string]string{
		"customer_name": "<b>Lan</b>", "agent_name": "Minh"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn <b>Lan</b>! Minh đây.", got)

	got, err = RenderTemplate("no vars {{ unterminated", nil)
	require.NoError(t, err)
	assert.Equal(t, "no vars {{ unterminated", got)

	_, err = RenderTemplate("{{x}} {{y}} {{x}}", map[string]string{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalid))
	assert.Contains(t, err.Error(), `"x", "y"`)
}
