package locallambda

import (
	"time"
)

// asyncEvent is one accepted Event invocation.
type asyncEvent struct {
	function  string
	invoker   Invoker
	requestID string
	payload   []byte
	done      chan struct{} // closed when it succeeded or was given up
}

// enqueue starts delivering ev in the background; false when the Handler
// is closed.
func (h *Handler) enqueue(ev *asyncEvent) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx.Err() != nil {
		return false
	}
	h.pending[ev] = struct{}{}
	go h.deliver(ev)
	return true
}

// deliver invokes ev's function until it succeeds, the retries are
// exhausted or the Handler is closed. The wait before retry n is
// retryDelay·2^(n-1). The response of a successful attempt is discarded,
// as Lambda does without an on-success destination.
func (h *Handler) deliver(ev *asyncEvent) {
	defer func() {
		h.mu.Lock()
		delete(h.pending, ev)
		h.mu.Unlock()
		close(ev.done)
	}()
	for attempt := 1; ; attempt++ {
		_, err := call(h.ctx, ev.invoker, ev.payload)
		if err == nil {
			return
		}
		body, apiErr := h.classify(h.ctx, err)
		if apiErr != nil {
			body = nil
		}
		h.logf("locallambda: %s: async invocation %s attempt %d failed: %v", ev.function, ev.requestID, attempt, err)
		if h.ctx.Err() != nil {
			h.giveUp(ev, Abandoned, attempt, err, body)
			return
		}
		if attempt > h.maxRetries {
			h.giveUp(ev, RetriesExhausted, attempt, err, body)
			return
		}
		t := time.NewTimer(h.retryDelay << (attempt - 1))
		select {
		case <-t.C:
		case <-h.ctx.Done():
			t.Stop()
			h.giveUp(ev, Abandoned, attempt, err, body)
			return
		}
	}
}

// giveUp records ev in FailedAsync.
func (h *Handler) giveUp(ev *asyncEvent, condition string, attempts int, err error, body []byte) {
	h.logf("locallambda: %s: async invocation %s given up (%s after %d attempts): %v", ev.function, ev.requestID, condition, attempts, err)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed = append(h.failed, FailedEvent{
		Function: ev.function, RequestID: ev.requestID, Payload: ev.payload, Condition: condition,
		Attempts: attempts, Err: err, Response: body, Time: time.Now(),
	})
}
