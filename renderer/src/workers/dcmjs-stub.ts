/**
 * What dcmjs-codecs gets for `require("dcmjs")` in the decode worker: the worker uses only its
 * NativeCodecs (WebAssembly) and never its Transcoder, which is what needs dcmjs — so the worker does not
 * carry dcmjs's 700 kB. dcmjs-codecs reads `dcmjs.data` and `dcmjs.log` when it loads.
 */
export const data = {};
export const log = {};
