package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/internal/cmdutil"
	"rgunit/server"
)

type serveOptions struct {
	cmdutil.DB
	addr string
	o    server.Options
}

func (o *serveOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:7860", "address to listen on (other than loopback: --token is required)")
	f.StringVar(&o.o.Token, "token", "", "bearer token every request must carry")
	f.Int64Var(&o.o.MaxBody, "max-body", server.DefaultMaxBody, "largest request body in bytes (uploads)")
	f.StringVar(&o.o.CORSOrigin, "cors-origin", "", "send Access-Control-Allow-Origin with this origin (none by default)")
}

func (o *serveOptions) run(cmd *cobra.Command, _ []string) error {
	if err := server.CheckAddress(o.addr, o.o.Token); err != nil { // before opening the database
		return fmt.Errorf("--addr %s: %w", o.addr, err)
	}
	return o.Update(func(db *rgunit.DB) error {
		err := server.Serve(cmd.Context(), o.addr, db, &o.o, func(a net.Addr) {
			fmt.Fprintf(cmd.OutOrStdout(), "listening on http://%s\n", a)
		})
		if err == nil {
			fmt.Fprintln(cmd.OutOrStdout(), "stopped")
		}
		return err
	})
}
