package benchcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"rgunit"
	"rgunit/bench"
	"rgunit/internal/cmdutil"
	"rgunit/server"
)

type benchServeOptions struct {
	db                     cmdutil.DB
	clients, ingest, procs int
	seconds                float64
	asJSON                 bool
}

// benchServeResult is the comparison rgunit bench serve prints.
type benchServeResult struct {
	ProcessQueries   int                `json:"process_queries"`
	ProcessPerSecond float64            `json:"process_queries_per_second"` // rgunit query processes, one after another
	HTTP             *bench.ServeResult `json:"http"`                       // concurrent clients, nothing else running
	OverProcesses    float64            `json:"http_over_processes"`
	WithIngest       *bench.ServeResult `json:"with_ingest"` // the same load while images are ingested
}

func newBenchServeCmd() *cobra.Command {
	o := &benchServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Query rate and latency of rgunit serve under concurrent clients, against rgunit query processes",
		Long: `Copies --db to a scratch folder, then measures on the copy: rgunit query
processes run one after another (each opens the file and loads the models);
rgunit serve in this process answering --clients concurrent clients that
send image+target queries (uploads) for --seconds; and the same load while
--ingest new images (mirrored copies of stored ones) are ingested through
POST /api/ingest in batches of 10, after which every ingested item must
answer a query by id. Prints queries per second, the ratio to the
processes, p50/p90/p99 latency and the failed requests.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.db.Register(cmd)
	f := cmd.Flags()
	f.IntVar(&o.clients, "clients", 8, "concurrent query clients")
	f.Float64Var(&o.seconds, "seconds", 20, "seconds of each load")
	f.IntVar(&o.ingest, "ingest", 300, "images ingested during the second load")
	f.IntVar(&o.procs, "processes", 20, "rgunit query processes of the baseline")
	cmdutil.JSONFlag(cmd, &o.asJSON, "print the result as one JSON object")
	return cmd
}

func (o *benchServeOptions) run(cmd *cobra.Command) error {
	ctx, errw := cmd.Context(), cmd.ErrOrStderr()
	path, cleanup, err := scratchCopy(o.db.Path)
	if err != nil {
		return err
	}
	defer cleanup()
	res := &benchServeResult{ProcessQueries: o.procs}
	fmt.Fprintf(errw, "%d rgunit query processes...\n", o.procs)
	if res.ProcessPerSecond, err = queryProcesses(ctx, path, o.procs); err != nil {
		return err
	}
	db, err := rgunit.Open(path, &rgunit.Options{Existing: true})
	if err != nil {
		return err
	}
	defer db.Close()
	load := bench.ServeOptions{Clients: o.clients, Duration: time.Duration(o.seconds * float64(time.Second))}
	if load.Queries, load.Ingest, err = servePools(db, o.ingest); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: server.New(db, nil)}
	go srv.Serve(ln)
	defer srv.Close()
	load.URL = "http://" + ln.Addr().String()
	ingest := load.Ingest
	load.Ingest = nil
	fmt.Fprintf(errw, "%d clients for %.0f s...\n", o.clients, o.seconds)
	if res.HTTP, err = bench.Serve(ctx, load); err != nil {
		return err
	}
	res.OverProcesses = res.HTTP.QPS / res.ProcessPerSecond
	load.Ingest = ingest
	fmt.Fprintf(errw, "%d clients for %.0f s while %d images are ingested...\n", o.clients, o.seconds, len(ingest))
	if res.WithIngest, err = bench.Serve(ctx, load); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		return cmdutil.WriteJSONLine(out, res)
	}
	fmt.Fprintf(out, "rgunit query processes: %d in a row, %.2f queries/s\n", res.ProcessQueries, res.ProcessPerSecond)
	res.HTTP.WriteText(out, "rgunit serve")
	fmt.Fprintf(out, "  %.0fx the processes' rate\n", res.OverProcesses)
	res.WithIngest.WriteText(out, "rgunit serve, ingesting")
	return nil
}

// queryProcesses runs n rgunit query processes one after another on
// path and returns their rate.
func queryProcesses(ctx context.Context, path string, n int) (float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range n {
		c := exec.CommandContext(ctx, exe, "query", fmt.Sprintf("id:%d", i+1), "--to", "Blond_Hair", "-k", "10", "--json", "--db", path)
		if b, err := c.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("rgunit query: %v: %s", err, b)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// servePools are the load's query uploads (the first 50 items' images)
// and the images to ingest (mirrored copies of the first n items').
func servePools(db *rgunit.DB, n int) (queries [][]byte, ingest []bench.File, err error) {
	err = db.EachItem(context.Background(), rgunit.ItemFilter{Limit: max(n, 50)}, func(it rgunit.Item) error {
		png, err := db.Image(it.ID)
		if err != nil {
			return err
		}
		if len(queries) < 50 {
			queries = append(queries, png)
		}
		if len(ingest) < n {
			m, err := bench.Mirror(png)
			if err != nil {
				return err
			}
			ingest = append(ingest, bench.File{Name: fmt.Sprintf("mirror-%d.png", it.ID), Data: m})
		}
		return nil
	})
	return queries, ingest, err
}

// scratchCopy copies the database at path into a new scratch folder,
// for a bench that changes it; cleanup removes the folder.
func scratchCopy(path string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "rgunit-bench-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	in, err := os.Open(path)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	defer in.Close()
	copyPath := filepath.Join(dir, "bench.db")
	out, err := os.Create(copyPath)
	if err == nil {
		_, err = io.Copy(out, in)
		err = errors.Join(err, out.Close())
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return copyPath, cleanup, nil
}
