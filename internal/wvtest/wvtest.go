// Package wvtest starts real Weaviate servers for integration tests, in a
// private network namespace: Weaviate's gRPC and cluster data ports listen
// on every interface whatever its settings, so tests never start it on the
// machine's own interfaces.
//
// A test package calls [Main] from its TestMain: as root, with unshare(1)
// and ip(8), it runs the package's tests again inside a new network
// namespace that holds only loopback (servers started there inherit it);
// elsewhere it runs them as they are, and [Start] skips. [Start] also
// skips when no server binary is found ([Binary]) and refuses to run where
// any interface other than loopback exists.
package wvtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Version is the server version .ci/run installs.
const Version = "v1.35.2"

const envInside = "RGUNIT_WVTEST_NETNS"

// Main runs the tests, inside a private network namespace when one can be
// made, and exits.
func Main(m *testing.M) {
	if os.Getenv(envInside) == "" && os.Geteuid() == 0 && have("unshare") && have("ip") {
		exe, err := os.Executable()
		if err == nil {
			err = exec.Command("unshare", "-n", "--", "sh", "-c", "ip link set lo up").Run()
		}
		if err != nil {
			// No permission (a container without CAP_SYS_ADMIN): run here.
			fmt.Fprintf(os.Stderr, "wvtest: no private network namespace (%v); Weaviate tests will skip\n", err)
			os.Exit(m.Run())
		}
		cmd := exec.Command("unshare", append([]string{"-n", "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`, exe}, os.Args[1:]...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), envInside+"=1")
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				os.Exit(max(ee.ExitCode(), 1))
			}
			fmt.Fprintln(os.Stderr, "wvtest:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func have(name string) bool { _, err := exec.LookPath(name); return err == nil }

// Binary finds weaviate-server: $RGUNIT_WEAVIATE_SERVER, then PATH, then
// $GOPATH/bin (where `go install` puts it), then the cache .ci/run keeps.
func Binary() (string, error) {
	if p := os.Getenv("RGUNIT_WEAVIATE_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("RGUNIT_WEAVIATE_SERVER=%s: %w", p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("weaviate-server"); err == nil {
		return p, nil
	}
	var cands []string
	if gp := os.Getenv("GOPATH"); gp != "" {
		cands = append(cands, filepath.Join(gp, "bin", "weaviate-server"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(home, "go", "bin", "weaviate-server"),
			filepath.Join(home, ".cache", "rgunit", "weaviate-server-"+Version))
	}
	for _, p := range cands {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no weaviate-server binary (go install github.com/weaviate/weaviate/cmd/weaviate-server@" + Version + ", or set RGUNIT_WEAVIATE_SERVER)")
}

// Private reports whether this process sees only loopback interfaces.
func Private() error {
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return fmt.Errorf("interface %s is not loopback: not in a private network namespace (run as root with unshare, see wvtest.Main)", i.Name)
		}
	}
	return nil
}

// Node is one server of a Cluster.
type Node struct {
	Name                                   string
	HTTP, GRPC, Gossip, Data, Raft, RaftRP int
	dir, bin                               string
	env                                    []string
	cmd                                    *exec.Cmd
	log                                    *os.File
	done                                   chan struct{}
}

// Cluster is a set of servers on loopback.
type Cluster struct {
	Nodes []*Node
	t     testing.TB
}

// Start starts an n-node cluster (or skips the test: no server binary, or
// -short) and stops it when the
// test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Weaviate cluster (the -short lane leaves it out)")
	}
	bin, err := Binary()
	if err != nil {
		t.Skipf("weaviate: %v", err)
	}
	if err := Private(); err != nil {
		t.Skipf("weaviate: %v", err)
	}
	c, err := StartCluster(bin, t.TempDir(), n)
	if err != nil {
		if c != nil {
			c.Close()
		}
		t.Fatal(err)
	}
	c.t = t
	t.Cleanup(c.Close)
	return c
}

// StartCluster starts n nodes with data under dir and waits until each is
// ready (the later ones join the first).
func StartCluster(bin, dir string, n int) (*Cluster, error) {
	c := &Cluster{}
	var join []string
	for i := range n {
		join = append(join, fmt.Sprintf("n%d:%d", i, 8300+2*i))
	}
	for i := range n {
		nd := &Node{Name: fmt.Sprintf("n%d", i), HTTP: 8080 + i, GRPC: 50051 + i, Gossip: 7100 + 2*i, Data: 7101 + 2*i,
			Raft: 8300 + 2*i, RaftRP: 8301 + 2*i, dir: filepath.Join(dir, fmt.Sprintf("n%d", i)), bin: bin}
		nd.env = append(os.Environ(),
			"PERSISTENCE_DATA_PATH="+nd.dir,
			"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
			"DEFAULT_VECTORIZER_MODULE=none",
			"ENABLE_MODULES=",
			"CLUSTER_HOSTNAME="+nd.Name,
			"CLUSTER_BIND_ADDR=127.0.0.1",
			"CLUSTER_ADVERTISE_ADDR=127.0.0.1",
			"CLUSTER_IN_LOCALHOST=true",
			"GO_PROFILING_DISABLE=true",
			"DISABLE_TELEMETRY=true",
			"LOG_LEVEL=warning",
			"QUERY_DEFAULTS_LIMIT=25",
			"GRPC_PORT="+strconv.Itoa(nd.GRPC),
			"CLUSTER_GOSSIP_BIND_PORT="+strconv.Itoa(nd.Gossip),
			"CLUSTER_DATA_BIND_PORT="+strconv.Itoa(nd.Data),
			"RAFT_PORT="+strconv.Itoa(nd.Raft),
			"RAFT_INTERNAL_RPC_PORT="+strconv.Itoa(nd.RaftRP),
			"RAFT_JOIN="+strings.Join(join, ","),
			"RAFT_BOOTSTRAP_EXPECT="+strconv.Itoa(n),
		)
		if i > 0 {
			nd.env = append(nd.env, "CLUSTER_JOIN=127.0.0.1:7100")
		}
		c.Nodes = append(c.Nodes, nd)
	}
	// The first node must be up before the others join; with several
	// nodes it waits for the Raft quorum, so start the others at once
	// after its HTTP port answers "live".
	for i, nd := range c.Nodes {
		if err := nd.start(); err != nil {
			return c, err
		}
		if i == 0 && n > 1 {
			if err := nd.wait("/v1/.well-known/live", 60*time.Second); err != nil {
				return c, err
			}
		}
	}
	for _, nd := range c.Nodes {
		if err := nd.wait("/v1/.well-known/ready", 120*time.Second); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (nd *Node) start() error {
	if err := os.MkdirAll(nd.dir, 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(nd.dir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	nd.log = log
	nd.cmd = exec.Command(nd.bin, "--host", "127.0.0.1", "--port", strconv.Itoa(nd.HTTP), "--scheme", "http")
	nd.cmd.Env, nd.cmd.Stdout, nd.cmd.Stderr = nd.env, log, log
	nd.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := nd.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", nd.Name, err)
	}
	nd.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(nd.cmd, nd.done)
	return nil
}

func (nd *Node) wait(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	url := fmt.Sprintf("http://127.0.0.1:%d%s", nd.HTTP, path)
	for time.Now().Before(deadline) {
		select {
		case <-nd.done:
			return fmt.Errorf("%s exited while starting; log %s.log:\n%s", nd.Name, nd.dir, tail(nd.dir+".log"))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not %s after %v; log:\n%s", nd.Name, path, limit, tail(nd.dir+".log"))
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// URL is the weaviate:// URL of node i with a class prefix.
func (c *Cluster) URL(i int, prefix string) string {
	nd := c.Nodes[i]
	return fmt.Sprintf("weaviate://127.0.0.1:%d/%s?grpc=%d", nd.HTTP, prefix, nd.GRPC)
}

// Stop kills node i (SIGKILL: a crash, not a shutdown) and waits for it.
func (c *Cluster) Stop(i int) {
	nd := c.Nodes[i]
	if nd.cmd == nil {
		return
	}
	syscall.Kill(-nd.cmd.Process.Pid, syscall.SIGKILL)
	<-nd.done
	nd.cmd = nil
	nd.log.Close()
}

// Restart starts a stopped node i again and waits until it is ready.
func (c *Cluster) Restart(i int) error {
	nd := c.Nodes[i]
	if nd.cmd != nil {
		return nil
	}
	if err := nd.start(); err != nil {
		return err
	}
	return nd.wait("/v1/.well-known/ready", 120*time.Second)
}

// Close stops every node.
func (c *Cluster) Close() {
	for i := range c.Nodes {
		c.Stop(i)
	}
}
