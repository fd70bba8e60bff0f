package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/dakenh/dakenh/omnichannel"
)

// Real accounts (outside demo mode). The users themselves (name, role, teams) live in the engine's
// store like every user; their password hashes live in <data>/accounts.json (mode 0600), which the
// server reads at every login, so `inbox -add-user` may add accounts while it runs.
const accountsFile = "accounts.json"

// minPasswordLen is the shortest password an account may have.
const minPasswordLen = 12

// argon2id parameters (RFC 9106 / OWASP: 19 MiB, 2 passes, 1 lane). They are stored in each hash,
// so changing them later keeps older hashes valid.
var argonParams = struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	keyLen  uint32
}{memory: 19 * 1024, time: 2, threads: 1, keyLen: 32}

// hashSlots bounds the argon2id computations running at once (19 MiB each), so a burst of logins
// cannot exhaust memory or CPU.
var hashSlots = make(chan struct{}, 2)

// errBadPassword is a wrong password, an unknown user or a malformed hash: the login page never
// tells them apart.
var errBadPassword = errors.New("inbox: wrong user or password")

// hashPassword returns the PHC string of password: $argon2id$v=19$m=…,t=…,p=…$salt$key.
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := argonParams
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
	<-hashSlots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is checked against when the user has no account, so that an unknown user costs as
// much time as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := hashPassword("dakenh-no-such-account")
	return h
})

// checkPassword compares password with a PHC hash made by hashPassword, in constant time.
func checkPassword(hash, password string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return errBadPassword
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<21 || t == 0 || t > 16 || p == 0 {
		return errBadPassword
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return errBadPassword
	}
	hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	<-hashSlots
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return errBadPassword
	}
	return nil
}

// accounts is the password file of the real accounts.
type accounts struct {
	path string
	mu   sync.Mutex // serializes this process's writes
}

type accountsData struct {
	// Hashes maps user ids (of the one workspace) to argon2id PHC strings.
	Hashes map[string]string `json:"hashes"`
}

func newAccounts(dataDir string) *accounts {
	return &accounts{path: filepath.Join(dataDir, accountsFile)}
}

func (a *accounts) read() (accountsData, error) {
	d := accountsData{Hashes: map[string]string{}}
	b, err := os.ReadFile(a.path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("%s is not valid: %w", a.path, err)
	}
	if d.Hashes == nil {
		d.Hashes = map[string]string{}
	}
	return d, nil
}

// count returns how many accounts exist.
func (a *accounts) count() (int, error) {
	d, err := a.read()
	return len(d.Hashes), err
}

// verify checks userID's password; every failure is errBadPassword (the cause is not told).
func (a *accounts) verify(userID, password string) error {
	d, err := a.read()
	hash, ok := d.Hashes[userID]
	if err != nil || !ok {
		_ = checkPassword(dummyHash(), password)
		return errBadPassword
	}
	return checkPassword(hash, password)
}

// set stores userID's password hash, writing the file atomically (mode 0600).
func (a *accounts) set(userID, hash string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	d, err := a.read()
	if err != nil {
		return err
	}
	d.Hashes[userID] = hash
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(a.path), ".accounts-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), a.path)
}

// NewAccount describes a user to create with a password (-add-user, or the first supervisor).
type NewAccount struct {
	ID       string
	Name     string
	Email    string
	Role     omnichannel.Role
	TeamIDs  []string
	Password string
}

var userIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// problems lists what is wrong with n (never the password itself); withPassword checks the
// password's length too.
func (n NewAccount) problems(withPassword bool) []error {
	var errs []error
	if !userIDPattern.MatchString(n.ID) {
		errs = append(errs, fmt.Errorf("user id %q: want 1 to 64 of a-z, 0-9, '.', '_', '-'", n.ID))
	}
	if n.Role != omnichannel.RoleAgent && n.Role != omnichannel.RoleSupervisor {
		errs = append(errs, fmt.Errorf("role %q: want agent or supervisor", n.Role))
	}
	if withPassword && utf8.RuneCountInString(n.Password) < minPasswordLen {
		errs = append(errs, fmt.Errorf("the password needs at least %d characters", minPasswordLen))
	}
	if utf8.RuneCountInString(n.Name) > 100 {
		errs = append(errs, errors.New("the name has more than 100 characters"))
	}
	return errs
}

// createAccount writes the user into the store (keeping an existing user's other fields; an
// existing user becomes active) and adds them to their teams, then stores the password hash.
func createAccount(ctx context.Context, store omnichannel.Store, acc *accounts, n NewAccount) error {
	if err := errors.Join(n.problems(true)...); err != nil {
		return err
	}
	hash, err := hashPassword(n.Password)
	if err != nil {
		return err
	}
	err = store.Update(ctx, func(tx omnichannel.Tx) error {
		u, err := tx.GetUser(workspaceID, n.ID)
		if errors.Is(err, omnichannel.ErrNotFound) {
			u, err = &omnichannel.User{WorkspaceID: workspaceID, ID: n.ID}, nil
		}
		if err != nil {
			return err
		}
		u.Role, u.Active = n.Role, true
		if n.Name != "" || u.Name == "" {
			u.Name = cmp.Or(n.Name, n.ID)
		}
		if n.Email != "" {
			u.Email = n.Email
		}
		for _, id := range n.TeamIDs {
			team, err := tx.GetTeam(workspaceID, id)
			if err != nil {
				return fmt.Errorf("team %q: %w", id, err)
			}
			if !slices.Contains(team.MemberIDs, n.ID) {
				team.MemberIDs = append(team.MemberIDs, n.ID)
				if err := tx.PutTeam(team); err != nil {
					return err
				}
			}
			if !slices.Contains(u.TeamIDs, id) {
				u.TeamIDs = append(u.TeamIDs, id)
			}
		}
		return tx.PutUser(u)
	})
	if err != nil {
		return err
	}
	return acc.set(n.ID, hash)
}

// readPassword reads the password from the first line of r (a pipe or a terminal).
func readPassword(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
