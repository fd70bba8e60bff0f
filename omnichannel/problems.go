package omnichannel

import (
	"errors"

	"github.com/dakenh/dakenh/model"
)

// Problem is one validation problem in a form an interface can translate (see model.Problem).
type Problem = model.Problem

// Stable problem codes of ValidationError.Details. New codes may be added; existing ones keep
// their meaning.
const (
	ProblemRequired          = model.ProblemRequired   // a value is missing
	ProblemUnknown           = "unknown"               // an id that is not in the workspace (or is inactive)
	ProblemNotAllowed        = model.ProblemNotAllowed // a value outside the allowed set ({allowed})
	ProblemTooLong           = "too_long"              // text over {max} characters
	ProblemTooLongBytes      = "too_long_bytes"        // text over {max} bytes of UTF-8 (Instagram)
	ProblemTooMany           = "too_many"              // more than {max} values
	ProblemMessageEmpty      = "message_empty"         // neither text nor attachment
	ProblemBadText           = "bad_text"              // invalid UTF-8 or a NUL character
	ProblemPlaceholderLeft   = "placeholder_left"      // a template {placeholder} was not replaced
	ProblemSeparateCaption   = "separate_caption"      // text and a {kind} attachment go as two messages
	ProblemKindUnsupported   = "kind_unsupported"      // the channel cannot send {kind} attachments
	ProblemTypeUnsupported   = "type_unsupported"      // the channel does not take {type} files ({allowed})
	ProblemFileTooLarge      = "file_too_large"        // {name} is over {max} bytes
	ProblemFileEmpty         = "file_empty"            // an empty upload
	ProblemNotUploaded       = "not_uploaded"          // the attachment {name} was never uploaded
	ProblemChooseOne         = "choose_one"            // a user or a team, not both and not neither
	ProblemCategoryLeaf      = "category_leaf"         // choose a detailed category under {name}
	ProblemCategoryDeep      = "category_too_deep"     // the category tree is deeper than three levels
	ProblemNotRetryable      = "not_retryable"         // only a failed outgoing message can be retried
	ProblemQuoteElsewhere    = "quote_elsewhere"       // the quoted message is in another conversation
	ProblemTemplateVariables = "template_variables"    // a template uses unknown {names}
	ProblemTemplateBraces    = "template_braces"       // a template would send "{{"
	ProblemAlreadyElsewhere  = "connected_elsewhere"   // the account is connected to another workspace
	ProblemNotReactable      = "not_reactable"         // only a message the provider knows can get a reaction
	ProblemInfoRequestBody   = "info_request_body"     // an information request carries no text, file or quote
	ProblemInvalid           = model.ProblemInvalid    // a malformed or out-of-range value (configurations)
	ProblemDuplicateName     = "duplicate_name"        // a sibling category or another class has this {name}
	ProblemCategoryCycle     = "category_cycle"        // a category cannot sit under itself or its descendants
)

// problems builds a ValidationError from coded problems, keeping the English text of each for logs
// and for clients that do not translate.
type problems struct {
	texts       []string
	details     []Problem
	unsupported bool
}

// add records one problem: its English text, field, code and params (name, value pairs).
func (p *problems) add(text, field, code string, params ...string) {
	p.texts = append(p.texts, text)
	pr := Problem{Field: field, Code: code}
	if len(params) > 1 {
		pr.Params = map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			pr.Params[params[i]] = params[i+1]
		}
	}
	p.details = append(p.details, pr)
}

// err returns the ValidationError, or nil when no problem was added.
func (p *problems) err() error {
	if len(p.texts) == 0 {
		return nil
	}
	return &ValidationError{Problems: p.texts, Details: p.details, Unsupported: p.unsupported}
}

// invalid is a ValidationError of one coded problem.
func invalid(text, field, code string, params ...string) error {
	var p problems
	p.add(text, field, code, params...)
	return p.err()
}

// ProblemsOf returns the coded problems of err (a *ValidationError): its Details, or, for a
// ValidationError without them (an adapter's), one entry of code "invalid" per problem text. It
// returns nil when err is not a ValidationError.
func ProblemsOf(err error) []Problem {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	if len(ve.Details) > 0 {
		return ve.Details
	}
	out := make([]Problem, 0, len(ve.Problems))
	for range ve.Problems {
		out = append(out, Problem{Code: model.ProblemInvalid})
	}
	return out
}
