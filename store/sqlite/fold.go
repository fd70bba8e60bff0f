package sqlite

import (
	"database/sql/driver"
	"fmt"

	sqlite "modernc.org/sqlite"

	"github.com/dakenh/dakenh/omnichannel"
)

// foldSQLFunction is omnichannel.FoldSearch as an SQL function of one text argument, registered
// with the driver for every connection the store opens. The stored search form of a contact name
// (conversations.contact_name_fold) is computed in Go when a row is written; the function lets a
// migration recompute the stored forms of existing rows with the same code (migration 7).
const foldSQLFunction = "dakenh_fold_search"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(foldSQLFunction, 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case nil:
				return nil, nil
			case string:
				return omnichannel.FoldSearch(v), nil
			case []byte:
				return omnichannel.FoldSearch(string(v)), nil
			default:
				return nil, fmt.Errorf("%s: want text, got %T", foldSQLFunction, v)
			}
		})
}
