package gateway

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/flexgraph"
	flexgenerated "github.com/profilegate/profilegate/flexgraph/generated"
	"github.com/profilegate/profilegate/graph"
	"github.com/profilegate/profilegate/graphiql"
	"github.com/profilegate/profilegate/guard"
	"github.com/profilegate/profilegate/httpapi"
	"github.com/profilegate/profilegate/loaders"
	"github.com/profilegate/profilegate/panel"
	"github.com/profilegate/profilegate/ratelimit"
	"github.com/profilegate/profilegate/resolvers"
	"github.com/profilegate/profilegate/telemetry"
)

// graphQLHandler serves the schema over HTTP POST and GET, within the limits.
func graphQLHandler(res *resolvers.Resolver, cfg *config.Config, log *slog.Logger) (http.Handler, error) {
	schema := graph.Config{Resolvers: res, Complexity: resolvers.Complexity(cfg.Limits.MaxPageSize)}
	schema.Directives.HasRole = resolvers.HasRole
	return serve(graph.NewExecutableSchema(schema), cfg, cfg.TrustedDocuments.Enabled, log)
}

// flexGraphQLHandler serves Flex's schema, to agents and admins, within the same limits; the
// trusted documents are /query's and do not apply.
func flexGraphQLHandler(res *flexgraph.Resolver, cfg *config.Config, log *slog.Logger) (http.Handler, error) {
	srv, err := serve(flexgenerated.NewExecutableSchema(flexgenerated.Config{Resolvers: res}), cfg, false, log)
	if err != nil {
		return nil, err
	}
	return agentsOnly(srv), nil
}

// agentsOnly refuses callers whose role is not an agent's or an admin's.
func agentsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.Has(r.Context(), auth.RoleAgent) {
			httpapi.Refuse(w, r, errcode.Forbidden, "this needs the agent role")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serve serves an executable schema over HTTP POST and GET, within the limits.
func serve(exec graphql.ExecutableSchema, cfg *config.Config, trustedOnly bool, log *slog.Logger) (http.Handler, error) {
	limits := cfg.Limits
	srv := handler.New(exec)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpapi.Transport{MaxBodyBytes: limits.MaxBodyBytes})
	parsed := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(parsed)
	srv.SetParserTokenLimit(limits.MaxTokens)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	if trustedOnly {
		trusted, err := loadTrustedDocuments(cfg.TrustedDocuments.Dir)
		if err != nil {
			return nil, err
		}
		srv.Use(trusted) // before persisted queries: it fills a trusted document in from its hash
	}
	// The persisted-query extension fills the query in; the limits then measure it.
	srv.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)}})
	srv.Use(guard.Limits{MaxTokens: limits.MaxTokens, MaxDepth: limits.MaxDepth, MaxRootFields: limits.MaxRootFields, MaxAliases: limits.MaxAliases,
		NoIntrospection: !cfg.Introspection, Parsed: parsed})
	srv.Use(guard.NewComplexity(limits.MaxComplexity))
	srv.Use(telemetry.Operations{})
	srv.AroundRootFields(loaders.AroundRootField) // each root field takes part in the request's lookup rounds
	srv.SetErrorPresenter(resolvers.PresentError(log))
	srv.SetRecoverFunc(resolvers.Recover(log))
	return srv, nil
}

// edge puts what every request to /query passes through in front of gql, outermost first:
// CORS (preflights carry no credentials), a span, the request's log line and metrics, the body
// read whole within its deadline, the limit of requests in flight, authentication, the
// caller's budgets, the Flex UI version.
func (g *Gateway) edge(authn *auth.Authenticator, gql http.Handler) http.Handler {
	limits := g.cfg.Limits
	query := httpapi.WithFlexVersion(gql)
	query = ratelimit.Middleware(g.counter, limits.PerCaller, callerOf, httpapi.Refuse, g.counterFailed, query)
	query = httpapi.Authenticate(authn, g.log, query)
	query = httpapi.Admit(limits.MaxInFlight, limits.InFlightWait, query)
	query = httpapi.ReadBody(limits.MaxBodyBytes, limits.BodyReadTimeout, query)
	if authn.Disabled() {
		query = httpapi.LoopbackHosts(query)
	}
	return httpapi.CORS(g.cfg.CORSOrigins, g.cfg.Tracing.Traced("graphql", telemetry.Requests(g.metrics, g.log, query)))
}

// routes mounts the GraphQL endpoint, Flex's endpoints (each when not nil), GraphiQL, the agent
// panel, the health checks and, with withMetrics, the metrics.
func (g *Gateway) routes(gql, connector, flexGQL http.Handler, withMetrics bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/query", gql)
	if connector != nil {
		mux.Handle(g.cfg.Flex.ProfileConnectorPath+"/", connector)
	}
	if flexGQL != nil {
		mux.Handle(g.cfg.Flex.GraphQLPath, flexGQL)
	}
	ui := graphiql.Handler()
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	agent := panel.Handler()
	mux.Handle("GET /panel", agent)
	mux.Handle("GET /panel/", agent)
	if withMetrics {
		mux.Handle("GET /metrics", g.metrics.Handler())
	}
	mux.HandleFunc("GET /healthz", g.health.Live)
	mux.HandleFunc("GET /readyz", g.health.Ready)
	return mux
}
