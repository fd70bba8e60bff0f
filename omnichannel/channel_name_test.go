package omnichannel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestChannelName: templates say the channel as customers know it.
func TestChannelName(t *testing.T) {
	assert.Equal(t, "TikTok", ChannelName("tiktok"))
	assert.Equal(t, "Zalo", ChannelName("zalo"))
	assert.Equal(t, "Line", ChannelName("line"))
	assert.Equal(t, "", ChannelName(""))
}
