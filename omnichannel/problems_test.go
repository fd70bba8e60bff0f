package omnichannel

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFailureReasonOf: an adapter's own reason wins; otherwise the class of the error decides, and
// an unclassified error is a network failure.
func TestFailureReasonOf(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&ProviderError{Provider: "zalo", Code: "-213", Reason: FailureNotFollower}, FailureNotFollower},
		{fmt.Errorf("send: %w", &ProviderError{Provider: "tiktok", Code: "no_token", Reason: FailureTokenMissing, Class: ErrNeedsReconnect}), FailureTokenMissing},
		{&ProviderError{Provider: "zalo", Code: "-230", Class: ErrOutsideWindow}, FailureOutsideWindow},
		{&ProviderError{Provider: "zalo", Code: "-32", Class: ErrRateLimited}, FailureRateLimited},
		{&ProviderError{Provider: "zalo", Code: "-204", Class: ErrNeedsReconnect}, FailureNeedsReconnect},
		{&ProviderError{Provider: "zalo", Code: "-999"}, FailureProvider},
		{&ValidationError{Problems: []string{"x"}, Unsupported: true}, FailureUnsupported},
		{fmt.Errorf("%w: closed", ErrOutsideWindow), FailureOutsideWindow},
		{errors.New("dial tcp: connection refused"), FailureNetwork},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, FailureReasonOf(c.err), c.err.Error())
	}
}

// TestProblemsAreCoded: the engine's own validation problems carry a field, a code and params;
// an adapter's uncoded ValidationError still yields one entry per problem.
func TestProblemsAreCoded(t *testing.T) {
	var p problems
	p.add("the text has 3 characters; this channel takes at most 2", "text", ProblemTooLong, "max", "2", "n", "3")
	p.add("a rule needs a name", "name", ProblemRequired)
	err := p.err()
	assert.ErrorIs(t, err, ErrInvalid)
	got := ProblemsOf(fmt.Errorf("wrapped: %w", err))
	assert.Equal(t, []Problem{{Field: "text", Code: ProblemTooLong, Params: map[string]string{"max": "2", "n": "3"}},
		{Field: "name", Code: ProblemRequired}}, got)
	assert.Equal(t, []Problem{{Code: "invalid"}, {Code: "invalid"}}, ProblemsOf(&ValidationError{Problems: []string{"a", "b"}}))
	assert.Nil(t, ProblemsOf(errors.New("other")))
	var nilProblems problems
	assert.NoError(t, nilProblems.err())
}
