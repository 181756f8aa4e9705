/** One operation of `/api/v1`: the router dispatches on this table and the OpenAPI document is built from it. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  /** OpenAPI path template under the server URL `/api/v1`. */
  path: string;
  operationId: string;
  summary: string;
  /** Needs a signed-in user (all but the document itself). */
  auth: boolean;
  query?: Array<{ name: string; description: string; schema: Record<string, unknown> }>;
  body?: Record<string, unknown>;
  response: Record<string, unknown>;
  /** Content types other than JSON that the operation answers with. */
  produces?: string[];
}
