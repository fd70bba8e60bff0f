package postgres_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestNameTiles checks the parts of a term the name's trigram index is asked for: words of three
// characters or more tiled every third character plus their last three, shorter words with the
// separators around them, and nothing (the term itself) when the tiles would be the term.
func TestNameTiles(t *testing.T) {
	for term, want := range map[string][]string{
		"nguyen thu nga": {"ngu", "yen", "thu", "nga"},
		"nguyen":         {"ngu", "yen"},
		"bich":           {"bic", "ich"},
		"khongco aiten":  {"kho", "ngc", "gco", "ait", "ten"},
		"le van an":      {"le ", "van", " an"},
		"tran thi b":     {"tra", "ran", "thi", " b"},
		"a nguyen":       {"ngu", "yen"},
		"nga nga":        {"nga"},
		"thu":            nil,
		"ab!":            nil,
		"a b":            {" b"},
		"50%_x":          {"50%", "_x"},
	} {
		assert.Equal(t, want, postgres.NameTiles(term), term)
		for _, tile := range postgres.NameTiles(term) {
			assert.Contains(t, term, tile, "a tile is part of the term")
		}
	}
}

// TestSearchAsksIndexForTiles checks the plan of a rare name search over a bigbox workspace of
// 30,000 conversations: the GIN index is asked only for the tiles of the term, and the whole term
// is a filter on the rows the index returns, not an index condition.
func TestSearchAsksIndexForTiles(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	spec := bigbox.Spec{WorkspaceID: "ws", Conversations: 30_000, MessagesPerConversation: 1, LongThread: 2}
	_, err := bigbox.Load(context.Background(), s, spec, 10_000)
	require.NoError(t, err)
	analyze(t, schema)
	name := bigbox.Name(spec, 17)
	folded := omnichannel.FoldSearch(name)
	tiles := postgres.NameTiles(folded)
	require.GreaterOrEqual(t, len(tiles), 2, "%q is a full name of several words", folded)
	for label, q := range map[string]omnichannel.ConversationQuery{
		"Name":       {Search: name},
		"Unaccented": {Search: folded},
		"NamePhone":  {Search: name, SearchDigits: "84912345"},
		"Filtered": {Search: name, Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen},
			ReadState: omnichannel.ReadUnread, ViewerID: bigbox.SupervisorID},
	} {
		t.Run(label, func(t *testing.T) {
			q.WorkspaceID = spec.WorkspaceID
			plan, err := postgres.ExplainSearchIndexed(context.Background(), s, q)
			require.NoError(t, err)
			t.Log("\n" + plan)
			cond := regexp.MustCompile(`Bitmap Index Scan on conversations_name_trgm[^\n]*\n\s+Index Cond: ([^\n]*)`).FindStringSubmatch(plan)
			require.NotNil(t, cond, "the name's trigram index is read:\n%s", plan)
			for _, tile := range tiles {
				assert.Contains(t, cond[1], "contact_name_folded ~~ '%"+tile+"%'::text", "tile %q is an index condition", tile)
			}
			assert.Equal(t, len(tiles), strings.Count(cond[1], "~~"), "only the tiles are index conditions")
			assert.NotContains(t, cond[1], "'%"+folded+"%'", "the whole term is not an index condition")
			assert.Regexp(t, `(Filter|Recheck Cond): [^\n]*\(contact_name_folded \|\| ''::text\) ~~ '%`+regexp.QuoteMeta(folded)+`%'::text`,
				plan, "the whole term is checked on the rows the tiles found")
			assert.NotContains(t, plan, "Seq Scan on conversations", plan)
		})
	}
}
