package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory/queue"
)

// newWorkerHandler builds what runs a worker's jobs.
func newWorkerHandler(cmd *cobra.Command, s *settings, q *queue.Queue) (queue.Handler, error) {
	return nil, errors.New("worker: the org-scan handler is not wired yet")
}
