package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/examples/operations"
)

// trustedDocuments runs only the operations of a list, as persisted-document setups do:
// a client sends a document of the list, or only its SHA-256 hash (in the persisted-query
// extension), and anything else is refused before it is parsed.
type trustedDocuments struct {
	byHash map[string]string
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = trustedDocuments{}

// loadTrustedDocuments reads every .graphql file of dir, or the sample operations when dir
// is empty.
func loadTrustedDocuments(dir string) (trustedDocuments, error) {
	files := fs.FS(operations.Files)
	if dir != "" {
		files = os.DirFS(dir)
	}
	names, err := fs.Glob(files, "*.graphql")
	if err != nil || len(names) == 0 {
		return trustedDocuments{}, fmt.Errorf("trusted_documents.dir: no .graphql files in %q (%v)", dir, err)
	}
	t := trustedDocuments{byHash: map[string]string{}}
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return trustedDocuments{}, fmt.Errorf("trusted_documents: %s: %w", filepath.Join(dir, name), err)
		}
		sum := sha256.Sum256(b)
		t.byHash[hex.EncodeToString(sum[:])] = string(b)
	}
	return t, nil
}

// ExtensionName names the extension for gqlgen.
func (trustedDocuments) ExtensionName() string { return "TrustedDocuments" }

// Validate accepts any schema.
func (trustedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills the document in from its hash, and refuses one not trusted.
func (t trustedDocuments) MutateOperationParameters(_ context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Query == "" {
		if pq, ok := raw.Extensions["persistedQuery"].(map[string]any); ok {
			if hash, ok := pq["sha256Hash"].(string); ok {
				raw.Query = t.byHash[strings.ToLower(hash)]
			}
		}
	}
	sum := sha256.Sum256([]byte(raw.Query))
	if _, ok := t.byHash[hex.EncodeToString(sum[:])]; raw.Query != "" && ok {
		return nil
	}
	err := gqlerror.Errorf("this gateway runs only its trusted documents: send one of them, or its SHA-256 hash as extensions.persistedQuery.sha256Hash")
	err.Extensions = map[string]any{"code": string(errcode.OperationNotTrusted)}
	return err
}
