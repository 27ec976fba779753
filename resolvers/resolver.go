package resolvers

//go:generate go run github.com/99designs/gqlgen generate --config ../gqlgen.yml

// Resolver is the root resolver.
type Resolver struct{}
