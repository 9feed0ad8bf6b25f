/**
 * The DIMSE responses a DCMTK SCU (findscu, movescu, getscu) received, read from its debug log (-d):
 * the status as a number, the sub-operation counts, the error comment and the failed SOP instance list.
 */

export interface DimseResponse {
  /** "C-FIND RSP", "C-MOVE RSP", "C-GET RSP". */
  messageType: string;
  respondingTo: number;
  status: number;
  remaining?: number;
  completed?: number;
  failed?: number;
  warning?: number;
  errorComment?: string;
  /** (0008,0058) of the response identifier, split on "\". */
  failedSopInstanceUids?: string[];
}

const MESSAGE_START = "D: ===================== INCOMING DIMSE MESSAGE ====================";

function field(block: string, name: string): string | undefined {
  return new RegExp(`^D: ${name} +: (.*)$`, "m").exec(block)?.[1]?.trim();
}

function count(block: string, name: string): number | undefined {
  const value = field(block, `${name} Suboperations`);
  return value === undefined || value === "none" ? undefined : Number(value);
}

/** Element value printed in a dataset dump within the block, e.g. "(0000,0902) LO [text]". */
function dumpedValue(block: string, tag: string): string | undefined {
  return new RegExp(`^D: \\(${tag}\\) \\S\\S \\[(.*?)\\] +#`, "m").exec(block)?.[1];
}

/** Every incoming message of `messageType`, in the order received; the log must come from `-d`. */
export function dimseResponses(log: string, messageType: string): DimseResponse[] {
  const responses: DimseResponse[] = [];
  for (const block of log.split(MESSAGE_START).slice(1)) {
    if (field(block, "Message Type") !== messageType) continue;
    const status = /^0x([0-9a-f]{4})/.exec(field(block, "DIMSE Status") ?? "");
    if (status === null) throw new Error(`no DIMSE status in:\n${block}`);
    const failedList = dumpedValue(block, "0008,0058");
    responses.push({
      messageType,
      respondingTo: Number(field(block, "Message ID Being Responded To")),
      status: Number.parseInt(status[1] ?? "", 16),
      remaining: count(block, "Remaining"),
      completed: count(block, "Completed"),
      failed: count(block, "Failed"),
      warning: count(block, "Warning"),
      errorComment: dumpedValue(block, "0000,0902")?.trim(),
      failedSopInstanceUids: failedList?.split("\\"),
    });
  }
  return responses;
}

/** The one final (non-pending) response; throws unless there is exactly one. */
export function finalResponse(responses: readonly DimseResponse[]): DimseResponse {
  const finals = responses.filter((response) => !isPending(response.status));
  if (finals.length !== 1) throw new Error(`expected one final response, got ${finals.length}`);
  return finals[0] as DimseResponse;
}

export function isPending(status: number): boolean {
  return status === 0xff00 || status === 0xff01;
}
