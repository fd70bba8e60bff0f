package sqlite

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// Search strategy. A search term of three characters or more can be looked up in the trigram index
// conversations_search (migration 3). That is the fast way for a rare term: a full name or a phone
// number matches a few conversations among a million, and the ordered scan of the list would read
// most of the workspace to fill a page. For a common term ("Nguyễn", a third of the customers) the
// ordered scan is faster: it stops after a page of matches, while the index would hand over every
// match to be sorted. searchPlan probes the index for at most SearchProbeLimit matches and chooses.

// The index refers to conversations by rowid. SQLite keeps rowids unless the file is rebuilt with
// VACUUM, which may renumber them; the store never runs VACUUM, and whoever does should rebuild the
// index after it (INSERT INTO conversations_search (conversations_search) VALUES ('rebuild')). The
// search conditions are tested on the rows themselves as well, so a stale index can miss rows but
// never return a wrong one.

// SearchProbeLimit is the number of index matches up to which a search reads its rows through the
// trigram index; a term with more matches is searched by the ordered scan of the list.
const SearchProbeLimit = 2000

// minTrigramRunes is the shortest term the trigram index can look up.
const minTrigramRunes = 3

// searchIndex is a search that reads its candidates from conversations_search.
type searchIndex struct {
	// match is the FTS5 query: the folded name term and/or the phone digits, each as the trigrams
	// that tile it (ftsTiles) in its column.
	match string
	// hits are the rowids the probe found, a JSON array: the list query reads them with
	// json_each instead of running the match a second time.
	hits string
}

// searchMatch returns the FTS5 query of q's search, or false when q has no search or a term too
// short for the trigram index (such a search keeps the scan).
func searchMatch(q omnichannel.ConversationQuery) (string, bool) {
	var terms []string
	if q.Search != "" {
		term := omnichannel.FoldSearch(q.Search)
		if utf8.RuneCountInString(term) < minTrigramRunes {
			return "", false
		}
		terms = append(terms, "contact_name_fold : "+ftsTiles(term))
	}
	if q.SearchDigits != "" {
		if utf8.RuneCountInString(q.SearchDigits) < minTrigramRunes {
			return "", false
		}
		terms = append(terms, "contact_phone_digits : "+ftsTiles(q.SearchDigits))
	}
	if len(terms) == 0 {
		return "", false
	}
	return strings.Join(terms, " OR "), true
}

// ftsTiles is the FTS5 query of the rows that may contain term (of at least minTrigramRunes
// characters): the trigrams that tile it, each a phrase, all required ("ab c" AND "def" AND "efg"
// for "ab cdefg": from the start every third character, and the last three). FTS5 reads the whole
// list of rows of every trigram it is given, and the common trigrams of a full name ("ng ", "văn")
// list a quarter of the workspace each, so the phrase of all 13 trigrams of "phạm hoàng hiếu"
// reads about six times more of the index than its tiles. The tiles cover every character, so
// they keep the index's candidates close to the phrase's; the rows are then tested with instr()
// (compileFilter), which decides what matches.
func ftsTiles(term string) string {
	runes := []rune(term)
	if len(runes) <= 2*minTrigramRunes-1 {
		return ftsPhrase(term)
	}
	var tiles []string
	for i := 0; i+minTrigramRunes <= len(runes); i += minTrigramRunes {
		tiles = append(tiles, ftsPhrase(string(runes[i:i+minTrigramRunes])))
	}
	if len(runes)%minTrigramRunes != 0 {
		tiles = append(tiles, ftsPhrase(string(runes[len(runes)-minTrigramRunes:])))
	}
	return "(" + strings.Join(tiles, " AND ") + ")"
}

// ftsPhrase quotes s as an FTS5 string: inside double quotes every character stands for itself,
// a double quote is written twice.
func ftsPhrase(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// searchProbeSQL returns the index matches of a search, up to a limit, as a JSON array of rowids
// and their number.
const searchProbeSQL = `SELECT COALESCE(json_group_array(rowid), '[]'), COUNT(*) FROM (SELECT rowid FROM conversations_search
	WHERE conversations_search MATCH ? LIMIT ?)`

// searchPlan returns how q's search reads its rows: through the index (not nil) when the index
// holds at most SearchProbeLimit matches of the term, by the scan of the list otherwise (nil). The
// probe counts matches of every workspace: a term common elsewhere makes this workspace's search
// take the scan, which is slower for a rare term but never wrong.
func (t *txn) searchPlan(q omnichannel.ConversationQuery) (*searchIndex, error) {
	match, ok := searchMatch(q)
	if !ok {
		return nil, nil
	}
	hits, n, err := t.probeSearch(match, SearchProbeLimit+1)
	if err != nil || n > SearchProbeLimit {
		return nil, err
	}
	return &searchIndex{match: match, hits: hits}, nil
}

// probeSearch returns up to limit rowids of the index matches of match (a JSON array) and their
// number.
func (t *txn) probeSearch(match string, limit int) (hits string, n int, err error) {
	if err := t.q.queryRow(searchProbeSQL, match, limit).Scan(&hits, &n); err != nil {
		return "", 0, fmt.Errorf("sqlite: probe the search index: %w", err)
	}
	return hits, n, nil
}
