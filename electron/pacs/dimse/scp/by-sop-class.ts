import { Status } from "../status.js";
import type { ServiceHandler } from "./service.js";

/**
 * One DIMSE operation served by several SOP classes (C-FIND for Query/Retrieve and for Modality Worklist;
 * N-CREATE/N-SET/N-ACTION for different classes): the request goes to the handler of its presentation
 * context's abstract syntax, else to `fallback`, else it is answered with No Such SOP Class (0x0118).
 */
export function bySopClass(
  handlers: ReadonlyMap<string, ServiceHandler>,
  fallback?: ServiceHandler,
): ServiceHandler {
  const handlerFor = (abstractSyntax: string) => handlers.get(abstractSyntax) ?? fallback;
  return {
    sinkFor: (association, context, command) =>
      handlerFor(context.abstractSyntax)?.sinkFor?.(association, context, command),
    async handle(request) {
      const handler = handlerFor(request.message.context.abstractSyntax);
      if (handler) return handler.handle(request);
      await request.respond({ status: Status.NoSuchSopClass, errorComment: "SOP class not served here" });
    },
  };
}
