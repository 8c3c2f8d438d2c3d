// Kiln script globals: the iota SDK, the web-standard globals Kiln installs,
// and the types of a handler's (input, ctx).
//
// This file is ambient (no import or export at its top level): load it as a
// global library beside lib es2022, without the DOM lib. The admin UI's
// editor does; so can a tsconfig ("files": ["…/iota.d.ts"]). Kiln serves it
// at GET /api/sdk/iota.d.ts.
//
// It declares what a script sees and nothing more. sdk/dts_test.go fails
// when it and the Go bindings disagree: every iota function the server
// registers, and every web global (and member) a VM has, must be declared
// here, and nothing that is not there.

// ---------------------------------------------------------------------------
// The handler contract
// ---------------------------------------------------------------------------

/** What started an execution. */
type KilnTrigger = 'http' | 'event' | 'cron' | 'manual' | 'embedded';

/**
 * A handler's second argument: who runs, and why. Under `kiln run` the ids
 * are empty and the version is 0.
 *
 * @example
 * export default async function (input: EventInput, ctx: KilnContext) {
 *   iota.log.info('handling', { type: input.type, attempt: ctx.attempt });
 * }
 */
interface KilnContext {
  /** The tenant the script runs for; every iota call is scoped to it. */
  readonly tenantId: string;
  /** The script's id. */
  readonly scriptId: string;
  /** The script version that runs (1 for the first save). */
  readonly version: number;
  /** This execution's id, as its record and logs show it. */
  readonly executionId: string;
  /** What started the execution. */
  readonly trigger: KilnTrigger;
  /** 1 for a first run; counts the retries of an event. */
  readonly attempt: number;
}

/**
 * The input of an HTTP script, served under /run/{tenant}/{path}.
 *
 * @typeParam TBody the body's type: parsed JSON when the request's
 *   Content-Type is application/json or *+json, otherwise the text.
 */
interface HttpInput<TBody = any> {
  /** The request method, such as 'GET' or 'POST'. */
  readonly method: string;
  /** The path after /run/{tenant}, starting with '/'. */
  readonly path: string;
  /** The route's named parameters: { id: '42' } for /orders/{id}. */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; a repeated one gives its first value. */
  readonly query: Readonly<Record<string, string>>;
  /** Headers by lower-case name, repeated ones joined by ', '. Authorization and Cookie are never passed. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, the body as text, or null when there is none. */
  readonly body: TBody | null;
}

/**
 * What an HTTP script returns to choose its response: a `status` from 100
 * to 599 with `headers` or `body` (the server sends `{ status }` alone, like
 * any other value, as a 200 application/json body). A script may also
 * return a {@link Response}.
 *
 * @example
 * return { status: 201, headers: { location: `/orders/${order.id}` }, body: order };
 */
interface HttpResult {
  /** The HTTP status, 100 to 599. */
  status: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** A string is sent as text (text/plain unless headers say otherwise), anything else as JSON. */
  body?: unknown;
}

/** The input of an event script. */
interface EventInput<TPayload = any> {
  /** The event's id, as iota.events.publish returned it. */
  readonly id: string;
  /** The event's type, such as 'order.created'. */
  readonly type: string;
  /** The payload given to publish. */
  readonly payload: TPayload;
  /** When the event was published, as an RFC 3339 time. */
  readonly occurredAt: string;
}

/** The input of a scheduled (cron) script. */
interface CronInput {
  /** When the run was due, as an RFC 3339 time. */
  readonly scheduledAt: string;
}

/**
 * The stable codes of the errors iota calls and fetch fail with. The list
 * is open: a host's own functions and collections may add codes.
 */
type KilnErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_LARGE'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'SSRF_BLOCKED'
  | 'INVALID_URL'
  | 'NETWORK_ERROR'
  | 'REQUEST_TOO_LARGE'
  | 'RESPONSE_TOO_LARGE'
  | 'TOO_MANY_REDIRECTS'
  | 'UNEXPECTED_REDIRECT'
  | 'NOT_SUPPORTED'
  | 'INTERNAL'
  | (string & {});

/**
 * The error an iota call throws or rejects with (fetch rejects with a
 * TypeError that has the same `code`): an Error whose message, which
 * starts with the function's name, says what to do.
 *
 * @example
 * try {
 *   await iota.db.update('users', id, { active: false });
 * } catch (err) {
 *   if ((err as KilnError).code === 'NOT_FOUND') return { status: 404, body: 'no such user' };
 *   throw err;
 * }
 */
interface KilnError extends Error {
  /** Why the call failed; stable across releases. */
  readonly code: KilnErrorCode;
}

// ---------------------------------------------------------------------------
// The iota SDK
// ---------------------------------------------------------------------------

// Members are declared with `export` because `delete` is a reserved word:
// `function delete_` plus `export { delete_ as delete }` is how a namespace
// gets a function of that name, and a namespace with an export list exports
// only what is marked `export`.

/**
 * Kiln's SDK. Every call is scoped to the tenant the script runs for (no
 * argument names a tenant) and fails with a {@link KilnError}.
 */
declare namespace iota {
  /**
   * JSON document collections of the tenant: the built-in store, and in an
   * embedding host also collections the host serves itself, used the same
   * way.
   *
   * Collection names are a lower-case letter, then up to 62 lower-case
   * letters, digits or underscores ('users', 'order_items'); a collection
   * exists once a document is inserted. A call fails with TIMEOUT after
   * 5 seconds.
   */
  namespace db {
    /** A value a condition compares with. */
    export type Scalar = null | boolean | number | string;

    /** Operators on one field; several in one object must all hold. */
    export interface FieldOperators {
      /** Equal; null also matches a missing field. */
      $eq?: Scalar;
      /** Not equal. */
      $ne?: Scalar;
      /** Greater than; numbers compare with numbers, strings with strings (by code point). */
      $gt?: number | string;
      /** Greater than or equal. */
      $gte?: number | string;
      /** Less than. */
      $lt?: number | string;
      /** Less than or equal. */
      $lte?: number | string;
      /** Equal to one of the values; [] matches nothing. */
      $in?: Scalar[];
      /** A string field containing this substring, or an array field with an element equal to it. */
      $contains?: Scalar;
    }

    /**
     * A filter whose members must all match. A member is a field (a name or
     * a dotted path such as 'address.city') with a value (equality) or
     * {@link FieldOperators}; $and and $or take arrays of filters (nested
     * at most 16 deep). A value only matches fields of its own JSON type.
     *
     * @example
     * { status: 'paid', total: { $gte: 100 }, $or: [{ vip: true }, { tags: { $contains: 'rush' } }] }
     */
    export interface Where {
      /** Every filter must match. */
      $and?: Where[];
      /** At least one filter must match. */
      $or?: Where[];
      [field: string]: Scalar | FieldOperators | Where[] | undefined;
    }

    /** What {@link query} returns, and in which order. */
    export interface QueryOptions {
      /** Which documents; all when left out. */
      where?: Where | null;
      /**
       * 'field', 'field asc', 'field desc', or an array of those, later ones
       * breaking ties. Without it, insertion order (oldest first).
       */
      orderBy?: string | string[] | null;
      /** At most this many documents: 1 to 1,000 (the default). */
      limit?: number | null;
      /** Skip this many matching documents. */
      offset?: number | null;
    }

    /** A stored document: the object with its string id. */
    export type Document<T extends object = Record<string, any>> = T & { id: string };

    /**
     * The documents of `collection` that match, sorted, at most `limit`.
     *
     * @example
     * const users = await iota.db.query('users', { limit: 10, where: { active: true } });
     * @throws {KilnError} INVALID_ARGUMENT (a bad name, field, operator, value, limit or option), TIMEOUT
     */
    export function query<T extends object = Record<string, any>>(collection: string, options?: QueryOptions | null): Promise<Document<T>[]>;

    /** The document with this id, or null if there is none. */
    export function get<T extends object = Record<string, any>>(collection: string, id: string): Promise<Document<T> | null>;

    /**
     * Stores a new document, at most 1 MiB of JSON, and returns it as
     * stored. Its id (1 to 256 bytes) is generated when left out.
     *
     * @throws {KilnError} CONFLICT (the id is taken), TOO_LARGE, INVALID_ARGUMENT
     */
    export function insert<T extends object = Record<string, any>>(collection: string, document: T & { id?: string }): Promise<Document<T>>;

    /**
     * Merges `patch` into the document's top level, as Object.assign does
     * (nested objects are replaced whole; null members become null), and
     * returns the result. The id cannot change.
     *
     * @throws {KilnError} NOT_FOUND (no such document), TOO_LARGE, INVALID_ARGUMENT
     */
    export function update<T extends object = Record<string, any>>(collection: string, id: string, patch: Partial<T>): Promise<Document<T>>;

    /** Deletes the document with this id; true if it existed. */
    function delete_(collection: string, id: string): Promise<boolean>;
    export { delete_ as delete };

    /** How many documents match `where` (all of them when left out). */
    export function count(collection: string, where?: Where | null): Promise<number>;
  }

  /**
   * Outbound HTTP, through the same guard as fetch: loopback, private,
   * link-local and metadata addresses are refused (SSRF_BLOCKED) unless an
   * operator allows them. A 4xx or 5xx status is a result, not an error.
   *
   * @example
   * const res = await iota.http.post('https://api.example.com/charges', {
   *   headers: { authorization: `Bearer ${await iota.secrets.get('API_KEY')}` },
   *   body: { amount: 1999 },
   * });
   * if (res.status !== 200) throw new Error(`charge failed: ${res.status}`);
   */
  namespace http {
    /** A header or query value; an array repeats it, null and undefined leave it out. */
    export type Value = string | number | boolean | null | undefined | (string | number | boolean | null | undefined)[];

    export interface Options {
      /** Request headers. */
      headers?: Record<string, Value> | null;
      /** Added to the URL's query string, keys sorted. */
      query?: Record<string, Value> | null;
      /**
       * A string is sent as is (text/plain;charset=UTF-8 unless headers
       * give a Content-Type); any other value as JSON (application/json).
       */
      body?: unknown;
      /** Milliseconds; it can only shorten the server's outbound timeout. */
      timeout?: number | null;
    }

    export interface Response<TBody = any> {
      /** The HTTP status. */
      status: number;
      /** Headers by lower-case name, repeated ones joined by ', '. */
      headers: Record<string, string>;
      /**
       * Parsed JSON when the Content-Type is application/json or *+json
       * (null if empty, the text if it does not parse); otherwise the text.
       */
      body: TBody;
    }

    /**
     * Sends a GET request.
     *
     * @throws {KilnError} SSRF_BLOCKED, TIMEOUT, NETWORK_ERROR, INVALID_URL, RESPONSE_TOO_LARGE, RATE_LIMITED, INVALID_ARGUMENT, …
     */
    export function get<TBody = any>(url: string, options?: Options | null): Promise<Response<TBody>>;
    /** Sends a POST request; see {@link get} for the errors. */
    export function post<TBody = any>(url: string, options?: Options | null): Promise<Response<TBody>>;
    /** Sends a PUT request; see {@link get} for the errors. */
    export function put<TBody = any>(url: string, options?: Options | null): Promise<Response<TBody>>;
    /** Sends a PATCH request; see {@link get} for the errors. */
    export function patch<TBody = any>(url: string, options?: Options | null): Promise<Response<TBody>>;
    /** Sends a DELETE request; see {@link get} for the errors. */
    function delete_<TBody = any>(url: string, options?: Options | null): Promise<Response<TBody>>;
    export { delete_ as delete };
  }

  /**
   * A key-value cache of the tenant, shared by every node. Keys are strings
   * of 1 to 512 bytes; values are JSON, at most 1 MiB each (TOO_LARGE); a
   * tenant's entries may take 10 MiB in all (QUOTA_EXCEEDED). Operators may
   * change both caps.
   */
  namespace cache {
    /** The value, or null if the key is missing or expired. */
    export function get<T = any>(key: string): Promise<T | null>;

    /**
     * Stores a value. `ttlSeconds` (0.001 to one year, fractions allowed)
     * makes it expire; leave it out or pass null for no expiry.
     */
    export function set(key: string, value: unknown, ttlSeconds?: number | null): Promise<void>;

    /** Deletes a key; true if a live entry existed. */
    function delete_(key: string): Promise<boolean>;
    export { delete_ as delete };

    /**
     * Adds `by` (default 1) atomically and returns the new value. A missing
     * or expired entry starts at 0 and takes `ttlSeconds`; an existing one
     * keeps its expiry. INVALID_ARGUMENT if the entry is not a number.
     *
     * @example
     * if ((await iota.cache.increment(`hits:${ip}`, 1, 60)) > 100) return { status: 429, body: 'slow down' };
     */
    export function increment(key: string, by?: number | null, ttlSeconds?: number | null): Promise<number>;
  }

  namespace events {
    /**
     * Publishes an event of the tenant and returns its id once the queue
     * holds it, without waiting for the scripts it triggers.
     *
     * @param type such as 'order.created'
     * @param payload JSON data (null when left out)
     */
    export function publish(type: string, payload?: unknown): Promise<string>;
  }

  namespace secrets {
    /**
     * The value of one of the tenant's secrets. Names look like environment
     * variables: an upper-case letter, then up to 63 upper-case letters,
     * digits or underscores. Values read are cut out of the records of
     * this run and of every later run of the same VM (with their JSON,
     * URL, base64 and hex forms), but do not log them.
     *
     * @throws {KilnError} NOT_FOUND if the secret is not set (set it with PUT /api/secrets/NAME), INVALID_ARGUMENT, QUOTA_EXCEEDED past 256 distinct values (256 KiB) read by one VM
     */
    export function get(name: string): Promise<string>;
  }

  /**
   * Structured log entries in the execution's log, in order with console
   * output. The calls are synchronous and return undefined. A message that
   * is not a string is written as JSON; `fields` must be an object.
   *
   * @example
   * iota.log.info('order paid', { orderId: order.id, total: order.total });
   */
  namespace log {
    export function debug(message: unknown, fields?: Record<string, unknown> | null): void;
    export function info(message: unknown, fields?: Record<string, unknown> | null): void;
    export function warn(message: unknown, fields?: Record<string, unknown> | null): void;
    export function error(message: unknown, fields?: Record<string, unknown> | null): void;
  }

  /**
   * Durable tasks (scripts of type "task"; docs/tasks.md). A task's script
   * runs to its end across restarts: every value it receives is journaled
   * and replayed. Only in task scripts.
   *
   * @example
   * const peer = await iota.tasks.spawn('egress', { dest: params.to });
   * await iota.tasks.send(peer, 'bridge', { from: iota.tasks.self() });
   * const evt = await iota.tasks.receive({ timeout: 3600, types: ['digit', 'hangup'] });
   */
  namespace tasks {
    /** An event in a task's inbox, as receive delivers it. */
    interface TaskEvent<T = unknown> {
      /** Numbers the task's events in arrival order, from 1. */
      seq: number;
      type: string;
      payload: T;
      /** The sending task's ID; null for an event sent from outside (API, CLI, host). */
      from: string | null;
      /** When the event arrived (RFC 3339). */
      at: string;
    }
    /** This task's ID. */
    export function self(): string;
    /** The ID of the task that spawned this one; null for a task started from outside. */
    export function parent(): string | null;
    /**
     * Starts a child task running the tenant's task script `script` with
     * `params`, and returns its ID. The child is created in the same
     * durable step as this call's journal entry: exactly once.
     *
     * @throws {KilnError} NOT_FOUND (no such script), CONFLICT (not a task script), QUOTA_EXCEEDED (too many live tasks), TOO_LARGE
     */
    export function spawn(script: string, params?: unknown): Promise<string>;
    /**
     * Puts an event in another task's inbox; it is durable when the promise
     * resolves, whether or not the receiver waits. Exactly once.
     *
     * @throws {KilnError} NOT_FOUND (no such task), CONFLICT (it has ended), QUOTA_EXCEEDED (its inbox is full), TOO_LARGE
     */
    export function send(taskId: string, type: string, payload?: unknown): Promise<void>;
    /**
     * The next event in this task's inbox (of one of `types`, if given;
     * others stay queued in order), or null once `timeout` seconds have
     * passed (up to ten years; left out: wait for ever). A task that
     * waits is dropped from memory after a few seconds and resumed, by
     * replay, when an event or its timeout comes. One receive at a time.
     */
    export function receive<T = unknown>(options?: { timeout?: number; types?: string[] }): Promise<TaskEvent<T> | null>;
    /**
     * Ends this task's journal and starts its script again with `params`,
     * under the same ID and inbox: a task that loops for ever calls it now
     * and then so that its journal does not grow past its cap.
     */
    export function continueAsNew(params?: unknown): never;
  }

  /**
   * Functions an embedding host application registers for its scripts.
   * Empty here: a host ships its own .d.ts that adds to it, as in
   *
   *     declare namespace iota.host {
   *       function lookupCustomer(id: string): Promise<{ name: string }>;
   *     }
   */
  namespace host {}
}

// ---------------------------------------------------------------------------
// Web-standard globals. Kiln has no DOM, no Blob, FormData or streams:
// a body is held whole, and Request/Response.body is a Uint8Array or null.
// ---------------------------------------------------------------------------

interface Console {
  /** Writes an info line to the execution's log: strings as they are, other values as JSON. */
  log(...data: unknown[]): void;
  /** Writes an info line. */
  info(...data: unknown[]): void;
  /** Writes a debug line. */
  debug(...data: unknown[]): void;
  /** Writes a debug line (no stack trace is added). */
  trace(...data: unknown[]): void;
  /** Writes a warn line. */
  warn(...data: unknown[]): void;
  /** Writes an error line. */
  error(...data: unknown[]): void;
}
declare var console: Console;

/**
 * Calls `handler(...args)` once after `timeout` milliseconds. An execution
 * lasts until its pending timers have run or been cleared. A string handler
 * is refused (SANDBOX_VIOLATION).
 */
declare function setTimeout(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): number;
/** Calls `handler` every `timeout` milliseconds (at least 1) until cleared. */
declare function setInterval(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
/** Runs `callback` as a microtask; an exception in it fails the execution. */
declare function queueMicrotask(callback: () => void): void;

interface Performance {
  /** Milliseconds since the VM started, from the engine's clock. */
  now(): number;
  /** When the VM started, in milliseconds since the Unix epoch. */
  readonly timeOrigin: number;
}
declare var performance: Performance;

/** Encodes a Latin-1 string in base64; InvalidCharacterError past U+00FF. */
declare function btoa(data: string): string;
/** Decodes base64 into a Latin-1 string; InvalidCharacterError if it is not base64. */
declare function atob(data: string): string;

interface StructuredSerializeOptions {
  /** ArrayBuffers moved into the copy (detached in the original). */
  transfer?: ArrayBuffer[];
}
/** A deep copy: cycles, Map, Set, Date, RegExp, buffers and errors included. DataCloneError for functions. */
declare function structuredClone<T = any>(value: T, options?: StructuredSerializeOptions): T;

type BufferSource = ArrayBuffer | ArrayBufferView;

// --- Encoding --------------------------------------------------------------

interface TextEncoderEncodeIntoResult {
  read: number;
  written: number;
}
/** UTF-8 encoding. */
declare class TextEncoder {
  constructor();
  /** Always 'utf-8'. */
  readonly encoding: string;
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult;
}

interface TextDecoderOptions {
  /** Throw a TypeError on invalid input instead of writing U+FFFD. */
  fatal?: boolean;
  /** Keep a leading byte order mark. */
  ignoreBOM?: boolean;
}
interface TextDecodeOptions {
  /** More input follows: keep an incomplete sequence for the next call. */
  stream?: boolean;
}
/** Decodes utf-8 (the default), utf-16le, utf-16be or windows-1252 (with their labels, such as 'latin1'). */
declare class TextDecoder {
  /** @throws RangeError for an unsupported label */
  constructor(label?: string, options?: TextDecoderOptions);
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: BufferSource, options?: TextDecodeOptions): string;
}

// --- URL -------------------------------------------------------------------

declare class URL {
  /** @throws TypeError for an invalid URL */
  constructor(url: string | URL, base?: string | URL);
  /** The parsed URL, or null where the constructor would throw. */
  static parse(url: string | URL, base?: string | URL): URL | null;
  static canParse(url: string | URL, base?: string | URL): boolean;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  readonly searchParams: URLSearchParams;
  hash: string;
  toJSON(): string;
  toString(): string;
}

declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | Iterable<readonly [string, string]> | URLSearchParams);
  /** The number of name-value pairs. */
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callback: (value: string, name: string, parent: URLSearchParams) => void, thisArg?: any): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  /** The application/x-www-form-urlencoded serialization, without '?'. */
  toString(): string;
}

// --- Events and aborting ---------------------------------------------------

interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}
declare class Event {
  constructor(type: string, eventInitDict?: EventInit);
  readonly type: string;
  readonly target: EventTarget | null;
  readonly currentTarget: EventTarget | null;
  readonly eventPhase: number;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly composed: boolean;
  readonly defaultPrevented: boolean;
  readonly isTrusted: boolean;
  composedPath(): EventTarget[];
  stopPropagation(): void;
  stopImmediatePropagation(): void;
  preventDefault(): void;
  readonly NONE: 0;
  readonly CAPTURING_PHASE: 1;
  readonly AT_TARGET: 2;
  readonly BUBBLING_PHASE: 3;
  static readonly NONE: 0;
  static readonly CAPTURING_PHASE: 1;
  static readonly AT_TARGET: 2;
  static readonly BUBBLING_PHASE: 3;
}

interface EventListener {
  (evt: Event): void;
}
interface EventListenerObject {
  handleEvent(object: Event): void;
}
type EventListenerOrEventListenerObject = EventListener | EventListenerObject;
interface EventListenerOptions {
  capture?: boolean;
}
interface AddEventListenerOptions extends EventListenerOptions {
  once?: boolean;
  passive?: boolean;
  /** Removes the listener when this signal aborts. */
  signal?: AbortSignal;
}
declare class EventTarget {
  constructor();
  addEventListener(type: string, callback: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void;
  removeEventListener(type: string, callback: EventListenerOrEventListenerObject | null, options?: EventListenerOptions | boolean): void;
  /** Runs the listeners; false if one called preventDefault on a cancelable event. */
  dispatchEvent(event: Event): boolean;
}

/** Tells a fetch (or anything that listens) to stop. Made by AbortController or the static methods, never with new. */
declare class AbortSignal extends EventTarget {
  private constructor();
  /** A signal that is already aborted, with `reason` (an AbortError DOMException by default). */
  static abort(reason?: any): AbortSignal;
  /** A signal that aborts when the first of `signals` does, with its reason. */
  static any(signals: Iterable<AbortSignal>): AbortSignal;
  /** A signal that aborts with a TimeoutError DOMException after `milliseconds`; it does not keep the execution alive. */
  static timeout(milliseconds: number): AbortSignal;
  readonly aborted: boolean;
  readonly reason: any;
  /** Throws `reason` if the signal has aborted. */
  throwIfAborted(): void;
  onabort: ((this: AbortSignal, ev: Event) => any) | null;
}

declare class AbortController {
  constructor();
  readonly signal: AbortSignal;
  /** Aborts the signal with `reason` (an AbortError DOMException by default). */
  abort(reason?: any): void;
}

/** The error web APIs throw, with a `name` such as 'AbortError', 'TimeoutError' or 'InvalidCharacterError'. */
declare class DOMException extends Error {
  constructor(message?: string, options?: string | { name?: string; cause?: unknown });
  readonly name: string;
  readonly message: string;
  /** The legacy numeric code of the name, or 0. */
  readonly code: number;
  readonly INDEX_SIZE_ERR: 1;
  readonly DOMSTRING_SIZE_ERR: 2;
  readonly HIERARCHY_REQUEST_ERR: 3;
  readonly WRONG_DOCUMENT_ERR: 4;
  readonly INVALID_CHARACTER_ERR: 5;
  readonly NO_DATA_ALLOWED_ERR: 6;
  readonly NO_MODIFICATION_ALLOWED_ERR: 7;
  readonly NOT_FOUND_ERR: 8;
  readonly NOT_SUPPORTED_ERR: 9;
  readonly INUSE_ATTRIBUTE_ERR: 10;
  readonly INVALID_STATE_ERR: 11;
  readonly SYNTAX_ERR: 12;
  readonly INVALID_MODIFICATION_ERR: 13;
  readonly NAMESPACE_ERR: 14;
  readonly INVALID_ACCESS_ERR: 15;
  readonly VALIDATION_ERR: 16;
  readonly TYPE_MISMATCH_ERR: 17;
  readonly SECURITY_ERR: 18;
  readonly NETWORK_ERR: 19;
  readonly ABORT_ERR: 20;
  readonly URL_MISMATCH_ERR: 21;
  readonly QUOTA_EXCEEDED_ERR: 22;
  readonly TIMEOUT_ERR: 23;
  readonly INVALID_NODE_TYPE_ERR: 24;
  readonly DATA_CLONE_ERR: 25;
  static readonly INDEX_SIZE_ERR: 1;
  static readonly DOMSTRING_SIZE_ERR: 2;
  static readonly HIERARCHY_REQUEST_ERR: 3;
  static readonly WRONG_DOCUMENT_ERR: 4;
  static readonly INVALID_CHARACTER_ERR: 5;
  static readonly NO_DATA_ALLOWED_ERR: 6;
  static readonly NO_MODIFICATION_ALLOWED_ERR: 7;
  static readonly NOT_FOUND_ERR: 8;
  static readonly NOT_SUPPORTED_ERR: 9;
  static readonly INUSE_ATTRIBUTE_ERR: 10;
  static readonly INVALID_STATE_ERR: 11;
  static readonly SYNTAX_ERR: 12;
  static readonly INVALID_MODIFICATION_ERR: 13;
  static readonly NAMESPACE_ERR: 14;
  static readonly INVALID_ACCESS_ERR: 15;
  static readonly VALIDATION_ERR: 16;
  static readonly TYPE_MISMATCH_ERR: 17;
  static readonly SECURITY_ERR: 18;
  static readonly NETWORK_ERR: 19;
  static readonly ABORT_ERR: 20;
  static readonly URL_MISMATCH_ERR: 21;
  static readonly QUOTA_EXCEEDED_ERR: 22;
  static readonly TIMEOUT_ERR: 23;
  static readonly INVALID_NODE_TYPE_ERR: 24;
  static readonly DATA_CLONE_ERR: 25;
}

// --- Crypto ----------------------------------------------------------------

type AlgorithmIdentifier = string | { name: string };

interface SubtleCrypto {
  /** A hash of `data`: 'SHA-1', 'SHA-256', 'SHA-384' or 'SHA-512' (NotSupportedError otherwise). */
  digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer>;
}
interface Crypto {
  /** Only digest is implemented. */
  readonly subtle: SubtleCrypto;
  /** Fills an integer typed array (at most 65,536 bytes) with random values and returns it. */
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
  /** A random version 4 UUID, in lower case. */
  randomUUID(): `${string}-${string}-${string}-${string}-${string}`;
}
declare var crypto: Crypto;

// --- Fetch -----------------------------------------------------------------

/** A body: a string (UTF-8), bytes, or form data. Other objects are sent as their String(). */
type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams;
/** [name, value] pairs (an array, a Headers, any iterable), or an object of names to values. */
type HeadersInit = Iterable<readonly [string, string]> | Record<string, string>;
type RequestRedirect = 'follow' | 'error' | 'manual';
type ResponseType = 'basic' | 'default' | 'error';

declare class Headers {
  constructor(init?: HeadersInit);
  append(name: string, value: string): void;
  delete(name: string): void;
  /** The values of `name` joined by ', ', or null. */
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  forEach(callback: (value: string, name: string, parent: Headers) => void, thisArg?: any): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

interface RequestInit {
  /** Not allowed with GET or HEAD. */
  body?: BodyInit | null;
  headers?: HeadersInit;
  method?: string;
  redirect?: RequestRedirect;
  signal?: AbortSignal | null;
}

declare class Request {
  /** @throws TypeError for a relative URL, a URL with credentials, or a GET/HEAD with a body */
  constructor(input: string | URL | Request, init?: RequestInit);
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly redirect: RequestRedirect;
  readonly signal: AbortSignal;
  clone(): Request;
  /** A copy of the body's bytes, or null; reading it does not use the body up. */
  readonly body: Uint8Array | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  json(): Promise<any>;
  text(): Promise<string>;
}

interface ResponseInit {
  headers?: HeadersInit;
  /** 200 to 599; 200 by default. */
  status?: number;
  statusText?: string;
}

declare class Response {
  constructor(body?: BodyInit | null, init?: ResponseInit);
  /** A network error (type 'error', status 0). */
  static error(): Response;
  /** A redirect to an absolute URL; status 301, 302 (the default), 303, 307 or 308. */
  static redirect(url: string | URL, status?: number): Response;
  /** A response whose body is JSON.stringify(data), with Content-Type application/json. */
  static json(data: any, init?: ResponseInit): Response;
  readonly type: ResponseType;
  /** The final URL after redirects ('' for a constructed response). */
  readonly url: string;
  readonly redirected: boolean;
  readonly status: number;
  /** True for a 2xx status. */
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: Headers;
  clone(): Response;
  /** A copy of the body's bytes, or null; reading it does not use the body up. */
  readonly body: Uint8Array | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  json(): Promise<any>;
  text(): Promise<string>;
}

/**
 * Sends a request through Kiln's outbound guard and resolves once the whole
 * response has arrived; a 4xx or 5xx status is a response, not an error.
 * Never throws: a failure rejects with a TypeError whose `code` says why
 * (SSRF_BLOCKED, TIMEOUT, NETWORK_ERROR, RESPONSE_TOO_LARGE,
 * TOO_MANY_REDIRECTS, INVALID_URL, RATE_LIMITED, NOT_SUPPORTED, …), and an
 * aborted `signal` rejects with its reason.
 *
 * @example
 * const res = await fetch('https://api.example.com/items', { signal: AbortSignal.timeout(2000) });
 * const items = await res.json();
 */
declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
