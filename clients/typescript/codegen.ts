// Types and typed document nodes from the server's printed schema (the repository's
// gatehouse/schema/schema.graphql, kept current by `make schema`). The client preset also
// writes persisted-documents.json (sha256 → document): the manifest GATEHOUSE_TRUSTED_DOCUMENTS
// reads, so a production server runs exactly these operations.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: process.env.GATEHOUSE_SCHEMA ?? "../../gatehouse/schema/schema.graphql",
  documents: ["src/operations.ts"],
  ignoreNoDocuments: false,
  // Imports with `.js`, as Node's ES modules (and `moduleResolution: NodeNext`) need.
  emitLegacyCommonJSImports: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: "sha256" },
      },
      config: {
        enumsAsTypes: true,
        scalars: { DateTime: "string", JSON: "unknown" },
        useTypeImports: true,
      },
    },
  },
};

export default config;
