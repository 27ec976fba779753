// Generates TypeScript types for the sample operations from the schema, as a Flex UI plugin
// would; `npm run codegen` then type-checks them and client.ts with tsc --strict.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphqls',
  documents: '../../examples/operations/*.graphql',
  generates: {
    'generated/operations.ts': {
      plugins: ['typescript-operations'],
      config: {
        scalars: { Time: 'string', ID: 'string' },
        enumsAsTypes: true,
        avoidOptionals: false,
        strictScalars: true,
      },
    },
  },
};

export default config;
