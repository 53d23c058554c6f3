// A small client for Gatehouse: typed requests over HTTP and subscriptions over graphql-ws
// (graphql-transport-ws), both authenticated with the same bearer credential.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type DocumentNode, type GraphQLFormattedError, print } from "graphql";
import { type Client as WsClient, createClient } from "graphql-ws";

export * from "./operations.js";
export { graphql } from "./gql/index.js";
export type * as Types from "./gql/graphql.js";

type Token = string | (() => string | Promise<string>);

export interface GatehouseClientOptions {
  /** The API's URL, e.g. `https://gatehouse.example.com/graphql`. */
  url: string;
  /** An API key (`sk_…`) or access token, or a function that returns a current one. */
  token?: Token;
  /**
   * Send only each document's hash (`documentId`): for servers that run trusted documents
   * (GATEHOUSE_TRUSTED_DOCUMENTS built from this package's persisted-documents.json).
   */
  persisted?: boolean;
  /** Another fetch (defaults to the global one). */
  fetch?: typeof fetch;
  /** A WebSocket constructor where there is no global one (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** Extra headers on every HTTP request. */
  headers?: Record<string, string>;
}

/** The server refused the request or the operation failed: its GraphQL errors. */
export class GatehouseError extends Error {
  constructor(
    readonly errors: readonly GraphQLFormattedError[],
    readonly status: number,
  ) {
    super(errors.map((e) => e.message).join("; ") || `HTTP ${status}`);
    this.name = "GatehouseError";
  }

  /** The first error's `extensions.code` (UNAUTHENTICATED, RATE_LIMITED, …). */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code as string | undefined;
  }
}

type Variables<V> = V extends Record<string, never> ? [variables?: V] : [variables: V];

interface Meta {
  __meta__?: { hash?: string };
}

function operationName(document: DocumentNode): string | undefined {
  for (const definition of document.definitions) {
    if (definition.kind === "OperationDefinition" && definition.name) {
      return definition.name.value;
    }
  }
  return undefined;
}

async function bearer(token: Token | undefined): Promise<string | undefined> {
  const value = typeof token === "function" ? await token() : token;
  return value ? `Bearer ${value}` : undefined;
}

export class GatehouseClient {
  private ws: WsClient | undefined;

  constructor(private readonly options: GatehouseClientOptions) {}

  private payload(document: DocumentNode, variables: unknown) {
    const hash = (document as Meta).__meta__?.hash;
    const name = operationName(document);
    if (this.options.persisted) {
      if (!hash) throw new Error("This document has no hash: regenerate with persistedDocuments.");
      return { documentId: hash, variables, operationName: name };
    }
    return { query: print(document), variables, operationName: name };
  }

  /** Run a query or mutation; resolves to its typed `data`, rejects with a GatehouseError. */
  async request<R, V>(document: TypedDocumentNode<R, V>, ...[variables]: Variables<V>): Promise<R> {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json;q=0.9",
      ...this.options.headers,
    };
    const authorization = await bearer(this.options.token);
    if (authorization) headers.Authorization = authorization;
    const doFetch = this.options.fetch ?? fetch;
    const response = await doFetch(this.options.url, {
      method: "POST",
      headers,
      body: JSON.stringify(this.payload(document, variables ?? {})),
    });
    const body = (await response.json()) as { data?: R | null; errors?: GraphQLFormattedError[] };
    if (body.errors?.length || body.data == null) {
      throw new GatehouseError(body.errors ?? [], response.status);
    }
    return body.data;
  }

  /**
   * Follow a subscription: an async iterator of typed `data`. Authenticates in
   * `connection_init` (`{authorization: "Bearer …"}`); ends with a GatehouseError when the
   * server ends the stream (e.g. SERVER_SHUTTING_DOWN: subscribe again).
   */
  async *subscribe<R, V>(
    document: TypedDocumentNode<R, V>,
    ...[variables]: Variables<V>
  ): AsyncGenerator<R, void, undefined> {
    const payload = this.payload(document, variables ?? {}) as {
      query?: string;
      documentId?: string;
      variables: Record<string, unknown>;
      operationName?: string;
    };
    // graphql-ws wants a `query`; with persisted documents the server reads `documentId`.
    const iterator = this.socket().iterate<R>({ query: "", ...payload });
    try {
      for await (const result of iterator) {
        if (result.errors?.length || result.data == null) {
          throw new GatehouseError(result.errors ?? [], 200);
        }
        yield result.data;
      }
    } catch (error) {
      if (Array.isArray(error)) throw new GatehouseError(error as GraphQLFormattedError[], 200);
      throw error;
    } finally {
      await iterator.return?.();
    }
  }

  /** Close the websocket, if one was opened. */
  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = undefined;
  }

  private socket(): WsClient {
    if (!this.ws) {
      const url = this.options.url.replace(/^http/, "ws");
      this.ws = createClient({
        url,
        webSocketImpl: this.options.webSocketImpl,
        lazy: true,
        connectionParams: async () => {
          const authorization = await bearer(this.options.token);
          return authorization ? { authorization } : {};
        },
      });
    }
    return this.ws;
  }
}

export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  return new GatehouseClient(options);
}
