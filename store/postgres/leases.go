package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// AcquireLease takes key for owner until until when it is free, expired (its until ≤ now) or
// already held by owner, and reports whether owner holds it. One upsert decides: concurrent
// acquirers, in any process, queue on the row and exactly one of them finds it free.
func (t *txn) AcquireLease(key, owner string, now, until time.Time) (bool, error) {
	if err := t.writing(); err != nil {
		return false, err
	}
	if owner == "" {
		return false, fmt.Errorf("postgres: AcquireLease without an owner: %w", omnichannel.ErrInvalid)
	}
	var held bool
	err := t.tx.QueryRow(t.ctx, `INSERT INTO leases (key, owner, until) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
		WHERE leases.owner = EXCLUDED.owner OR leases.until <= $4
		RETURNING true`, key, owner, until, now).Scan(&held)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.fail("acquire lease", err)
	}
	return held, nil
}

// ReleaseLease frees key when owner holds it and does nothing otherwise.
func (t *txn) ReleaseLease(key, owner string) error {
	if err := t.writing(); err != nil {
		return err
	}
	_, err := t.exec("release lease", `DELETE FROM leases WHERE key = $1 AND owner = $2`, key, owner)
	return err
}

// InsertOAuthState refuses an existing state with ErrDuplicate.
func (t *txn) InsertOAuthState(s *omnichannel.OAuthState) error {
	if err := t.writing(); err != nil {
		return err
	}
	stored := *s // with the PKCE verifier sealed (Config.Keyring)
	var err error
	if stored.CodeVerifier, err = t.sealer.sealVerifier(s.State, s.CodeVerifier); err != nil {
		return err
	}
	doc, err := jsonArg(stored)
	if err != nil {
		return err
	}
	tag, err := t.exec("insert oauth state", `INSERT INTO oauth_states (state, doc) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, s.State, doc)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return duplicate("oauth state", "already exists")
	}
	return nil
}

// TakeOAuthState returns and deletes the state; ErrNotFound when absent. Expiry is the caller's
// concern.
func (t *txn) TakeOAuthState(state string) (*omnichannel.OAuthState, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	s, err := scanDoc[omnichannel.OAuthState](t.tx.QueryRow(t.ctx, `DELETE FROM oauth_states WHERE state = $1 RETURNING doc`, state))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: oauth state: %w", omnichannel.ErrNotFound)
	}
	if err != nil {
		return nil, t.fail("take oauth state", err)
	}
	if s.CodeVerifier, err = t.sealer.openVerifier(s.State, s.CodeVerifier); err != nil {
		return nil, err
	}
	return s, nil
}
