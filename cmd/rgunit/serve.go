package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"rgunit/internal/cmdutil"
	"rgunit/server"
)

type serveOptions struct {
	db   cmdutil.DB
	addr string
	o    server.Options
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the database over HTTP: a JSON API and a web gallery",
		Long: `serve holds the database (the single writer) and answers many concurrent
readers: the JSON API under /api/ (the shapes of the CLI's --json) and a web
gallery at / where a person browses the items, picks or uploads a source and
target attributes, and sees its neighbours and its translation. The page's
state is in its URL, so a view can be shared.

It binds 127.0.0.1 by default; any other address needs --token, which every
request then carries (Authorization: Bearer TOKEN; the gallery takes
?token=TOKEN). Ctrl-C stops it: requests in flight finish, then the
database closes.`,
		Example: `  rgunit serve --db faces.db
  rgunit serve --db faces.db --addr 0.0.0.0:7860 --token "$(openssl rand -hex 16)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:7860", "address to listen on (other than loopback: --token is required)")
	f.StringVar(&o.o.Token, "token", "", "bearer token every request must carry")
	f.Int64Var(&o.o.MaxBody, "max-body", server.DefaultMaxBody, "largest request body in bytes (uploads)")
	f.StringVar(&o.o.CORSOrigin, "cors-origin", "", "send Access-Control-Allow-Origin with this origin (none by default)")
	return cmd
}

func (o *serveOptions) run(cmd *cobra.Command) error {
	if err := server.CheckAddress(o.addr, o.o.Token); err != nil {
		return fmt.Errorf("--addr %s: %w", o.addr, err)
	}
	db, err := o.db.Open(cmdutil.Existing)
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: server.New(db, &o.o), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(cmd.OutOrStdout(), "listening on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-cmd.Context().Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(ctx) // in-flight requests finish
	if e := <-done; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	fmt.Fprintln(cmd.OutOrStdout(), "stopped")
	return err
}
