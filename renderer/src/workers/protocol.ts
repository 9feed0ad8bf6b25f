/** Messages between the decode pool (main thread) and its workers. */
import type { DecodedFrame, PixelLayout } from "../lib/imaging/pixels";

/** Fetch a frame (multipart/related, as stored) and decode it. */
export interface LoadRequest {
  type: "load";
  id: number;
  url: string;
  headers: Record<string, string>;
  layout: PixelLayout;
}

/** Decode bytes already in hand. */
export interface DecodeRequest {
  type: "decode";
  id: number;
  bytes: Uint8Array;
  transferSyntaxUid: string;
  layout: PixelLayout;
}

export interface CancelRequest {
  type: "cancel";
  id: number;
}

export interface InitRequest {
  type: "init";
  /** Where the codecs' WebAssembly is (an asset of the build, same origin). */
  wasmUrl: string;
}

export type WorkerRequest = LoadRequest | DecodeRequest | CancelRequest | InitRequest;

export type WorkerReply =
  | { id: number; ok: true; frame: DecodedFrame; fetchMs: number; decodeMs: number }
  | { id: number; ok: false; error: string; status?: number; aborted?: boolean };

/** The Accept header that asks for frames as stored (the codestream is decoded here, in the browser). */
export const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
