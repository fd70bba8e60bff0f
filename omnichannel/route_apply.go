package omnichannel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
)

// applyRoute sets the routing decision on conv and records it.
func (e *Engine) applyRoute(tx Tx, ch *change, conv *Conversation, d RouteDecision, ruleID, actorID string) error {
	from := conv.AssigneeID
	conv.AssigneeID = d.AssigneeID
	conv.AwaitingClaim = d.AwaitingClaim && d.AssigneeID == ""
	conv.Claimed = false
	if ruleID != "" {
		conv.RuleID = ruleID
	}
	switch {
	case conv.AwaitingClaim:
		return e.record(tx, ch, conv, Activity{Action: ActivityAwaitingClaim, ActorID: actorID, From: from, Detail: d.Detail})
	case d.AssigneeID != "" && d.AssigneeID != from:
		return e.record(tx, ch, conv, Activity{Action: ActivityAssigned, ActorID: actorID, From: from, To: d.AssigneeID, Detail: d.Detail})
	case d.AssigneeID == "" && from != "":
		return e.record(tx, ch, conv, Activity{Action: ActivityUnassigned, ActorID: actorID, From: from, Detail: d.Detail})
	}
	return nil
}

// route asks the Router about conv and applies the answer.
func (e *Engine) route(ctx context.Context, tx Tx, ch *change, conv *Conversation, conn *Connection, req RouteRequest, actorID string) error {
	req.Conversation, req.Connection = conv, conn
	if req.Rule == nil && conn.Permission == PermissionShared && conn.RuleID != "" {
		r, err := tx.GetRule(conn.WorkspaceID, conn.RuleID)
		if err == nil {
			req.Rule = r
		} else if !isNotFound(err) {
			return err
		}
	}
	rctx, span := e.tel.span(ctx, "dakenh.route", attribute.String("dakenh.route_reason", string(req.Reason)))
	d, err := e.cfg.Router.Route(rctx, tx, req)
	end(span, err)
	if err != nil {
		return err
	}
	ruleID := ""
	if req.Rule != nil {
		ruleID = req.Rule.ID
	}
	return e.applyRoute(tx, ch, conv, d, ruleID, actorID)
}
