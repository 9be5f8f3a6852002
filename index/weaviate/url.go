package weaviate

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Options say where the cluster is and how to use it. ParseURL fills them
// from weaviate://HOST:PORT[/Prefix][?grpc=PORT|HOST:PORT&rf=N&ef=N&allow-partial=true].
type Options struct {
	// HTTP is the REST address, host:port.
	HTTP string
	// GRPC is the gRPC address (default: HTTP's host, port 50051).
	GRPC string
	// Prefix names the classes: Prefix + "V" + model version (default "Rgunit").
	Prefix string
	// Replication is the replication factor of new classes (0: 2 when the
	// cluster has two nodes or more, else 1).
	Replication int
	// Ef is the HNSW search beam of new classes (0: 128). A search with
	// another ef sets the class's.
	Ef int
	// AllowPartial returns results marked partial instead of ErrPartial.
	AllowPartial bool
	// Timeout bounds each request (default 30 s).
	Timeout time.Duration
	// Settle is how long a search waits for the cluster to agree on its
	// state after losing a node (default 10 s; negative: not at all).
	Settle time.Duration
}

var prefixRE = regexp.MustCompile(`^[A-Z][_0-9A-Za-z]{0,200}$`)

// ParseURL reads a weaviate:// index URL.
func ParseURL(s string) (Options, error) {
	var o Options
	u, err := url.Parse(s)
	if err != nil {
		return o, fmt.Errorf("%w: %q: %v", ErrURL, s, err)
	}
	if u.Scheme != "weaviate" {
		return o, fmt.Errorf("%w: %q: the scheme must be weaviate:// (weaviate://HOST:PORT[/Prefix])", ErrURL, s)
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return o, fmt.Errorf("%w: %q: no user, fragment or opaque part expected", ErrURL, s)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" || !validPort(port) {
		return o, fmt.Errorf("%w: %q: want HOST:PORT after weaviate://", ErrURL, s)
	}
	o.HTTP = u.Host
	o.GRPC = net.JoinHostPort(host, "50051")
	o.Prefix = "Rgunit"
	if p := strings.Trim(u.Path, "/"); p != "" {
		if !prefixRE.MatchString(p) {
			return o, fmt.Errorf("%w: %q: the class prefix %q must start with a capital letter and hold only letters, digits and _", ErrURL, s, p)
		}
		o.Prefix = p
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return o, fmt.Errorf("%w: %q: %v", ErrURL, s, err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return o, fmt.Errorf("%w: %q: %s given %d times", ErrURL, s, k, len(vs))
		}
		v := vs[0]
		switch k {
		case "grpc":
			if validPort(v) {
				o.GRPC = net.JoinHostPort(host, v)
			} else if h, p, err := net.SplitHostPort(v); err == nil && h != "" && validPort(p) {
				o.GRPC = v
			} else {
				return o, fmt.Errorf("%w: %q: grpc=%q is neither a port nor HOST:PORT", ErrURL, s, v)
			}
		case "rf", "ef":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || (k == "rf" && n > 16) || n > 1<<20 {
				return o, fmt.Errorf("%w: %q: %s=%q is not a positive number in range", ErrURL, s, k, v)
			}
			if k == "rf" {
				o.Replication = n
			} else {
				o.Ef = n
			}
		case "allow-partial":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, fmt.Errorf("%w: %q: allow-partial=%q is not a boolean", ErrURL, s, v)
			}
			o.AllowPartial = b
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return o, fmt.Errorf("%w: %q: timeout=%q is not a positive duration", ErrURL, s, v)
			}
			o.Timeout = d
		default:
			return o, fmt.Errorf("%w: %q: unknown parameter %q (grpc, rf, ef, allow-partial, timeout)", ErrURL, s, k)
		}
	}
	return o, nil
}

// String is the URL ParseURL reads back to the same options.
func (o Options) String() string {
	u := url.URL{Scheme: "weaviate", Host: o.HTTP}
	if o.Prefix != "" && o.Prefix != "Rgunit" {
		u.Path = "/" + o.Prefix
	}
	q := url.Values{}
	if h, _, _ := net.SplitHostPort(o.HTTP); o.GRPC != "" && o.GRPC != net.JoinHostPort(h, "50051") {
		if gh, gp, _ := net.SplitHostPort(o.GRPC); gh == h {
			q.Set("grpc", gp)
		} else {
			q.Set("grpc", o.GRPC)
		}
	}
	if o.Replication > 0 {
		q.Set("rf", strconv.Itoa(o.Replication))
	}
	if o.Ef > 0 {
		q.Set("ef", strconv.Itoa(o.Ef))
	}
	if o.AllowPartial {
		q.Set("allow-partial", "true")
	}
	if o.Timeout > 0 {
		q.Set("timeout", o.Timeout.String())
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// IsURL reports whether s names a Weaviate index (weaviate://...).
func IsURL(s string) bool { return strings.HasPrefix(s, "weaviate://") }

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && strconv.Itoa(n) == p
}
