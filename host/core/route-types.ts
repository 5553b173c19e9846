// Route handlers typed from their own schemas (a JSON-Schema type provider at the decorator):
// `@Post('/', { schema: { body: {...} } })` accepts only a method whose `request` parameter can
// take the body, params, querystring and headers the schemas describe, and whose result fits
// the success responses' schemas. A part without a schema constrains nothing (never: the
// method's own annotation is what it sees).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

type Part<S, K extends string> = S extends { readonly [P in K]: infer X } ? (X extends JSONSchema ? FromSchema<X> : never) : never;

/** Without index signatures: a response's extra properties are dropped by its serializer, so a result need not allow them. */
type Closed<T> = T extends readonly (infer E)[] ? Closed<E>[] : T extends object ? { [K in keyof T as string extends K ? never : number extends K ? never : K]: Closed<T[K]> } : T;

/** The request type a route's schema gives: what the method's first parameter must accept. */
export type RouteRequest<S> = FastifyRequest<{ Body: Part<S, 'body'>; Params: Part<S, 'params'>; Querystring: Part<S, 'querystring'>; Headers: Part<S, 'headers'> }>;

type SuccessKey = 200 | 201 | 202 | 203 | 204 | 205 | 206 | '200' | '201' | '202' | '203' | '204' | '205' | '206' | '2xx';
type Responses<S> = S extends { readonly response: infer R } ? R : never;
type SuccessSchemas<R> = { [K in keyof R]: K extends SuccessKey ? R[K] : never }[keyof R];

/** What the method may return: the success responses' types (their extra properties are dropped when serialized), or anything without a schema. */
export type RouteResult<S> = [Responses<S>] extends [never]
  ? unknown
  : [SuccessSchemas<Responses<S>>] extends [never]
    ? unknown
    : (SuccessSchemas<Responses<S>> extends infer X ? (X extends JSONSchema ? Closed<FromSchema<X>> : never) : never) | FastifyReply | void;

/** The method a route decorator accepts. */
export type RouteMethod<This, S> = (this: This, request: RouteRequest<S>, reply: FastifyReply) => RouteResult<S> | Promise<RouteResult<S>>;
