package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid matches every *ValidationError: a request or a configuration that is refused. The
// omnichannel package re-exports it (omnichannel.ErrInvalid).
var ErrInvalid = errors.New("omnichannel: invalid request")

// ErrUnsupported: the channel cannot do this (e.g. send a file on TikTok). Re-exported as
// omnichannel.ErrUnsupported.
var ErrUnsupported = errors.New("omnichannel: not supported by the channel")

// Problem is one validation problem in a form an interface can translate: a stable Code (the
// omnichannel.Problem* constants), the request or Config Field it is about ("" for the whole)
// and the Params its translation fills in ({"max": "2000"}). Params never hold a secret.
type Problem struct {
	Field  string
	Code   string
	Params map[string]string
}

// Problem codes shared by requests and configurations. The omnichannel package defines the rest.
const (
	ProblemRequired   = "required"    // a value is missing
	ProblemNotAllowed = "not_allowed" // a value outside the allowed set ({allowed})
	ProblemInvalid    = "invalid"     // a value that is malformed or out of range
)

// ValidationError lists every problem of a request or a configuration, so that one answer tells
// the caller everything to fix. It matches ErrInvalid, and also ErrUnsupported when a problem is a
// channel limitation. Every constructor of this module (omnichannel.New, inboxapi.New, the
// adapters' New, sqlite.Open, postgres.Open, seal.NewKeyring, guardedfetch.New…) refuses a bad
// Config with one *ValidationError listing all of its problems.
type ValidationError struct {
	// Source names the package that refused a configuration ("sqlite", "zalooa"); "" for a
	// request refused by the engine.
	Source string
	// Problems holds one English sentence per problem, for logs and for clients that do not
	// translate. It never holds a secret.
	Problems []string
	// Details codes the problems for translation, one entry per problem when set
	// (omnichannel.ProblemsOf gives a coded list for every ValidationError).
	Details []Problem
	// Unsupported is true when the request asks for something the channel cannot do.
	Unsupported bool
}

// Error lists every problem, separated by semicolons, after the source.
func (e *ValidationError) Error() string {
	src := e.Source
	if src == "" {
		src = "omnichannel"
	}
	return src + ": " + strings.Join(e.Problems, "; ")
}

// Is reports whether target is ErrInvalid (or ErrUnsupported for channel limitations).
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalid || (e.Unsupported && target == ErrUnsupported)
}

// ConfigProblems collects the problems of a Config so that a constructor reports them all at once
// as one *ValidationError. The zero value needs only Source.
//
//	var p model.ConfigProblems
//	p.Source = "zalooa"
//	if cfg.AppID == "" {
//		p.Add("AppID", model.ProblemRequired, "AppID is required")
//	}
//	if err := p.Err(); err != nil {
//		return nil, err
//	}
type ConfigProblems struct {
	// Source names the package, as in ValidationError.Source.
	Source string

	texts   []string
	details []Problem
}

// Add records one problem about the Config field (its Go name, "" for the Config as a whole) with
// a code and an English sentence made of format and args. Never pass a secret in args.
func (p *ConfigProblems) Add(field, code, format string, args ...any) {
	text := format
	if len(args) > 0 {
		text = fmt.Sprintf(format, args...)
	}
	p.texts = append(p.texts, text)
	p.details = append(p.details, Problem{Field: field, Code: code})
}

// AddError records err (a problem found by a nested check, such as another package's Config) as a
// problem about field. A nested *ValidationError contributes each of its problems, their fields
// prefixed with field.
func (p *ConfigProblems) AddError(field string, err error) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		p.texts = append(p.texts, err.Error())
		p.details = append(p.details, Problem{Field: field, Code: ProblemInvalid})
		return
	}
	for i, t := range ve.Problems {
		d := Problem{Code: ProblemInvalid}
		if i < len(ve.Details) {
			d = ve.Details[i]
		}
		switch {
		case d.Field == "":
			d.Field = field
		case field != "":
			d.Field = field + "." + d.Field
		}
		p.texts = append(p.texts, t)
		p.details = append(p.details, d)
	}
}

// NonNegative records a problem for each named value below zero.
func (p *ConfigProblems) NonNegative(values map[string]int64) {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if values[n] < 0 {
			p.Add(n, ProblemInvalid, "Config.%s must not be negative", n)
		}
	}
}

// Len is the number of problems recorded.
func (p *ConfigProblems) Len() int { return len(p.texts) }

// Err returns the *ValidationError of the recorded problems, or nil when there is none.
func (p *ConfigProblems) Err() error {
	if len(p.texts) == 0 {
		return nil
	}
	return &ValidationError{Source: p.Source, Problems: p.texts, Details: p.details}
}
