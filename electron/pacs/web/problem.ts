import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * An HTTP failure the client can act on, answered as application/problem+json (RFC 9457) with a
 * status, a short title and a detail that says exactly what was wrong with the request.
 */
export class HttpProblem extends Error {
  override name = "HttpProblem";
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export function sendProblem(reply: FastifyReply, problem: HttpProblem): FastifyReply {
  return reply
    .code(problem.status)
    .type("application/problem+json")
    .send({
      type: "about:blank",
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      ...problem.extra,
    });
}

/** Every error leaves as problem+json; unexpected ones are logged and say no more than "internal error". */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpProblem, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) return sendProblem(reply, error);
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendProblem(reply, new HttpProblem(status, httpTitle(status), error.message));
    }
    request.log.error({ err: error, url: request.url }, "request failed");
    return sendProblem(
      reply,
      new HttpProblem(500, "Internal Server Error", "the server could not complete the request"),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new HttpProblem(404, "Not Found", `no resource at ${request.method} ${request.url.split("?")[0]}`),
    ),
  );
}

function httpTitle(status: number): string {
  return (
    {
      400: "Bad Request",
      401: "Unauthorized",
      403: "Forbidden",
      404: "Not Found",
      406: "Not Acceptable",
      409: "Conflict",
      413: "Payload Too Large",
      415: "Unsupported Media Type",
      416: "Range Not Satisfiable",
      429: "Too Many Requests",
    }[status] ?? "Bad Request"
  );
}
