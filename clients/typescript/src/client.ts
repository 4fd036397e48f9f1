import type { components, operations } from "./openapi.js";
import { errorFrom } from "./errors.js";

type Schemas = components["schemas"];

export type App = Schemas["App"];
export type AppUpdate = Schemas["AppUpdate"];
export type User = Schemas["User"];
export type UserCreate = Schemas["UserCreate"];
export type UserUpdate = Schemas["UserUpdate"];
export type UserList = Schemas["UserList"];
export type Account = Schemas["Account"];
export type AccountCreate = Schemas["AccountCreate"];
export type AccountUpdate = Schemas["AccountUpdate"];
export type AccountList = Schemas["AccountList"];
export type Session = Schemas["Session"];
export type SessionCreate = Schemas["SessionCreate"];
export type SessionCreated = Schemas["SessionCreated"];
export type SessionExtend = Schemas["SessionExtend"];
export type SessionList = Schemas["SessionList"];
export type ConfigurationURL = Schemas["ConfigurationURL"];
export type TokenRefresh = Schemas["TokenRefresh"];
export type TokenRefreshed = Schemas["TokenRefreshed"];
export type VerificationConfirm = Schemas["VerificationConfirm"];
export type VerificationConfirmed = Schemas["VerificationConfirmed"];
export type Revoked = Schemas["Revoked"];
export type Integration = Schemas["Integration"];
export type IntegrationPut = Schemas["IntegrationPut"];
export type IntegrationList = Schemas["IntegrationList"];
export type CatalogTemplate = Schemas["CatalogTemplate"];
export type CatalogList = Schemas["CatalogList"];
export type Connection = Schemas["Connection"];
export type ConnectionImport = Schemas["ConnectionImport"];
export type ConnectionList = Schemas["ConnectionList"];
export type Me = Schemas["Me"];
export type PerformRequest = Schemas["PerformRequest"];
export type PerformResult = Schemas["PerformResult"];
export type Tool = Schemas["Tool"];
export type Activity = Schemas["Activity"];
export type ActivityList = Schemas["ActivityList"];
export type PreparedRequest = Schemas["PreparedRequest"];

/** The query parameters of an operation of the OpenAPI document. */
export type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;
/** A list operation's filters, without the page token (the iterator keeps it). */
export type ListParams<Op extends keyof operations> = Omit<QueryOf<Op>, "page_token"> & { page_token?: string };

/** One page of a list: `next_page_token` is `null` on the last page. */
export interface Page<T> {
  data: T[];
  next_page_token: string | null;
}

/**
 * The items of a list, across its pages, fetched one page at a time as the
 * iteration goes on:
 *
 *     for await (const user of portico.users.list({ page_size: 100 })) { … }
 *
 * `pages()` iterates over whole pages instead; `toArray()` collects every
 * item (mind the list's size).
 */
export class Paginated<T> implements AsyncIterable<T> {
  readonly #fetch: (pageToken: string | undefined) => Promise<Page<T>>;
  readonly #first: string | undefined;

  constructor(fetchPage: (pageToken: string | undefined) => Promise<Page<T>>, firstToken?: string) {
    this.#fetch = fetchPage;
    this.#first = firstToken;
  }

  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let token = this.#first;
    do {
      const page = await this.#fetch(token);
      yield page;
      token = page.next_page_token ?? undefined;
    } while (token);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this) out.push(item);
    return out;
  }
}

export interface PorticoOptions {
  /** The server's base URL, such as `https://portico.example.com` (a trailing slash is ignored). */
  baseUrl: string;
  /** The app's API key (`pk_…`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A user's session token (`pst_…`) instead, for the `/v1/me` endpoints. */
  sessionToken?: string;
  /** How long one request may take, in milliseconds; default 30000. */
  timeoutMs?: number;
  /** The fetch to use; default the global one (Node.js ≥ 18). */
  fetch?: typeof globalThis.fetch;
}

type Query = Record<string, string | number | boolean | null | undefined>;

interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
}

const seg = (s: string) => encodeURIComponent(s);

/**
 * A client of one Portico server, for one app (API key) or one user
 * (session token). Every method answers with the wire types of the OpenAPI
 * document the server serves, and throws a PorticoError for a non-2xx
 * answer.
 */
export class Portico {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #timeout: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #options: PorticoOptions;

  constructor(options: PorticoOptions) {
    if (!options || typeof options.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError("Portico: baseUrl must be an http(s) URL");
    }
    if (options.apiKey && options.sessionToken) {
      throw new TypeError("Portico: give apiKey or sessionToken, not both");
    }
    this.#options = { ...options };
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.apiKey || options.sessionToken || undefined;
    this.#timeout = options.timeoutMs ?? 30_000;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") throw new TypeError("Portico: no fetch (Node.js 18 or later has one)");
    this.#fetch = f;
  }

  /** A client of the same server that authenticates as a user, with their session token. */
  withSessionToken(sessionToken: string): Portico {
    const { apiKey: _apiKey, ...rest } = this.#options;
    return new Portico({ ...rest, sessionToken });
  }

  async #send(method: string, path: string, opts: RequestOptions = {}, accept = "application/json"): Promise<Response> {
    let url = this.#base + path;
    if (opts.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) {
        if (v !== undefined && v !== null) q.set(k, String(v));
      }
      const s = q.toString();
      if (s) url += "?" + s;
    }
    const headers: Record<string, string> = { accept };
    if (this.#token) headers["authorization"] = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const res = await this.#fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.#timeout) });
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  async #json<T>(method: string, path: string, opts?: RequestOptions): Promise<{ status: number; data: T }> {
    const res = await this.#send(method, path, opts);
    if (res.status === 204) return { status: 204, data: undefined as T };
    return { status: res.status, data: (await res.json()) as T };
  }

  async #call<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
    return (await this.#json<T>(method, path, opts)).data;
  }

  // --- operations -------------------------------------------------------------

  /** `GET /healthz`: the process is up. */
  health(): Promise<{ status: "ok" }> {
    return this.#call("GET", "/healthz");
  }

  /** `GET /readyz`: the server reaches its store (a PorticoError 503 when not). */
  ready(): Promise<{ status: "ready" }> {
    return this.#call("GET", "/readyz");
  }

  /** `GET /metrics`: the Prometheus text exposition. */
  async metrics(): Promise<string> {
    return (await this.#send("GET", "/metrics", {}, "text/plain")).text();
  }

  /** `GET /openapi.json`: the OpenAPI document the server serves. */
  openapi(): Promise<Record<string, unknown> & { openapi: string; paths: Record<string, unknown> }> {
    return this.#call("GET", "/openapi.json");
  }

  /** The app of the API key. */
  readonly app = {
    /** `GET /v1/app` */
    get: (): Promise<App> => this.#call("GET", "/v1/app"),
    /**
     * `PATCH /v1/app`: changes what `update` names. Setting a `webhook_url`
     * answers, once, the `webhook_secret` that signs deliveries.
     */
    update: (update: AppUpdate): Promise<App & { webhook_secret?: string }> => this.#call("PATCH", "/v1/app", { body: update }),
  };

  /** The app's end users. */
  readonly users = {
    /**
     * `POST /v1/users`: finds the user by `external_id` (else `email`) or
     * creates it; `created` tells which.
     */
    create: async (user: UserCreate): Promise<{ user: User; created: boolean }> => {
      const { status, data } = await this.#json<User>("POST", "/v1/users", { body: user });
      return { user: data, created: status === 201 };
    },
    /** `GET /v1/users`, every page: `for await (const u of portico.users.list())`. */
    list: (params: ListParams<"listUsers"> = {}): Paginated<User> =>
      new Paginated((page_token) => this.users.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/users`, one page. */
    listPage: (params: QueryOf<"listUsers"> = {}): Promise<UserList> => this.#call("GET", "/v1/users", { query: params }),
    /** `GET /v1/users/{id}` */
    get: (id: string): Promise<User> => this.#call("GET", `/v1/users/${seg(id)}`),
    /** `PATCH /v1/users/{id}`: `account_ids`, when given, replaces the memberships. */
    update: (id: string, update: UserUpdate): Promise<User> => this.#call("PATCH", `/v1/users/${seg(id)}`, { body: update }),
    /** `DELETE /v1/users/{id}`: erases the user with everything Portico holds for it. */
    delete: async (id: string): Promise<void> => {
      await this.#send("DELETE", `/v1/users/${seg(id)}`);
    },
    /** `DELETE /v1/users/{id}/sessions`: signs the user out everywhere. */
    revokeSessions: (id: string): Promise<Revoked> => this.#call("DELETE", `/v1/users/${seg(id)}/sessions`),
  };

  /** Accounts: groups of users. */
  readonly accounts = {
    /** `POST /v1/accounts` */
    create: (account: AccountCreate): Promise<Account> => this.#call("POST", "/v1/accounts", { body: account }),
    /** `GET /v1/accounts`, every page. */
    list: (params: ListParams<"listAccounts"> = {}): Paginated<Account> =>
      new Paginated((page_token) => this.accounts.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/accounts`, one page. */
    listPage: (params: QueryOf<"listAccounts"> = {}): Promise<AccountList> => this.#call("GET", "/v1/accounts", { query: params }),
    /** `GET /v1/accounts/{id}` */
    get: (id: string): Promise<Account> => this.#call("GET", `/v1/accounts/${seg(id)}`),
    /** `PATCH /v1/accounts/{id}` */
    update: (id: string, update: AccountUpdate): Promise<Account> =>
      this.#call("PATCH", `/v1/accounts/${seg(id)}`, { body: update }),
    /** `DELETE /v1/accounts/{id}`: the users stay, without the membership. */
    delete: async (id: string): Promise<void> => {
      await this.#send("DELETE", `/v1/accounts/${seg(id)}`);
    },
  };

  /** Sessions: time-limited grants for one user. */
  readonly sessions = {
    /**
     * `POST /v1/sessions`: the answer holds the session token (and refresh
     * token) and a single-use configuration URL, shown only here.
     */
    create: (session: SessionCreate): Promise<SessionCreated> => this.#call("POST", "/v1/sessions", { body: session }),
    /** `GET /v1/sessions`, every page: a user's active sessions. */
    list: (params: ListParams<"listSessions"> = {}): Paginated<Session> =>
      new Paginated((page_token) => this.sessions.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/sessions`, one page. */
    listPage: (params: QueryOf<"listSessions"> = {}): Promise<SessionList> => this.#call("GET", "/v1/sessions", { query: params }),
    /** `GET /v1/sessions/{id}` */
    get: (id: string): Promise<Session> => this.#call("GET", `/v1/sessions/${seg(id)}`),
    /** `DELETE /v1/sessions/{id}`: revokes the session on every node at once. */
    revoke: async (id: string): Promise<void> => {
      await this.#send("DELETE", `/v1/sessions/${seg(id)}`);
    },
    /** `POST /v1/sessions/{id}/extend`, capped at the app's `max_session_ttl_seconds` from creation. */
    extend: (id: string, extend: SessionExtend): Promise<Session> =>
      this.#call("POST", `/v1/sessions/${seg(id)}/extend`, { body: extend }),
    /** `POST /v1/sessions/{id}/configuration_url`: a fresh single-use configuration URL. */
    configurationUrl: (id: string): Promise<ConfigurationURL> =>
      this.#call("POST", `/v1/sessions/${seg(id)}/configuration_url`, { body: {} }),
    /**
     * `POST /v1/tokens/refresh`: rotates both tokens of a refreshable
     * session; the old session token stops working at once.
     */
    refresh: (refresh: TokenRefresh): Promise<TokenRefreshed> => this.#call("POST", "/v1/tokens/refresh", { body: refresh }),
  };

  /** User verification: the app confirms who opened one of its links. */
  readonly verifications = {
    /**
     * `POST /v1/verifications/{flow}/confirm`: names the user logged in to
     * the app in the browser that brought `?flow=`; send that browser to
     * the answer's `return_to`. Another user is a 403 (the flow ends); a
     * settled or expired flow a 410.
     */
    confirm: (flow: string, confirm: VerificationConfirm): Promise<VerificationConfirmed> =>
      this.#call("POST", `/v1/verifications/${seg(flow)}/confirm`, { body: confirm }),
  };

  /** The user of the session token (a client made with `withSessionToken`). */
  readonly me = {
    /** `GET /v1/me`: validates the token and answers the user and the session. */
    get: (): Promise<Me> => this.#call("GET", "/v1/me"),
    connections: {
      /** `GET /v1/me/connections`, every page. */
      list: (params: ListParams<"listMyConnections"> = {}): Paginated<Connection> =>
        new Paginated((page_token) => this.me.connections.listPage({ ...params, page_token }), params.page_token),
      /** `GET /v1/me/connections`, one page. */
      listPage: (params: QueryOf<"listMyConnections"> = {}): Promise<ConnectionList> =>
        this.#call("GET", "/v1/me/connections", { query: params }),
      /** `DELETE /v1/me/connections/{id}`: the user disconnects. */
      revoke: (id: string): Promise<Connection> => this.#call("DELETE", `/v1/me/connections/${seg(id)}`),
    },
    activity: {
      /** `GET /v1/me/activity`, every page: what was done with the user's integrations, newest first. */
      list: (params: ListParams<"listMyActivity"> = {}): Paginated<Activity> =>
        new Paginated((page_token) => this.me.activity.listPage({ ...params, page_token }), params.page_token),
      /** `GET /v1/me/activity`, one page. */
      listPage: (params: QueryOf<"listMyActivity"> = {}): Promise<ActivityList> =>
        this.#call("GET", "/v1/me/activity", { query: params }),
    },
  };

  /** The built-in catalogue: the templates `template` on an integration PUT copies. */
  readonly catalog = {
    /** `GET /v1/catalog`, every page (`category` keeps one category). */
    list: (params: ListParams<"listCatalog"> = {}): Paginated<CatalogTemplate> =>
      new Paginated((page_token) => this.catalog.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/catalog`, one page. */
    listPage: (params: QueryOf<"listCatalog"> = {}): Promise<CatalogList> => this.#call("GET", "/v1/catalog", { query: params }),
  };

  /** Integrations: the tools the app offers its users. */
  readonly integrations = {
    /** `PUT /v1/integrations/{slug}`: creates or replaces; `created` tells which. With `force`, also when the
     * definition sends users' credentials to a new host, which erases their connections. */
    put: async (slug: string, integration: IntegrationPut, params: QueryOf<"putIntegration"> = {}): Promise<{ integration: Integration; created: boolean }> => {
      const { status, data } = await this.#json<Integration>("PUT", `/v1/integrations/${seg(slug)}`, { body: integration, query: params });
      return { integration: data, created: status === 201 };
    },
    /** `GET /v1/integrations`, every page. */
    list: (params: ListParams<"listIntegrations"> = {}): Paginated<Integration> =>
      new Paginated((page_token) => this.integrations.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/integrations`, one page. */
    listPage: (params: QueryOf<"listIntegrations"> = {}): Promise<IntegrationList> =>
      this.#call("GET", "/v1/integrations", { query: params }),
    /** `GET /v1/integrations/{slug}` */
    get: (slug: string): Promise<Integration> => this.#call("GET", `/v1/integrations/${seg(slug)}`),
    /** `DELETE /v1/integrations/{slug}`; with `force`, also when users are connected to it. */
    delete: async (slug: string, params: QueryOf<"deleteIntegration"> = {}): Promise<void> => {
      await this.#send("DELETE", `/v1/integrations/${seg(slug)}`, { query: params });
    },
  };

  /** Connections: a user's stored credentials for an integration. */
  readonly connections = {
    /** `GET /v1/connections`, every page. */
    list: (params: ListParams<"listConnections"> = {}): Paginated<Connection> =>
      new Paginated((page_token) => this.connections.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/connections`, one page. */
    listPage: (params: QueryOf<"listConnections"> = {}): Promise<ConnectionList> =>
      this.#call("GET", "/v1/connections", { query: params }),
    /** `GET /v1/connections/{id}` */
    get: (id: string): Promise<Connection> => this.#call("GET", `/v1/connections/${seg(id)}`),
    /** `DELETE /v1/connections/{id}`: erases the credentials; the connection stays, status `revoked`. */
    revoke: async (id: string): Promise<void> => {
      await this.#send("DELETE", `/v1/connections/${seg(id)}`);
    },
    /**
     * `PUT /v1/users/{id}/connections/{slug}`: stores credentials the app
     * already holds; `created` tells whether the connection is new. The
     * values are never answered, only the names of the fields.
     */
    import: async (
      userId: string,
      slug: string,
      credentials: ConnectionImport["credentials"],
    ): Promise<{ connection: Connection; created: boolean }> => {
      const { status, data } = await this.#json<Connection>("PUT", `/v1/users/${seg(userId)}/connections/${seg(slug)}`, {
        body: { credentials } satisfies ConnectionImport,
      });
      return { connection: data, created: status === 201 };
    },
  };

  /** The activity log: every perform, connection change and session change, newest first. */
  readonly activity = {
    /** `GET /v1/activity`, every page. */
    list: (params: ListParams<"listActivity"> = {}): Paginated<Activity> =>
      new Paginated((page_token) => this.activity.listPage({ ...params, page_token }), params.page_token),
    /** `GET /v1/activity`, one page. */
    listPage: (params: QueryOf<"listActivity"> = {}): Promise<ActivityList> => this.#call("GET", "/v1/activity", { query: params }),
  };

  /** Tools: the app's actions as function definitions for agents. */
  readonly tools = {
    /** `GET /v1/tools`: with `user_id`, only what that user may use. */
    list: (params: QueryOf<"listTools"> = {}): Promise<Tool[]> => this.#call("GET", "/v1/tools", { query: params }),
  };

  /**
   * `POST /v1/perform`: calls an integration's action, or sends a raw
   * request, with the user's stored credentials. Any upstream answer is a
   * result; a user without a usable connection is a PorticoError 409
   * `connection_required` (see isConnectionRequired). With `dry_run: true`
   * nothing is sent: the answer's `request` is what would have been, the
   * credential redacted.
   */
  perform(request: PerformRequest): Promise<PerformResult> {
    return this.#call("POST", "/v1/perform", { body: request });
  }
}
