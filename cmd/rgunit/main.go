// Command rgunit builds a searchable image database and translates images
// between attribute domains with retrieval guidance (RG-UNIT).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"rgunit/internal/cmdutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rgunit:", err)
		if errors.Is(err, cmdutil.ErrInterrupted) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}
