package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"rgunit"
)

// ShutdownTimeout is how long Serve lets requests in flight finish once
// its context is done.
const ShutdownTimeout = 30 * time.Second

// Serve serves db on addr (refused beyond loopback without o.Token: see
// CheckAddress) until ctx is done, then lets the requests in flight
// finish. onListen, if set, is called with the address bound (":0" picks
// a port).
func Serve(ctx context.Context, addr string, db *rgunit.DB, o *Options, onListen func(net.Addr)) error {
	token := ""
	if o != nil {
		token = o.Token
	}
	if err := CheckAddress(addr, token); err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: New(db, o), ReadHeaderTimeout: 10 * time.Second}
	if onListen != nil {
		onListen(ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx) // in-flight requests finish
	if e := <-done; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}
