// Command profilegate is a GraphQL gateway that tells a contact-center agent who is on the
// line. It is the one wiring point: it reads the configuration, opens the store and the
// sources, builds the resolvers and serves them.
//
//	go run .                          # embedded demo in ./data, no configuration needed
//	go run . --config profilegate.yaml
//	go run . apikey --name desk --role agent   # a new API key and the hash to configure
package main

//go:generate go run github.com/99designs/gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/profilegate/profilegate/auth"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], os.Getenv, log); err != nil {
		log.Error("profilegate stopped", "err", err)
		os.Exit(1)
	}
}

// options are the command line's settings; flags win over the environment.
type options struct {
	addr, configPath, dataDir string
}

func parseOptions(args []string, getenv func(string) string) (options, error) {
	fs := flag.NewFlagSet("profilegate", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.addr, "addr", getenv("PROFILEGATE_ADDR"), "address to listen on (env PROFILEGATE_ADDR; default from config, 127.0.0.1:8080)")
	fs.StringVar(&o.configPath, "config", getenv("PROFILEGATE_CONFIG"), "YAML configuration file (env PROFILEGATE_CONFIG); none runs the embedded demo")
	fs.StringVar(&o.dataDir, "data-dir", getenv("PROFILEGATE_DATA_DIR"), "directory for embedded databases (env PROFILEGATE_DATA_DIR; default ./data)")
	return o, fs.Parse(args)
}

func run(args []string, getenv func(string) string, log *slog.Logger) error {
	if len(args) > 0 && args[0] == "apikey" {
		return newAPIKey(args[1:], os.Stdout)
	}
	opts, err := parseOptions(args, getenv)
	if err != nil {
		return err
	}
	cfg, isDemo, err := loadConfig(opts, getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := newApp(ctx, cfg, isDemo, log, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	url := "http://" + ln.Addr().String()
	log.Info("profilegate listening", "graphiql", url+"/", "graphql", url+"/query", "demo", isDemo)
	if isDemo {
		fmt.Fprintf(os.Stderr, "\nDemo data in %s. Try:\n\n  curl -s %s/query -H 'Content-Type: application/json' -d '%s'\n\n",
			cfg.DataDir, url, sampleRequest)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sampleRequest is the query the demo suggests at start.
const sampleRequest = `{"query":"{ customerHeader(identifier: {key: \"phonenumber\", value: \"(415) 555-0100\"}) { name badge secondaryTrait { label formatted timeSince } avatarUrl profile { id status sources } } }"}`

// newAPIKey prints a new API key, to hand to its user, and the configuration entry holding its
// hash; the key itself is stored nowhere.
func newAPIKey(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("profilegate apikey", flag.ContinueOnError)
	name := fs.String("name", "", "the key's name, shown in the settings history")
	role := fs.String("role", string(auth.RoleAgent), "agent or admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	entry := auth.Config{APIKeys: []auth.APIKey{{Name: *name, Role: auth.Role(*role)}}}
	key, hash := auth.NewKey()
	entry.APIKeys[0].SHA256 = hash
	if err := entry.Validate(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "API key (give it to its user; it is not stored):\n\n  %s\n\nAdd to auth.api_keys in the configuration:\n\n  - name: %s\n    role: %s\n    sha256: %s\n",
		key, *name, *role, hash)
	return err
}
