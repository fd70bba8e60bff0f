package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A group (committer.go) sends the recorded statements of many webhooks. Statements of one shape
// are folded into multi-row statements of up to maxChunk rows (chunks): the inserts (INSERT …
// VALUES ($1, …, $k) …) into INSERTs with a row per statement, the conversation updates (UPDATE
// conversations SET col = $i, … WHERE col = $j AND …) into UPDATE … FROM (VALUES …). A folded
// statement must change as many rows as it folds, as each statement had to change one.

// insertShape matches an insert whose only values are $1 … $k in order.
var insertShape = regexp.MustCompile(`(?s)^(\s*INSERT INTO \w+ \([^)]*\)\s*VALUES\s*)\(([\s$0-9,]+)\)(.*)$`)

// updateShape matches an update of conversations by parameters (conversationUpdateWhere).
var updateShape = regexp.MustCompile(`(?s)^\s*UPDATE conversations SET (.*?)\s+WHERE (.*)$`)

// assignment matches "col = $i" and "col = col + 1".
var assignment = regexp.MustCompile(`^(\w+) = (?:\$(\d+)|(\w+) \+ 1)$`)

// folder folds the statements of one shape.
type folder interface {
	// add takes a statement's arguments.
	add(args []any)
	// rows is how many statements were added.
	rows() int
	// statement is the statement folding rows from to to-1 (in the order added), and its arguments.
	statement(from, to int) (string, []any)
}

// maxChunk is the most rows one folded statement takes.
const maxChunk = 64

// chunks splits n rows into the sizes of the folded statements that take them: powers of two, the
// largest first (13 → 8, 4, 1). The server plans a statement of each size once per connection and
// then reuses its plan, where a statement of any size would be a new text to parse and plan
// (measured: 537 plans for 615 folded conversation updates).
func chunks(n int) []int {
	var out []int
	for n > 0 {
		size := maxChunk
		for size > n {
			size /= 2
		}
		out = append(out, size)
		n -= size
	}
	return out
}

// newFolder returns a folder for sql's shape, or nil when it cannot be folded. types gives the SQL
// type of a conversations column (for updates).
func newFolder(sql string, nargs int, types map[string]string) folder {
	if m := insertShape.FindStringSubmatch(sql); m != nil && sequential(m[2], nargs) {
		return &insertFolder{head: m[1], tail: m[3], width: nargs}
	}
	if m := updateShape.FindStringSubmatch(sql); m != nil && types != nil {
		return newUpdateFolder(m[1], m[2], nargs, types)
	}
	return nil
}

// sequential reports whether list is "$1, $2, …, $n".
func sequential(list string, n int) bool {
	parts := strings.Split(list, ",")
	if len(parts) != n {
		return false
	}
	for i, p := range parts {
		if strings.TrimSpace(p) != "$"+strconv.Itoa(i+1) {
			return false
		}
	}
	return true
}

// insertFolder folds inserts into one INSERT with a VALUES row per statement.
type insertFolder struct {
	head, tail string
	width      int
	args       []any
}

func (f *insertFolder) add(args []any) { f.args = append(f.args, args...) }
func (f *insertFolder) rows() int      { return len(f.args) / f.width }

func (f *insertFolder) statement(from, to int) (string, []any) {
	var b strings.Builder
	b.WriteString(f.head)
	for r := range to - from {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range f.width {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(r*f.width+c+1))
		}
		b.WriteByte(')')
	}
	b.WriteString(f.tail)
	return b.String(), f.args[from*f.width : to*f.width]
}

// updateFolder folds conversation updates into UPDATE conversations … FROM (VALUES …) AS v.
type updateFolder struct {
	set, where string   // over v.a1 … v.aN
	casts      []string // the SQL type of each argument
	width      int
	args       []any
}

// newUpdateFolder parses the SET and WHERE of a conversation update whose arguments $1 … $n are,
// in order, conversationArgs (conversationColumns, then contact_name_folded).
func newUpdateFolder(set, where string, n int, types map[string]string) folder {
	names := argumentColumns()
	if len(names) != n {
		return nil
	}
	casts := make([]string, n)
	for i, name := range names {
		if casts[i] = types[name]; casts[i] == "" {
			return nil
		}
	}
	var sets []string
	for _, part := range strings.Split(set, ",") {
		m := assignment.FindStringSubmatch(strings.TrimSpace(strings.Join(strings.Fields(part), " ")))
		switch {
		case m == nil:
			return nil
		case m[2] != "":
			sets = append(sets, m[1]+" = v.a"+m[2])
		case m[3] == m[1]:
			sets = append(sets, m[1]+" = c."+m[1]+" + 1")
		default:
			return nil
		}
	}
	var conds []string
	for _, part := range strings.Split(where, " AND ") {
		m := assignment.FindStringSubmatch(strings.TrimSpace(strings.Join(strings.Fields(part), " ")))
		if m == nil || m[2] == "" {
			return nil
		}
		conds = append(conds, "c."+m[1]+" = v.a"+m[2])
	}
	return &updateFolder{set: strings.Join(sets, ", "), where: strings.Join(conds, " AND "), casts: casts, width: n}
}

// argumentColumns are the columns of conversationArgs, in order.
func argumentColumns() []string {
	var out []string
	for _, c := range strings.Split(conversationColumns, ",") {
		out = append(out, strings.TrimSpace(c))
	}
	return append(out, "contact_name_folded")
}

func (f *updateFolder) add(args []any) { f.args = append(f.args, args...) }
func (f *updateFolder) rows() int      { return len(f.args) / f.width }

func (f *updateFolder) statement(from, to int) (string, []any) {
	var b strings.Builder
	b.WriteString("UPDATE conversations AS c SET " + f.set + " FROM (VALUES ")
	for r := range to - from {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range f.width {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d::%s", r*f.width+c+1, f.casts[c])
		}
		b.WriteByte(')')
	}
	b.WriteString(") AS v(")
	for c := range f.width {
		if c > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "a%d", c+1)
	}
	b.WriteString(") WHERE " + f.where)
	return b.String(), f.args[from*f.width : to*f.width]
}

// conversationTypes reads the SQL type of every column of conversations (format_type).
func conversationTypes(ctx context.Context, conn *pgx.Conn) (map[string]string, error) {
	rows, err := conn.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = 'conversations'::regclass AND a.attnum > 0 AND NOT a.attisdropped`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		types[name] = typ
	}
	return types, rows.Err()
}

// foldedStatement is a statement of a group's batch: one recorded statement, or several folded.
type foldedStatement struct {
	sql  string
	args []any
	// want is how many rows it must change.
	want int64
	f    folder
}

// foldGroup turns the recorded statements of group into the batch's statements: each foldable shape
// folded into its chunks' statements where its first statement was, the others in their order.
func foldGroup(group []*pendingUpdate, types map[string]string) []*foldedStatement {
	// A multi-row statement changes a row once: an update, or an upsert (ON CONFLICT … DO
	// UPDATE), whose rows repeat a key (workspace and id, the first two arguments) is not folded.
	keys := map[string]map[string]bool{}
	unfoldable := map[string]bool{}
	for _, p := range group {
		for _, st := range p.statements {
			if len(st.args) < 2 || (st.sql != conversationUpdateWhere && !strings.Contains(st.sql, "DO UPDATE")) {
				continue
			}
			k := fmt.Sprint(st.args[0], "\x00", st.args[1])
			if keys[st.sql] == nil {
				keys[st.sql] = map[string]bool{}
			}
			if keys[st.sql][k] {
				unfoldable[st.sql] = true
			}
			keys[st.sql][k] = true
		}
	}
	var out []*foldedStatement
	bySQL := map[string]*foldedStatement{}
	for _, p := range group {
		for _, st := range p.statements {
			if fs := bySQL[st.sql]; fs != nil {
				fs.f.add(st.args)
				fs.want++
				continue
			}
			var f folder
			if !unfoldable[st.sql] {
				f = newFolder(st.sql, len(st.args), types)
			}
			fs := &foldedStatement{sql: st.sql, args: st.args, want: 1, f: f}
			if f != nil {
				f.add(st.args)
				bySQL[st.sql] = fs
			}
			out = append(out, fs)
		}
	}
	var chunked []*foldedStatement
	for _, fs := range out {
		if fs.f == nil || fs.f.rows() == 1 {
			chunked = append(chunked, fs)
			continue
		}
		from := 0
		for _, size := range chunks(fs.f.rows()) {
			sql, args := fs.f.statement(from, from+size)
			chunked = append(chunked, &foldedStatement{sql: sql, args: args, want: int64(size), f: fs.f})
			from += size
		}
	}
	return chunked
}
