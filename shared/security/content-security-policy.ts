/**
 * The renderer's Content-Security-Policy: sent by the core with every page it serves and enforced again
 * by the desktop shell on its windows. No inline script or eval; WebAssembly compiles (the decoders);
 * workers from the app's own origin only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");
