package omnichannel

import (
	"testing"
	"time"
)

// applyReaction keeps one reaction per reactor, direction and emoji; a provider's echo of a
// business reaction (no reactor) and the agent's own record of it are one reaction, in either order.
func TestApplyReaction(t *testing.T) {
	at := time.Unix(1764921600, 0)
	cust := Reaction{Emoji: "❤️", Direction: DirectionIn, By: "idn-1", At: at}
	agent := Reaction{Emoji: "👍", Direction: DirectionOut, By: "u-1", At: at}
	echo := Reaction{Emoji: "👍", Direction: DirectionOut, At: at}
	steps := []struct {
		name    string
		r       Reaction
		remove  bool
		changed bool
		want    []string // Emoji/By of the reactions after the step
	}{
		{"customer adds", cust, false, true, []string{"❤️/idn-1"}},
		{"repeated delivery", cust, false, false, []string{"❤️/idn-1"}},
		{"echo first", echo, false, true, []string{"❤️/idn-1", "👍/"}},
		{"the agent's record takes the echo over", agent, false, true, []string{"❤️/idn-1", "👍/u-1"}},
		{"echo again adds nothing", echo, false, false, []string{"❤️/idn-1", "👍/u-1"}},
		{"customer takes theirs back", cust, true, true, []string{"👍/u-1"}},
		{"removing what is not there", cust, true, false, []string{"👍/u-1"}},
		{"agent takes theirs back", agent, true, true, nil},
	}
	m := &Message{}
	for _, st := range steps {
		if got := applyReaction(m, st.r, st.remove); got != st.changed {
			t.Fatalf("%s: changed = %v, want %v", st.name, got, st.changed)
		}
		var have []string
		for _, x := range m.Reactions {
			have = append(have, x.Emoji+"/"+x.By)
		}
		if len(have) != len(st.want) {
			t.Fatalf("%s: reactions %v, want %v", st.name, have, st.want)
		}
		for i := range have {
			if have[i] != st.want[i] {
				t.Fatalf("%s: reactions %v, want %v", st.name, have, st.want)
			}
		}
	}
	if got := cleanReaction("  <b>❤️</b>\x00\n"); got != "b❤️/b\uFFFD" {
		t.Fatalf("cleanReaction = %q", got)
	}
}
