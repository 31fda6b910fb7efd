// Command ferretdb is a tiny wrapper around FerretDB's embeddable package
// (github.com/FerretDB/FerretDB/ferretdb) for the local dev stack.
//
// Why a wrapper: `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`
// panics at start-up because the generated build/version/version.txt is not
// part of the module; the embeddable package does not need it.
//
// Usage:
//
//	ferretdb serve [-listen-addr 127.0.0.1:27017] [-state-dir DIR] [-log-level info]
//	ferretdb ping  [-url mongodb://localhost:27017/?directConnection=true] [-timeout 2s]
//
// Flags default to the FERRETDB_LISTEN_ADDR, FERRETDB_STATE_DIR, FERRETDB_LOG_LEVEL
// and MONGODB_URL environment variables. `ping` sends a real MongoDB wire
// protocol ping (works against FerretDB or a real MongoDB) and exits non-zero
// if it fails; stack.sh uses it as the readiness probe.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ferretdb serve|ping [flags]")
		os.Exit(2)
	}

	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "ping":
		ping(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "unknown subcommand %q (want serve or ping)\n", os.Args[1])
		os.Exit(2)
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"), "TCP listen address")
	stateDir := fs.String("state-dir", env("FERRETDB_STATE_DIR", "data"), "directory for SQLite databases")
	level := fs.String("log-level", env("FERRETDB_LOG_LEVEL", "info"), "debug, info, warn or error")
	_ = fs.Parse(args)

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fatal("bad -log-level: %s", err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	dir, err := filepath.Abs(*stateDir)
	if err != nil {
		fatal("bad -state-dir: %s", err)
	}

	// SQLite backend keeps one database file per MongoDB database in this directory.
	if err = os.MkdirAll(dir, 0o755); err != nil {
		fatal("%s", err)
	}

	// Telemetry is disabled unconditionally by the embeddable package.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/", // must end with a slash
	})
	if err != nil {
		fatal("%s", err)
	}

	// Stop cleanly on SIGTERM/SIGINT so SQLite files are closed properly.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("FerretDB (embedded, sqlite) starting", "listen", *listen, "state_dir", dir)

	if err = f.Run(ctx); err != nil {
		fatal("%s", err)
	}

	logger.Info("FerretDB stopped")
}

func ping(args []string) {
	fs := flag.NewFlagSet("ping", flag.ExitOnError)
	uri := fs.String("url", env("MONGODB_URL", "mongodb://localhost:27017/?directConnection=true"), "MongoDB URL")
	timeout := fs.Duration("timeout", 2*time.Second, "overall timeout")
	_ = fs.Parse(args)

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	client, err := mongo.Connect(ctx, options.Client().ApplyURI(*uri).SetServerSelectionTimeout(*timeout))
	if err != nil {
		fatal("connect: %s", err)
	}
	defer client.Disconnect(context.Background()) //nolint:errcheck // best effort

	if err = client.Ping(ctx, nil); err != nil {
		fatal("ping: %s", err)
	}

	fmt.Println("ok")
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(1)
}
