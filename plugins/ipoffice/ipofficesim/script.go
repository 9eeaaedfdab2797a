package ipofficesim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
)

// QueueScriptSteps names the steps of RunQueueScript, in order; each is
// one event, so each change shows in its own Notify on every subscription
// it concerns.
var QueueScriptSteps = []string{
	"arrive",   // the call reaches the queue: RINGING at the queue, no targets
	"queue",    // it waits: QUEUEING
	"offer",    // the agents' phones ring: QUEUEING with targets, RINGING at each agent
	"answer",   // the first agent answers: CONNECTED at the queue and that agent; the others' legs end (CallLost, reason 26)
	"consult",  // the agent starts an assisted transfer to the second agent: ONHOLDPENDTRANSFER + a new RINGBACK call at the first agent, RINGING at the second; the queue shows the caller held
	"accept",   // the second agent answers the consultation: CONNECTED at both
	"transfer", // the first agent completes the transfer: both of its calls end in one Notify; the second agent is now connected to the caller, on the queue call's gcid
	"hangup",   // the caller hangs up: CallLost everywhere
}

// RunQueueScript plays a queue call's whole life, step by step (see
// QueueScriptSteps), pausing Options.ScriptStep between steps: an external
// call from number from arrives at queue (name or number), is queued, is
// offered to agents (extensions; at least two, all free), is answered by the
// first agent, who consults the second with SetupTransfer, who answers; the
// first completes the transfer, and the caller finally hangs up. The queue
// call keeps one gcid throughout, which RunQueueScript returns. The
// script's call is not offered by the queue's own distribution. If ctx ends
// or the call is changed under it (say an app drops it), the script stops
// with an error, hanging up the caller if the call is still there.
func (s *Server) RunQueueScript(ctx context.Context, queue, from string, agents ...string) (GCID, error) {
	if len(agents) < 2 {
		return nil, errors.New("ipofficesim: RunQueueScript needs two agents")
	}
	var (
		c      *leg
		qc     *queueCall
		g      GCID
		first  *leg // the first agent's leg of the queue call
		assist *leg // its consultation call
	)
	errGone := errors.New("ipofficesim: the script's call was changed by someone else")
	step := func(name string, f func() error) error {
		if name != "arrive" && s.opts.ScriptStep > 0 {
			t := time.NewTimer(s.opts.ScriptStep)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := ctx.Err(); err != nil {
			if c != nil && !c.ended {
				s.release(c, lostInfo{reason: reasonNormal, thisEnd: true, desc: "script cancelled"})
				s.settle()
			}
			return err
		}
		if name != "arrive" && (c == nil || c.ended) {
			return fmt.Errorf("%w (step %s)", errGone, name)
		}
		if err := f(); err != nil {
			return fmt.Errorf("ipofficesim: queue script step %s: %w", name, err)
		}
		s.settle()
		return nil
	}
	users := make([]*user, len(agents))
	steps := []func() error{
		func() error { // arrive
			q := s.findQueue(queue)
			if q == nil {
				return fmt.Errorf("%w: %s", ErrNoQueue, queue)
			}
			for i, a := range agents {
				if users[i] = s.userByExt(a); users[i] == nil {
					return fmt.Errorf("%w: %s", ErrNoUser, a)
				}
			}
			c = s.caller(from, q.ext)
			qc = s.enterQueue(c, q, false)
			qc.scripted, qc.arriving = true, true
			g = GCID(slices.Clone(c.conv.gcid))
			return nil
		},
		func() error { // queue
			qc.arriving, qc.queued = false, true
			return nil
		},
		func() error { // offer
			for _, u := range users {
				if !s.free(u) {
					return fmt.Errorf("%w: agent %s is not free", ErrUnreachable, u.ext)
				}
			}
			for _, u := range users {
				l := s.ringUser(c, u, qc.cur.ext)
				l.orig, l.qinfo = qc.cur.party(), qc.cur
			}
			return nil
		},
		func() error { // answer
			i := slices.IndexFunc(c.alerting, func(l *leg) bool { return l.user == users[0] })
			if i < 0 {
				return errGone
			}
			first = c.alerting[i]
			return s.answer(first)
		},
		func() error { // consult
			if first.ended || first.state != mtcti.CallInfo_CONNECTED {
				return errGone
			}
			s.setup(first, users[1].ext, false)
			assist = first.related
			if assist == nil || len(assist.alerting) != 1 {
				return fmt.Errorf("%w: agent %s did not ring", ErrUnreachable, users[1].ext)
			}
			return nil
		},
		func() error { // accept
			if assist.ended || len(assist.alerting) != 1 {
				return errGone
			}
			return s.answer(assist.alerting[0])
		},
		func() error { // transfer
			if assist.ended || first.ended {
				return errGone
			}
			if r := s.completeTransfer(assist, first); r != mtcti.ResultSuccess {
				return fmt.Errorf("CompleteTransfer: %s", mtcti.ResultName(r))
			}
			return nil
		},
		func() error { // hangup
			s.release(c, lostInfo{reason: reasonNormal, thisEnd: true, desc: "caller hung up"})
			return nil
		},
	}
	for i, f := range steps {
		if err := step(QueueScriptSteps[i], f); err != nil {
			return g, err
		}
	}
	return g, nil
}
